"""Distributed mode: does a second worker double the throughput, and what does the split cost?

Run by hand (`make test` runs only ``--smoke``; needs redis-server and PostgreSQL, as `make setup`
installs)::

    .venv/bin/python bench/scale.py [--jobs 40] [--users 4] [--runs 10] [--smoke]

Starts, all on this machine: the local media server with a ~5 MB clip of noise (so it really
has to be re-encoded), a throwaway PostgreSQL cluster and redis-server, the Discord test double
with one tier-0 guild whose real per-file limit is 4 MiB (and that limit pre-seeded in the store
as if learnt from an earlier 413, so every clip is compressed once, without a refused upload
first), and the real ``BossBot`` in distributed mode (QUEUE_BACKEND=redis) in this process.
Workers are ``python -m boss_bot worker`` subprocesses (WORKER_CONCURRENCY=1 each), started
fresh for each configuration and warmed with a few small images before timing.

**Throughput.** ``--jobs`` clip requests (each its own URL, so history never answers one) from
``--users`` users, posted at once; jobs/min from the first user message to the last posted
attachment. Four rows (``--configs``): 1 then 2 workers, first with COMPRESSION_FFMPEG_THREADS=0
(x264 uses every core of this machine for one encode, so two workers share the same cores), then
with COMPRESSION_FFMPEG_THREADS=1 (each worker's encode on one core: one core per machine,
emulated). Prints the ratio 2-worker / 1-worker for each (goal ≥ 1.7×). Each row also says how
many CPU-seconds a job cost (the bot, workers, encoders, PostgreSQL, Redis and the double
together) and how much of the machine's CPU *other* processes took meanwhile: on a shared
machine a row measured while something else ran is marked as such rather than silently slower.

**Overhead.** A small JPEG, ``--runs`` times one after another (after untimed warm-ups), from
the user's message to the double storing the bot's message with the attachment: the embedded
bot (QUEUE_BACKEND=local, SQLite) vs distributed (one warm worker). Prints both medians and the
difference (goal ≤ 100 ms).

Checks, reported as FAIL lines (nothing is asserted): every status message ends ✅ without
having shown another outcome first, every file is posted exactly once and under the limit, and
the double answered no 413. When no job changes state for WATCHDOG_SECONDS (30 s) a watchdog
dumps the stacks of the bot (this process: threads and asyncio tasks, into stacks-*.txt) and
of every worker (SIGUSR1: each prints its threads and asyncio tasks into its log); a batch
that stops making progress for STALL_SECONDS is given up and its unfinished jobs listed.
``--repeat N`` runs the configurations N times over, to look for a stall that shows up
rarely. ``--keep`` keeps the temp dir with the bot's and each worker's log.

``--smoke`` (what `make test` runs): one configuration (1 worker, threads=0), 2 clip jobs of a
1 s clip (still over the limit, so compressed), one warm-up and one overhead run per mode; no
figure judged, but any FAIL line (a job not ✅, lost or posted twice, a 413, a batch given up)
exits non-zero.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import faulthandler
import logging
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.discord_double import DiscordDouble, Guild, StoredMessage, User  # noqa: E402
from tests.support.media import make_jpeg, make_mp4  # noqa: E402
from tests.support.media_server import MediaServer  # noqa: E402
from tests.support.postgres import fresh_database, postgres_server  # noqa: E402
from tests.support.postgres import unavailable_reason as pg_unavailable  # noqa: E402
from tests.support.redis import redis_server  # noqa: E402
from tests.support.redis import unavailable_reason as redis_unavailable  # noqa: E402

from boss_bot.bot.client import BossBot  # noqa: E402
from boss_bot.cli.diagnostics import print_tasks  # noqa: E402
from boss_bot.core.distributed import Tickets  # noqa: E402
from boss_bot.core.settings import BossSettings  # noqa: E402
from boss_bot.core.store import open_store  # noqa: E402
from boss_bot.core.store.queue import Job  # noqa: E402

MIB = 1024 * 1024
#: The guild's real per-file limit, also pre-seeded as its learnt limit.
LIMIT = 4 * MIB
FINAL_MARKS = ("✅", "❌", "🚫")
#: Settings the bot and the workers share (besides the per-run URLs): no quota gets in the way.
QUOTAS = {"user_rate_limit": 0, "max_queued_per_user": 1000, "max_queue_size": 1000}
WORKER_START_TIMEOUT = 60.0
#: A batch is given up when nothing was posted or finished for this long.
STALL_SECONDS = 60.0
#: No job changing state for this long: the watchdog dumps every process's stacks (once per
#: batch: SIGUSR1 to each worker, which prints its threads and tasks to its log; the bot's own
#: threads and tasks to stacks-*.txt in the work dir), then the batch goes on until
#: STALL_SECONDS.
WATCHDOG_SECONDS = 30.0


@dataclass
class Media:
    server: MediaServer
    clip: Path
    photo: Path
    _n: collections.Counter[str] = field(default_factory=collections.Counter)

    def clip_urls(self, tag: str, n: int) -> list[str]:
        """``n`` new URLs of the clip (distinct names, so no request is a repeat)."""
        return [self._url(tag, self.clip, "mp4", "video/mp4") for _ in range(n)]

    def photo_url(self, tag: str) -> str:
        return self._url(tag, self.photo, "jpg", "image/jpeg")

    def _url(self, tag: str, path: Path, ext: str, ctype: str) -> str:
        self._n[tag] += 1
        return self.server.add_file(f"{tag}-j{self._n[tag]:03d}.{ext}", path, ctype)


def stem(url: str) -> str:
    return url.rsplit("/", 1)[1].rsplit(".", 1)[0]


def final(message: StoredMessage | None) -> bool:
    """The status message shows an outcome."""
    return message is not None and any(ln[:1] in FINAL_MARKS for ln in message.content.split("\n"))


# --- the Discord side -----------------------------------------------------------------------


class Scene:
    """The double, its one guild and users, and a bot connected to it."""

    def __init__(self, double: DiscordDouble, guild: Guild, users: list[User]) -> None:
        self.double = double
        self.guild = guild
        self.users = users
        self.channel = guild.default_channel_id
        self.bot: BossBot | None = None
        self.task: asyncio.Task[None] | None = None

    async def job(self, job_id: str) -> Job | None:
        assert self.bot is not None
        return await self.bot.store.queue.get(job_id)

    async def start_bot(self, settings: BossSettings) -> None:
        self.bot = BossBot(settings, guild_ready_timeout=0.1)
        self.task = asyncio.create_task(self.bot.start(self.double.token))
        await self.double.wait_for_gateway(timeout=30)
        await asyncio.wait_for(self.bot.wait_until_ready(), 30)

    async def stop_bot(self) -> None:
        if self.bot is not None:
            await self.bot.close()
        if self.task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self.task, 30)

    async def say(self, text: str, user: User) -> tuple[int, float]:
        """A user's message; returns its id and the monotonic time just before it was sent."""
        at = time.monotonic()
        payload = await self.double.send_user_message(self.channel, user.id, text)
        return int(payload["id"]), at

    def statuses(self, asked: int) -> list[StoredMessage]:
        """The bot's status replies to a user's message (one, unless something went wrong)."""
        return [
            m
            for m in self.double.bot_messages(self.channel)
            if m.reference and int(m.reference["message_id"]) == asked and "Job `" in m.content
        ]

    def status(self, asked: int) -> StoredMessage | None:
        """The status reply that shows an outcome, else the first one."""
        found = self.statuses(asked)
        return next((m for m in found if final(m)), found[0] if found else None)

    def posts_of(self, stems: list[str]) -> dict[str, list[StoredMessage]]:
        """The bot's messages carrying an attachment named after each stem."""
        found: dict[str, list[StoredMessage]] = {s: [] for s in stems}
        for m in self.double.bot_messages(self.channel):
            for a in m.attachments:
                for s in stems:
                    if a.filename.startswith(s + ".") or a.filename.startswith(s + " "):
                        found[s].append(m)
        return found

    def refused(self) -> int:
        return sum(1 for r in self.double.requests_to("POST", "/channels/*/messages")
                   if r.status == 413)  # fmt: skip


