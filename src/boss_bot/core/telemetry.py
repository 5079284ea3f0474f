"""Prometheus metrics: what the pipeline and the bot did, and how the process is doing.

Everything lives in one :class:`Telemetry`, on **its own** ``CollectorRegistry`` (never
prometheus-client's global one): two apps or two tests in one process cannot collide on metric
names, and ``/metrics`` shows exactly boss-bot's series. Like the settings, it is built by the
entry point that builds the pipeline (the bot, a worker) and passed to what records into it
(the pipeline, the bot's HTTP trace, the HTTP app that serves it); no module holds one.

Series (all prefixed ``boss_``; counters end in ``_total``)::

    jobs_total{platform,method,outcome}     counter    one per finished job
    tool_attempts_total{platform,tool,outcome}  counter  each tool's try in a job's tool chain
    download_seconds{platform,method}       histogram  time spent downloading
    compression_seconds{platform}           histogram  time re-encoding a job's files
    upload_seconds{platform}                histogram  time posting a job's batches
    downloaded_bytes_total{platform}        counter
    uploaded_bytes_total{platform}          counter
    compression_ratio                       histogram  final / original bytes (0.4: 2.5x)
    queue_depth{status}                     gauge      queued/running/uploading (scrape time)
    queue_oldest_age_seconds                gauge      oldest queued job's age (scrape time)
    store_up                                gauge      1 when the store answered the scrape
    active_downloads, active_encodes        gauge      in progress in this process
    jobs_stalled_total{stage}               counter    jobs seen stalled (core/jobs/stall.py)
    jobs_stalled_now                        gauge      jobs of this process stalled now
    discord_upload_too_large_total          counter    batches refused as too large (413)
    discord_retries_total{reason}           counter    uploads tried again (after a 413, …)
    download_retries_total{platform}        counter    attempts retried after transient errors
    event_loop_lag_seconds                  histogram  how late a 0.5 s sleep wakes up
    build_info{version,python}              gauge = 1

Labels are bounded: platforms outside the strategy registry become ``other``, methods outside
``api``/``cli``/``cli_fallback`` become ``none``; outcomes are ``success``, ``cancelled`` or an
error code from :mod:`boss_bot.core.errors` (a fixed set). A tool attempt's ``tool`` is
``gallery-dl`` or ``yt-dlp`` (else ``other``) and its ``outcome`` one of ``success``, ``failed``
(the tool could not read the link: the next tool's turn), ``definitive`` (the site's answer:
private, removed, too large, …) or ``transient`` (network, timeout: retried).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import platform as _platform
import time
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from boss_bot.core.tools.fallback import TOOLS, VERDICTS

if TYPE_CHECKING:
    from boss_bot.core.jobs import JobMetrics
    from boss_bot.core.store import Store

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
_KNOWN_PLATFORMS = frozenset(
    {"twitter", "reddit", "instagram", "youtube", "tiktok", "bluesky", "generic", "unknown"}
)
_KNOWN_METHODS = frozenset({"api", "cli", "cli_fallback"})
_ACTIVE = ("queued", "running", "uploading")
#: Seconds buckets for downloads/encodes/uploads: 0.1 s … 30 min.
_SECONDS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800)
_LAG = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
_RATIO = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
#: How often the loop-lag monitor wakes up.
LAG_INTERVAL_SECONDS = 0.5


def platform_label(name: str | None) -> str:
    return name if name in _KNOWN_PLATFORMS else "other"


def method_label(name: str | None) -> str:
    return name if name in _KNOWN_METHODS else "none"


def tool_label(name: str | None) -> str:
    return name if name in TOOLS else "other"


def verdict_label(name: str | None) -> str:
    return name if name in VERDICTS else "other"


def _build_version() -> str:
    try:
        return version("boss-bot")
    except PackageNotFoundError:
        return "unknown"


class Telemetry:
    """The metric objects on one registry; see the module docstring for the series."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.jobs = Counter(
            "boss_jobs", "Finished jobs by platform, download method and outcome.",
            ["platform", "method", "outcome"], registry=r,
        )  # fmt: skip
        self.tool_attempts = Counter(
            "boss_tool_attempts", "Each tool's try in a job's tool chain, by platform, tool and "
            "outcome (success, failed: the next tool's turn, definitive, transient).",
            ["platform", "tool", "outcome"], registry=r,
        )  # fmt: skip
        self.download_seconds = Histogram(
            "boss_download_seconds", "Time spent downloading one job.",
            ["platform", "method"], buckets=_SECONDS, registry=r,
        )  # fmt: skip
        self.compression_seconds = Histogram(
            "boss_compression_seconds", "Time spent re-encoding one job's files.",
            ["platform"], buckets=_SECONDS, registry=r,
        )  # fmt: skip
        self.upload_seconds = Histogram(
            "boss_upload_seconds", "Time spent posting one job's batches.",
            ["platform"], buckets=_SECONDS, registry=r,
        )  # fmt: skip
        self.downloaded_bytes = Counter(
            "boss_downloaded_bytes", "Bytes downloaded.", ["platform"], registry=r
        )
        self.uploaded_bytes = Counter(
            "boss_uploaded_bytes", "Bytes posted to Discord.", ["platform"], registry=r
        )
        self.compression_ratio = Histogram(
            "boss_compression_ratio", "Final / original bytes of a job's compressed files.",
            buckets=_RATIO, registry=r,
        )  # fmt: skip
        self.queue_depth = Gauge(
            "boss_queue_depth", "Jobs in the store by active status (read at scrape time).",
            ["status"], registry=r,
        )  # fmt: skip
        self.queue_oldest_age = Gauge(
            "boss_queue_oldest_age_seconds", "Age of the oldest queued job (0: none queued).",
            registry=r,
        )  # fmt: skip
        self.store_up = Gauge(
            "boss_store_up", "1 when the store answered the last scrape.", registry=r
        )
        self.active_downloads = Gauge(
            "boss_active_downloads", "Downloads running in this process.", registry=r
        )
        self.active_encodes = Gauge(
            "boss_active_encodes", "Compressions running in this process.", registry=r
        )
        self.discord_413 = Counter(
            "boss_discord_upload_too_large", "Batches Discord refused as too large (413/40005).",
            registry=r,
        )  # fmt: skip
        self.discord_retries = Counter(
            "boss_discord_retries", "Discord uploads retried, by reason.", ["reason"], registry=r
        )
        self.jobs_stalled_total = Counter(
            "boss_jobs_stalled", "Jobs seen stalled (longer in one stage than it allows), by "
            "stage; each job and stage once.", ["stage"], registry=r,
        )  # fmt: skip
        self.jobs_stalled = Gauge(
            "boss_jobs_stalled_now", "Jobs of this process stalled now.", registry=r
        )
        self.download_retries = Counter(
            "boss_download_retries", "Download attempts retried after a transient error.",
            ["platform"], registry=r,
        )  # fmt: skip
        self.loop_lag = Histogram(
            "boss_event_loop_lag_seconds",
            f"How late a {LAG_INTERVAL_SECONDS} s sleep on the event loop wakes up.",
            buckets=_LAG, registry=r,
        )  # fmt: skip
        self.build_info = Gauge(
            "boss_build_info", "Always 1; the labels say what runs.", ["version", "python"],
            registry=r,
        )  # fmt: skip
        self.build_info.labels(_build_version(), _platform.python_version()).set(1)
        for status in _ACTIVE:
            self.queue_depth.labels(status).set(0)
        self._lag_tasks: dict[int, asyncio.Task[None]] = {}

    # -- what the pipeline and the bot call ----------------------------------------------------
    def observe_job(self, m: JobMetrics) -> None:
        """One finished job (the same :class:`JobMetrics` row the store records)."""
        platform, method = platform_label(m.platform), method_label(m.method)
        self.jobs.labels(platform, method, m.outcome or "unknown").inc()
        for attempt in m.tool_attempts:
            self.tool_attempts.labels(
                platform, tool_label(attempt.tool), verdict_label(attempt.verdict)
            ).inc()
        # A transient try followed by another was retried (the last one, if transient, ran
        # out of attempts).
        if retried := sum(a.verdict == "transient" for a in m.tool_attempts[:-1]):
            self.download_retries.labels(platform).inc(retried)
        if m.download_seconds is not None:
            self.download_seconds.labels(platform, method).observe(m.download_seconds)
        if m.bytes_downloaded:
            self.downloaded_bytes.labels(platform).inc(m.bytes_downloaded)
        if m.compression_seconds is not None:
            self.compression_seconds.labels(platform).observe(m.compression_seconds)
        if m.compression_ratio is not None:
            self.compression_ratio.observe(m.compression_ratio)
        if m.upload_seconds is not None:
            self.upload_seconds.labels(platform).observe(m.upload_seconds)
        if m.bytes_uploaded:
            self.uploaded_bytes.labels(platform).inc(m.bytes_uploaded)

    def upload_too_large(self) -> None:
        """Discord refused a batch as too large (HTTP 413 / JSON code 40005)."""
        self.discord_413.inc()

    def discord_retry(self, reason: str = "too_large") -> None:
        """An upload to Discord is being tried again (``too_large``: refitted after a 413;
        ``rate_limited`` / ``server_error``: discord.py retries by itself)."""
        self.discord_retries.labels(reason).inc()

    @contextlib.contextmanager
    def active_download(self) -> Iterator[None]:
        with self.active_downloads.track_inprogress():
            yield

    @contextlib.contextmanager
    def active_encode(self) -> Iterator[None]:
        with self.active_encodes.track_inprogress():
            yield

    # -- scrape time ---------------------------------------------------------------------------
    async def collect_store(self, store: Store, *, timeout: float = 2.0) -> bool:
        """Read queue depth and the oldest queued job's age from the store (one query).

        Called by ``/metrics`` before rendering, so the numbers are as fresh as the scrape
        and every process reading the same store reports the same queue. False (and
        ``boss_store_up 0``) when the store does not answer in time.
        """
        from sqlalchemy import func, select

        from boss_bot.core.store.schema import JobRow

        query = (
            select(JobRow.status, func.count(), func.min(JobRow.created_at))
            .where(JobRow.status.in_(_ACTIVE))
            .group_by(JobRow.status)
        )
        try:
            async with asyncio.timeout(timeout):
                async with store.engine.connect() as conn:
                    rows = (await conn.execute(query)).all()
        except Exception as exc:  # the scrape must still answer: store_up says what happened
            log.warning("metrics: store unreachable: %s", type(exc).__name__)
            self.store_up.set(0)
            return False
        found = {status: (count, oldest) for status, count, oldest in rows}
        for status in _ACTIVE:
            self.queue_depth.labels(status).set(found.get(status, (0, None))[0])
        oldest = found.get("queued", (0, None))[1]
        self.queue_oldest_age.set(max(0.0, time.time() - oldest) if oldest is not None else 0.0)
        self.store_up.set(1)
        return True

    def render(self) -> bytes:
        """The text exposition format of every series."""
        return generate_latest(self.registry)

    def value(self, name: str, labels: dict[str, str] | None = None) -> float:
        """One sample's current value (0.0 when absent): for tests and ``bossctl``."""
        got = self.registry.get_sample_value(name, labels or {})
        return 0.0 if got is None else got

    # -- event-loop lag ------------------------------------------------------------------------
    def start_loop_monitor(self, interval: float = LAG_INTERVAL_SECONDS) -> asyncio.Task[None]:
        """Start (once per event loop) the task that measures how late the loop wakes up.

        A blocked loop (a sync call that should have been offloaded) shows up here first:
        every status edit, gateway heartbeat and HTTP request waits behind it.
        """
        loop = asyncio.get_running_loop()
        task = self._lag_tasks.get(id(loop))
        if task is None or task.done():
            task = loop.create_task(self._watch_lag(interval), name="boss-loop-lag")
            self._lag_tasks[id(loop)] = task
        return task

    async def stop_loop_monitor(self) -> None:
        task = self._lag_tasks.pop(id(asyncio.get_running_loop()), None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch_lag(self, interval: float) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(interval)
            self.loop_lag.observe(max(0.0, loop.time() - start - interval))


__all__ = [
    "CONTENT_TYPE",
    "Telemetry",
    "method_label",
    "platform_label",
    "tool_label",
    "verdict_label",
]
