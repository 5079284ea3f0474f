"""What one job cost (:class:`JobMetrics`, one row per job) and the meter that measures it.

The pipeline feeds a :class:`JobMeter` as the job moves (download, each compression, each
posted batch) and records its :meth:`~JobMeter.metrics` once when the job ends, whatever the
outcome, so ``$stats`` and ``bossctl stats`` read one row per job from the store. The row says
which tool served the job (or failed last), whether that was a fallback tool, and each tool's
try in order: what ``stats`` splits by platform × tool and ``bossctl doctor`` watches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from boss_bot.core.tools.fallback import ToolAttempt

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
    #: The tool that served the job, or the last one that failed (None: no tool ran).
    tool: str | None = None
    #: Served by (or, failed, ended on) a tool other than the first of the platform's order.
    fallback_tool: bool | None = None
    #: Every tool's try, in order (retries included).
    tool_attempts: tuple[ToolAttempt, ...] = ()


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
    tool_attempts: list[ToolAttempt] = field(default_factory=list)

    def tools_tried(self, attempts: Sequence[ToolAttempt]) -> None:
        """The download's tool chain, as :meth:`DownloadManager.download` recorded it."""
        self.tool_attempts = list(attempts)

    @property
    def tool(self) -> str | None:
        """The tool that served, else the last one tried."""
        served = [a.tool for a in self.tool_attempts if a.verdict == "success"]
        return (served or [a.tool for a in self.tool_attempts] or [None])[-1]

    @property
    def fallback_tool(self) -> bool | None:
        """Whether :attr:`tool` is not the first tool tried (None: no tool ran)."""
        if not self.tool_attempts:
            return None
        return self.tool != self.tool_attempts[0].tool

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
            tool=self.tool,
            fallback_tool=self.fallback_tool,
            tool_attempts=tuple(self.tool_attempts),
        )


__all__ = ["METHODS", "SUCCESS", "JobMeter", "JobMetrics"]