@dataclass
class Outcome:
    """What one batch of requests did."""

    elapsed: float  # first user message → last attachment stored
    per_job: list[float]  # each request's message → its attachment
    problems: list[str]
    #: The watchdog fired (no state change for WATCHDOG_SECONDS) and dumped the stacks.
    stalled: bool = False


async def run_batch(
    scene: Scene,
    urls: list[str],
    *,
    timeout: float,
    on_stall: Callable[[], Awaitable[None]] | None = None,
) -> Outcome:
    """Post ``$download <url>`` for every URL (round-robin over the users), wait until each file
    is posted and each status shows an outcome, and check each file was posted once, under the
    limit, and that each status went straight to ✅."""
    asked: list[tuple[int, float]] = []
    users = scene.users
    for i, url in enumerate(urls):
        asked.append(await scene.say(f"$download {url}", users[i % len(users)]))
    ids = [a for a, _ in asked]
    stems = [stem(u) for u in urls]

    def settled() -> bool:
        posts = scene.posts_of(stems)
        return all(posts.values()) and all(final(scene.status(m)) for m in ids)

    def progress() -> int:
        posts = scene.posts_of(stems)
        return sum(1 for s in stems if posts[s]) + sum(1 for m in ids if final(scene.status(m)))

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    moved, seen, dumped = loop.time(), -1, False
    while True:
        try:
            await scene.double.wait_until(settled, 5)
            break
        except TimeoutError:
            now, done = loop.time(), progress()
            if done != seen:
                moved, seen = now, done
            if now - moved >= WATCHDOG_SECONDS and not dumped and on_stall is not None:
                dumped = True
                await on_stall()
            if now < deadline and now - moved < STALL_SECONDS:
                continue
        posts = scene.posts_of(stems)
        stuck = [f"{s}: not posted" for s in stems if not posts[s]]
        for m in ids:
            st = scene.status(m)
            if st is None:
                stuck.append(f"message {m}: no status reply")
            elif not final(st):
                job = await scene.job(st.content.split("`")[1])
                stuck.append(f"{st.content.splitlines()[-1]!r} ({len(st.edits)} edits; "
                             f"job {job.status if job else '?'})")  # fmt: skip
        why = "no progress for %.0f s" % (now - moved) if now < deadline else f"{timeout:.0f} s"
        return Outcome(0.0, [], [f"gave up ({why}):", *stuck], stalled=dumped)
    await asyncio.sleep(1.0)  # the last status edits
    problems = []
    early: collections.Counter[str] = collections.Counter()
    extra: collections.Counter[str] = collections.Counter()
    for m in ids:
        st = scene.status(m)
        assert st is not None
        for other in scene.statuses(m):
            if other.id != st.id:
                extra[other.content.splitlines()[-1]] += 1
        last = st.content.splitlines()[-1]
        if "✅" not in st.content:
            job = await scene.job(st.content.split("`")[1])
            why = f" (job {job.status}, {job.error_code}: {job.error_message})" if job else ""
            problems.append(f"not ✅: {last!r}{why}")
        # A status that showed an outcome before the one it ends with.
        for edit in st.edits[:-1]:
            marks = [ln for ln in edit.content.split("\n") if ln[:1] in ("❌", "🚫")]
            if marks and "✅" in st.content:
                early[marks[0]] += 1
                break
    for text, n in extra.items():
        problems.append(f"{n} request(s) got a second status message; the other one stayed at "
                        f"{text!r}")  # fmt: skip
    for text, n in early.items():
        problems.append(f"{n} status message(s) first showed {text!r}, then ✅ once a worker "
                        "had run the job")  # fmt: skip
    posts = scene.posts_of(stems)
    per_job = []
    for s, (_, sent) in zip(stems, asked, strict=True):
        found = posts[s]
        if len(found) != 1:
            problems.append(f"{s}: posted {len(found)} times")
        big = [a for m in found for a in m.attachments if a.size > LIMIT]
        if big:
            problems.append(f"{s}: {big[0].size} B is over the {LIMIT} B limit")
        if found:
            per_job.append(found[0].created_monotonic - sent)
    last_post = max(m.created_monotonic for ms in posts.values() for m in ms)
    if dumped:
        problems.append(f"watchdog: no job changed state for {WATCHDOG_SECONDS:.0f} s "
                        "(stacks dumped; the batch then finished)")  # fmt: skip
    return Outcome(last_post - asked[0][1], per_job, problems, stalled=dumped)


