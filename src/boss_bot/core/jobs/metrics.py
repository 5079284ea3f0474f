"""What one job cost (:class:`JobMetrics`, one row per job) and the meter that measures it.

The pipeline feeds a :class:`JobMeter` as the job moves (download, each compression, each
posted batch) and records its :meth:`~JobMeter.metrics` once when the job ends, whatever the
outcome, so ``$stats`` and ``bossctl stats`` read one row per job from the store.
"""

from __future__ import annotations

from dataclasses import dataclass

SUCCESS = "success"
METHODS = ("api", "cli", "cli_fallback")


@dataclass(frozen=True)
class JobMetrics:
    """What one job cost. ``outcome`` is ``success`` or the error code."""

    job_id: str
    platform: str
    outcome: str
    guild_id: int | None = None
    method: str | None = None
    download_seconds: float | None = None
    bytes_downloaded: int = 0
    compression_seconds: float | None = None
    compression_ratio: float | None = None
    compressed_files: int = 0
    upload_seconds: float | None = None
    bytes_uploaded: int = 0


@dataclass
class JobMeter:
    """Fed by the pipeline as one job moves; :meth:`metrics` is its row."""

    platform: str
    guild_id: int | None = None
    method: str | None = None
    download_seconds: float | None = None
    bytes_downloaded: int = 0
    compression_seconds: float = 0.0
    compressed_files: int = 0
    #: Sizes before and after, over the compressed files only (for the ratio).
    compressed_in: int = 0
    compressed_out: int = 0
    upload_seconds: float | None = None
    bytes_uploaded: int = 0

    def compressed(self, original: int, final: int, seconds: float) -> None:
        self.compressed_files += 1
        self.compressed_in += original
        self.compressed_out += final
        self.compression_seconds += seconds

    def uploaded(self, size: int, seconds: float) -> None:
        self.upload_seconds = (self.upload_seconds or 0.0) + seconds
        self.bytes_uploaded += size

    @property
    def compression_ratio(self) -> float | None:
        """final / original bytes of what was compressed (0.4: 2.5 times smaller)."""
        return self.compressed_out / self.compressed_in if self.compressed_in else None

    def metrics(self, job_id: str, outcome: str) -> JobMetrics:
        """The row for this job; ``outcome`` is ``success``, ``cancelled`` or an error code."""
        return JobMetrics(
            job_id=job_id,
            platform=self.platform,
            outcome=outcome,
            guild_id=self.guild_id,
            method=self.method,
            download_seconds=self.download_seconds,
            bytes_downloaded=self.bytes_downloaded,
            compression_seconds=self.compression_seconds if self.compressed_files else None,
            compression_ratio=self.compression_ratio,
            compressed_files=self.compressed_files,
            upload_seconds=self.upload_seconds,
            bytes_uploaded=self.bytes_uploaded,
        )


__all__ = ["METHODS", "SUCCESS", "JobMeter", "JobMetrics"]