# --- workers ---------------------------------------------------------------------------------


@dataclass
class Worker:
    proc: asyncio.subprocess.Process
    log: Path


class Workers:
    """``python -m boss_bot worker`` subprocesses, each with its own directories."""

    def __init__(self, base_env: dict[str, str], tmp: Path, tickets: Tickets) -> None:
        self.base_env = base_env
        self.tmp = tmp
        self.tickets = tickets
        self.running: list[Worker] = []
        self._n = 0

    async def start(self, **env: str) -> Worker:
        self._n += 1
        root = self.tmp / f"worker{self._n}"
        root.mkdir(parents=True)
        full = {**self.base_env, "DOWNLOAD_DIR": str(root / "dl"),
                "DATA_DIR": str(root / "data"), **env}  # fmt: skip
        log = root / "worker.log"
        with log.open("ab") as sink:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "boss_bot", "worker",
                env=full, cwd=root, stdout=sink, stderr=sink,
            )  # fmt: skip
        worker = Worker(proc, log)
        self.running.append(worker)
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while not any(f":{proc.pid}:" in n for n in await self.tickets.health()):
            if proc.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not report in:\n{self.tail(worker)}")
            await asyncio.sleep(0.1)
        return worker

    async def dump_stacks(self, work: Path, say: Callable[[str], None]) -> None:
        """The watchdog's dump: every worker's threads and tasks (SIGUSR1: into its log) and this
        process's own threads and asyncio tasks (the bot runs here) into a file."""
        for w in self.running:
            with contextlib.suppress(ProcessLookupError):
                w.proc.send_signal(signal.SIGUSR1)
        path = work / f"stacks-{time.strftime('%H%M%S')}.txt"
        with path.open("w") as out:
            faulthandler.dump_traceback(file=out, all_threads=True)
            print_tasks(out)  # what a worker prints on SIGUSR1
        say(
            f"    watchdog: no job changed state for {WATCHDOG_SECONDS:.0f} s; stacks in "
            f"{path} and each worker's log ({', '.join(str(w.log) for w in self.running)})"
        )

    @staticmethod
    def tail(worker: Worker) -> str:
        return worker.log.read_text(errors="replace")[-3000:]

    async def stop_all(self) -> None:
        for w in self.running:
            with contextlib.suppress(ProcessLookupError):
                w.proc.send_signal(signal.SIGTERM)
        for w in self.running:
            try:
                await asyncio.wait_for(w.proc.wait(), 30)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    w.proc.kill()
                await w.proc.wait()
        self.running = []


# --- is anything else running? --------------------------------------------------------------


class CpuMeter:
    """CPU seconds used by this benchmark's processes (this one, its descendants: the workers,
    their download processes and encoders, redis-server; and the PostgreSQL server) against the
    whole machine's, so a row measured while something else ran says so."""

    def __init__(self, pg_port: int) -> None:
        self.pg_port = pg_port

    def _ours(self) -> float:
        me = psutil.Process()
        procs = [me, *me.children(recursive=True)]
        for p in psutil.process_iter(["cmdline"]):
            cmd = p.info["cmdline"] or []
            if cmd and "postgres" in cmd[0] and f"-p {self.pg_port}" in " ".join(cmd):
                procs += [p, *p.children(recursive=True)]
        total = 0.0
        for p in procs:
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()  # (children_*: what its reaped children used)
                total += t.user + t.system + t.children_user + t.children_system
        return total

    @staticmethod
    def _machine() -> tuple[float, float]:
        t = psutil.cpu_times()
        return t.user + t.nice + t.system + t.irq + t.softirq, time.monotonic()

    def start(self) -> None:
        self._t0 = (self._ours(), *self._machine())

    def stop(self) -> tuple[float, float]:
        """CPU seconds this benchmark used since start(), and the share of the machine's CPU
        capacity that other processes used meanwhile (0..1)."""
        ours0, busy0, at0 = self._t0
        busy, at = self._machine()
        ours = self._ours() - ours0
        capacity = (at - at0) * (psutil.cpu_count() or 1)
        return ours, max(0.0, (busy - busy0) - ours) / capacity if capacity else 0.0


# --- the two measurements --------------------------------------------------------------------


@dataclass
class Row:
    label: str
    workers: int
    threads: int
    outcome: Outcome
    cpu: float  # CPU seconds the benchmark's processes used during the batch
    others: float  # share of the machine's CPU other processes used meanwhile (0..1)

    @property
    def cpu_per_job(self) -> float:
        return self.cpu / len(self.outcome.per_job) if self.outcome.per_job else 0.0

    @property
    def per_min(self) -> float:
        return len(self.outcome.per_job) / self.outcome.elapsed * 60 if self.outcome.elapsed else 0


def base_settings(work: Path, double: DiscordDouble, **extra: Any) -> BossSettings:
    return BossSettings(
        _env_file=None,  # type: ignore[call-arg]
        download_dir=work / "downloads",
        data_dir=work / "data",
        allow_private_network_urls=True,
        download_retry_base_delay_seconds=0.05,
        discord_api_base_url=double.api_base,
        discord_gateway_url=double.gateway_url,
        **QUOTAS,
        **extra,
    )


def new_scene(double: DiscordDouble, users: int) -> Scene:
    guild = double.add_guild("bench", premium_tier=0, real_limit_override=LIMIT)
    people = [double.add_user(f"user{i}") for i in range(users)]
    for u in people:
        double.add_member(guild.id, u.id)
    return Scene(double, guild, people)


async def distributed(
    args: argparse.Namespace, media: Media, pg_url: str, redis_url: str, work: Path,
    say: Callable[[str], None],
) -> tuple[list[Row], list[float], list[str]]:  # fmt: skip
    """The throughput rows and the distributed overhead runs."""
    database = await fresh_database(pg_url)
    async with DiscordDouble() as double:
        scene = new_scene(double, args.users)
        common = {"queue_backend": "redis", "redis_url": redis_url, "database_url": database}
        settings = base_settings(work / "bot", double, **common)
        store = await open_store(settings)  # (creates the schema)
        try:
            await store.limits.lower_to(scene.guild.id, LIMIT)  # as if learnt from a 413
        finally:
            await store.close()
        keep = ("PATH", "HOME", "LANG", "TMPDIR")
        base_env = {
            **{k: v for k, v in os.environ.items() if k in keep},
            **{k.upper(): str(v) for k, v in {**common, **QUOTAS}.items()},
            "DISCORD_TOKEN": double.token,
            "DISCORD_API_BASE_URL": double.api_base,
            "ALLOW_PRIVATE_NETWORK_URLS": "true",
            "DOWNLOAD_RETRY_BASE_DELAY_SECONDS": "0.05",
            "WORKER_CONCURRENCY": "1",
            "LOG_LEVEL": "INFO",
        }
        tickets = await Tickets.connect(settings)
        workers = Workers(base_env, work / "workers", tickets)
        rows: list[Row] = []
        problems: list[str] = []
        cpu = CpuMeter(int(pg_url.rsplit(":", 1)[1].split("/")[0]))
        await scene.start_bot(settings)
        try:
            for count, threads in args.configs:
                label = f"{count} worker{'s' if count > 1 else ' '}, ffmpeg threads={threads}"
                for _ in range(count):
                    await workers.start(COMPRESSION_FFMPEG_THREADS=str(threads))
                tag = f"w{count}t{threads}"
                # Warm-up: each worker's download process loads yt-dlp's extractors once.
                warm = [
                    media.photo_url(f"{tag}warm") for _ in range((1 if args.smoke else 2) * count)
                ]
                await run_batch(scene, warm, timeout=120)
                say(f"  {label}: {args.jobs} jobs ...")
                urls = media.clip_urls(tag, args.jobs)
                cpu.start()
                out = await run_batch(
                    scene, urls, timeout=60 + 10 * args.jobs,
                    on_stall=lambda: workers.dump_stacks(work, say),
                )  # fmt: skip
                row = Row(label, count, threads, out, *cpu.stop())
                rows.append(row)
                problems += [f"{label}: {p}" for p in out.problems]
                if not out.per_job:
                    say("    " + "\n      ".join(out.problems))
                say(f"    {out.elapsed:.1f} s, {row.per_min:.1f} jobs/min, "
                    f"{row.cpu_per_job:.1f} CPU-s/job; other processes used "
                    f"{row.others:.0%} of the CPU meanwhile")  # fmt: skip
                await workers.stop_all()
            # Overhead: one warm worker, a small image, one request at a time.
            await workers.start()
            for _ in range(1 if args.smoke else 2):
                await run_batch(scene, [media.photo_url("dwarm")], timeout=60)
            times = []
            for _ in range(args.runs):
                out = await run_batch(scene, [media.photo_url("dist")], timeout=60)
                problems += [f"distributed overhead: {p}" for p in out.problems]
                times += out.per_job
                await asyncio.sleep(0.3)  # the final status edit goes out
            if scene.refused():
                problems.append(f"{scene.refused()} upload(s) refused with 413")
        finally:
            await workers.stop_all()
            await scene.stop_bot()
            await tickets.close()
    return rows, times, problems


async def embedded(
    args: argparse.Namespace, media: Media, work: Path
) -> tuple[list[float], list[str]]:
    """The same small-image runs against the embedded bot (QUEUE_BACKEND=local, SQLite)."""
    async with DiscordDouble() as double:
        scene = new_scene(double, args.users)
        settings = base_settings(work / "embedded", double)
        await scene.start_bot(settings)
        problems: list[str] = []
        try:
            # One warm-up per warm download process (MAX_CONCURRENT_DOWNLOADS, 3), and one more.
            for _ in range(1 if args.smoke else settings.max_concurrent_downloads + 1):
                await run_batch(scene, [media.photo_url("ewarm")], timeout=60)
            times = []
            for _ in range(args.runs):
                out = await run_batch(scene, [media.photo_url("emb")], timeout=60)
                problems += [f"embedded overhead: {p}" for p in out.problems]
                times += out.per_job
                await asyncio.sleep(0.3)
        finally:
            await scene.stop_bot()
    return times, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=40, help="clip jobs per configuration")
    parser.add_argument("--users", type=int, default=4, help="users the jobs come from")
    parser.add_argument("--runs", type=int, default=10, help="small-image runs per mode")
    parser.add_argument("--size", default="640x360", help="the clip's frame size")
    parser.add_argument("--seconds", type=float, default=3.0, help="the clip's duration")
    parser.add_argument("--bitrate", default="11500k", help="the clip's video bitrate (~5 MB)")
    parser.add_argument(
        "--configs",
        default="1:0,2:0,1:1,2:1",
        help="throughput configurations, workers:COMPRESSION_FFMPEG_THREADS, comma-separated",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temp dir (worker and bot logs) and say where"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="1 worker, 2 small jobs, no figure judged (make test)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, metavar="N",
        help="run the configurations N times over (e.g. --configs 1:1 --repeat 20 --runs 0 to "
        "look for stalls: the watchdog dumps stacks when no job changes state for 30 s)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.smoke:
        args.jobs, args.users, args.runs, args.configs = 2, 2, 1, "1:0"
        args.seconds, args.bitrate = 1.0, "40000k"
    args.configs = [tuple(int(x) for x in c.split(":")) for c in args.configs.split(",") if c]
    args.configs *= max(1, args.repeat)
    for reason in (pg_unavailable(), redis_unavailable()):
        if reason:
            sys.exit(f"cannot run: {reason} (make setup installs it)")

    started = time.monotonic()

    def say(text: str) -> None:
        print(f"[{time.monotonic() - started:5.0f} s] {text}", flush=True)

    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    if args.keep:
        logging.basicConfig(
            filename=work / "bot.log",
            level=logging.INFO,
            format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        )
        logging.getLogger("discord").setLevel(logging.WARNING)
    server = MediaServer()
    try:
        clip = make_mp4(work / "clip.mp4", seconds=args.seconds, size=args.size, noise=True,
                        bitrate=args.bitrate)  # fmt: skip
        photo = make_jpeg(work / "photo.jpg", size=(320, 240), seed=7)
        media = Media(server, clip, photo)
        clip_mb = clip.stat().st_size / 1e6
        server.start()
        say(f"clip: {clip.stat().st_size / 1e6:.1f} MB ({args.size}, {args.seconds:g} s of "
            f"noise), limit {LIMIT / MIB:.0f} MiB; photo: {photo.stat().st_size / 1e3:.0f} kB; "
            f"{os.cpu_count()} CPU(s)")  # fmt: skip
        with postgres_server() as pg_url, redis_server(appendonly=False) as redis:
            say("distributed: PostgreSQL, redis-server, the double and the bot up")
            rows, dist, problems = asyncio.run(distributed(args, media, pg_url, redis.url, work,
                                                           say))  # fmt: skip
        say("embedded: the bot on SQLite")
        emb, more = asyncio.run(embedded(args, media, work))
        problems += more
        say("done")
    finally:
        server.stop()
        if args.keep:
            print(f"kept {work} (workers/*/worker.log, bot.log)")
        else:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"throughput: {args.jobs} clip jobs each ({clip_mb:.1f} MB of noise → ≤ 4 MiB), "
          f"{args.users} users, WORKER_CONCURRENCY=1, all on this {os.cpu_count()}-core "
          "machine")  # fmt: skip
    print(f"  {'configuration':<34} {'wall':>8} {'jobs/min':>9} {'job p50':>8} {'job max':>8}"
          f" {'CPU-s/job':>10} {'others':>7}")  # fmt: skip
    for row in rows:
        o = row.outcome
        p50 = statistics.median(o.per_job) if o.per_job else 0
        mx = max(o.per_job, default=0)
        print(f"  {row.label:<34} {o.elapsed:7.1f}s {row.per_min:9.1f} {p50:7.1f}s {mx:7.1f}s"
              f" {row.cpu_per_job:10.1f} {row.others:6.0%}")  # fmt: skip
    if args.repeat > 1:
        fired = [i + 1 for i, r in enumerate(rows) if r.outcome.stalled]
        print(
            f"  watchdog (no job changed state for {WATCHDOG_SECONDS:.0f} s): fired in "
            f"{len(fired)} of {len(rows)} batches{f' (batches {fired})' if fired else ''}"
        )
    busy = any(r.others > 0.05 for r in rows)
    print("  (job p50/max: a user's message → its file posted. CPU-s/job: CPU time of the bot,"
          " workers, encoders, PostgreSQL, Redis and the double per job. others: the share of"
          " the machine's CPU other processes used during the batch"
          + ("; rows above 5 % were measured on a busy machine)" if busy else ")"))  # fmt: skip
    for threads, what in ((0, "x264 on all cores: 2 workers share them"),
                          (1, "one core per worker: one machine each, emulated")):  # fmt: skip
        pair = {r.workers: r for r in rows if r.threads == threads}
        if 1 in pair and 2 in pair and pair[1].per_min:
            ratio = pair[2].per_min / pair[1].per_min
            verdict = "ok" if ratio >= 1.7 else "FAIL"
            if args.smoke:
                verdict = "not judged: smoke run"
            elif max(pair[1].others, pair[2].others) > 0.05:
                verdict = "not judged: measured on a busy machine, run again"
            print(f"  ratio 2 / 1 workers, COMPRESSION_FFMPEG_THREADS={threads} ({what}): "
                  f"{ratio:.2f}×  (goal ≥ 1.7×: {verdict})")  # fmt: skip
    print()
    if dist and emb:
        d, e = statistics.median(dist), statistics.median(emb)
        verdict = "ok" if d - e <= 0.1 else "FAIL"
        if args.smoke:
            verdict = "not judged: smoke run"
        print(f"overhead, small image, message → posted ({args.runs} runs each, medians):")
        spread = lambda xs: f"(min {min(xs) * 1000:.0f}, max {max(xs) * 1000:.0f})"  # noqa: E731
        print(f"  embedded (QUEUE_BACKEND=local, SQLite):          {e * 1000:6.0f} ms  "
              f"{spread(emb)}")  # fmt: skip
        print(f"  distributed (redis + PostgreSQL, 1 warm worker): {d * 1000:6.0f} ms  "
              f"{spread(dist)}")  # fmt: skip
        print(f"  difference: {(d - e) * 1000:+.0f} ms  (goal ≤ 100 ms: {verdict})")
    print()
    if problems:
        print("FAIL: " + "\n  ".join(problems))
        if args.smoke:
            sys.exit("smoke run FAILED")
    else:
        print("every job ✅, every file posted exactly once and under the limit, no 413")


if __name__ == "__main__":
    main()
