"""The bot under load. Run by hand (`make test` runs only its ``--smoke`` mode)::

    .venv/bin/python bench/load.py [--users 12] [--requests 60] [--spread 5] [--smoke]

Starts the local media server and the Discord test double in this process, and the real bot in a
child process (``BossBot`` exactly as ``bossctl run`` builds it, from environment settings with
their defaults: 3 downloads, 2 encodes at once), with a 10 ms ticker on the bot's event loop.
Then ``--users`` users post ``--requests`` ``$download`` commands within ``--spread`` seconds,
in a tier-0 guild (10 MiB per file), a fixed shuffle of:

* half small JPEG photos (~120 KB, posted as they are);
* a third 5 MB clips (under the limit: posted as they are);
* a sixth 25 MB clips of noise (over the limit: compressed to fit).

Every request has its own URL (so nothing is answered from history). When every status message
shows an outcome it prints:

* completions and failures, and whether every job was posted exactly once and whole (the
  sha256 of every file posted as it is; the compressed clips one file under 10 MiB), with no
  413 from the double;
* throughput, and the time from a user's message to their post (p50 / p95 / max, by kind);
* the concurrency caps seen held: most downloads at once (the bot's ``boss_active_downloads``
  gauge, read by the ticker) and most x264 encoders at once (processes seen from outside; the
  ``boss_active_encodes`` gauge also counts jobs waiting for an encode slot, so it is shown
  apart);
* fairness: each user's first completion, after the first request;
* the event loop's lag (how late the 10 ms ticker woke: p50 / p99 / max, while jobs ran), and
  for the latest ticks how much CPU the loop's thread used in them (little CPU in a late tick:
  the thread was waiting for a core, not running code);
* peak RSS of the bot process, of its warm workers, of its encoders and of the whole tree
  (sampled every 100 ms; summed RSS counts shared pages once per process).

Goals (issue 7): all complete with no 413; max loop lag ≤ 50 ms (stretch 10 ms); bot RSS
≤ 250 MB. Prints the figures; asserts nothing (but says FAIL next to a missed goal).
``--nice-encoders 10`` renices the bot's ffmpeg processes as soon as they are seen (an
experiment: does the loop lag come from two encoders starving the bot of CPU?).

``--smoke`` (what `make test` runs): 2 users, 6 requests (3 photos, 2 small clips, one 13 MiB
clip that must be compressed) with small media, a 60 s timeout, no figure judged; but a job that
fails or is never posted, a double post, a file not whole, a 413, a concurrency cap exceeded, a
traceback in the bot's log or a bot that does not stop cleanly exits non-zero.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TICK = 0.010  # the lag ticker's period
MIB = 1024 * 1024


# --- the bot (child process) ------------------------------------------------------------------


def child() -> None:
    """`bossctl run`, plus a 10 ms ticker that records loop lag and the active gauges."""
    import logging

    import discord

    from boss_bot.bot.client import BossBot
    from boss_bot.core.logs import configure_logging
    from boss_bot.core.settings import BossSettings
    from boss_bot.core.telemetry import Telemetry

    settings = BossSettings(_env_file=None)  # type: ignore[call-arg]
    configure_logging(settings)
    logging.getLogger("discord").setLevel(logging.WARNING)
    discord.VoiceClient.warn_nacl = False
    stats = Path(os.environ["BENCH_STATS"])
    # (monotonic, lag, downloads, encodes, CPU seconds the loop's thread used in the tick)
    samples: list[tuple[float, float, int, int, float]] = []

    def gauge(g: object) -> int:
        return int(g._value.get())  # type: ignore[attr-defined]  # prometheus_client internals

    async def ticker(telemetry: Telemetry) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start, cpu = loop.time(), time.thread_time()
            await asyncio.sleep(TICK)
            now = loop.time()
            samples.append(
                (now, now - start - TICK, gauge(telemetry.active_downloads),
                 gauge(telemetry.active_encodes), time.thread_time() - cpu)
            )  # fmt: skip

    gc_pauses: list[float] = []
    diagnose = bool(os.environ.get("BENCH_DIAGNOSE"))
    if diagnose:
        import gc

        started: list[float] = []

        def on_gc(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                started[:] = [time.perf_counter()]
            elif started and info.get("generation") == 2:
                gc_pauses.append(time.perf_counter() - started[0])
                print(f"monotonic {time.monotonic():.3f}: gen-2 collection: "
                      f"{gc_pauses[-1] * 1000:.1f} ms ({info.get('collected')} freed)",
                      file=sys.stderr, flush=True)  # fmt: skip

        gc.callbacks.append(on_gc)

    async def main() -> None:
        bot = BossBot(settings)
        loop = asyncio.get_running_loop()
        if diagnose:  # asyncio logs every callback that runs over 20 ms
            loop.set_debug(True)
            loop.slow_callback_duration = 0.02
            logging.getLogger("asyncio").setLevel(logging.WARNING)
        loop.add_signal_handler(signal.SIGTERM, lambda: loop.create_task(bot.close()))
        tick = asyncio.create_task(ticker(bot.telemetry))
        async with bot:
            await bot.start(settings.discord_token.get_secret_value())  # type: ignore[union-attr]
        tick.cancel()

    asyncio.run(main())
    stats.write_text(json.dumps(samples))
    if gc_pauses:
        print(f"gen-2 collections: {len(gc_pauses)}, max {max(gc_pauses) * 1000:.1f} ms",
              file=sys.stderr)  # fmt: skip


# --- the load (parent) ------------------------------------------------------------------------


@dataclass
class Request:
    user: int
    kind: str  # photo, clip5, clip25
    url: str
    sha256: str
    channel: int = 0
    message_id: int = 0
    sent_at: float = 0.0
    posted_at: float | None = None
    outcome: str = ""
    posts: int = 0
    intact: bool = False


@dataclass
class Peaks:
    bot: int = 0
    workers: int = 0
    encoders: int = 0
    tree: int = 0
    x264: int = 0
    samples: int = 0
    errors: list[str] = field(default_factory=list)


def make_media(work: Path, smoke: bool = False) -> dict[str, Path]:
    from tests.support.media import make_jpeg, make_mp4

    print("making media …", flush=True)
    if smoke:  # the same kinds, small; the "clip25" is still over 10 MiB, so it is compressed
        return {
            "photo": make_jpeg(work / "photo.jpg", seed=3),
            "clip5": make_mp4(work / "clip5.mp4", seconds=1, size="320x240", noise=True,
                              bitrate="2000k"),
            "clip25": make_mp4(work / "clip25.mp4", seconds=2, size="640x360", noise=True,
                               bitrate="50000k"),
        }  # fmt: skip
    return {
        "photo": make_jpeg(work / "photo.jpg", seed=3),
        "clip5": make_mp4(work / "clip5.mp4", seconds=4, size="640x360", noise=True,
                          bitrate="9500k"),
        "clip25": make_mp4(work / "clip25.mp4", seconds=8, size="640x360", noise=True,
                           bitrate="25000k"),
    }  # fmt: skip


def plan(users: int, count: int, seed: int) -> list[tuple[int, str]]:
    kinds = ["photo"] * 3 + ["clip5"] * 2 + ["clip25"]
    mix = [kinds[i % len(kinds)] for i in range(count)]
    random.Random(seed).shuffle(mix)
    return [(i % users, kind) for i, kind in enumerate(mix)]


async def sample_memory(pid: int, peaks: Peaks, stop: asyncio.Event, nice: int) -> None:
    import psutil

    root = psutil.Process(pid)
    while not stop.is_set():
        try:
            bot = root.memory_info().rss
            workers = encoders = x264 = 0
            for child in root.children(recursive=True):
                try:
                    rss = child.memory_info().rss
                    if child.name() == "ffmpeg":
                        encoders += rss
                        x264 += "libx264" in child.cmdline()
                        if nice and child.nice() < nice:
                            child.nice(nice)
                    else:
                        workers += rss
                except psutil.Error:
                    continue
        except psutil.Error:
            return
        peaks.bot, peaks.workers = max(peaks.bot, bot), max(peaks.workers, workers)
        peaks.encoders, peaks.x264 = max(peaks.encoders, encoders), max(peaks.x264, x264)
        peaks.tree = max(peaks.tree, bot + workers + encoders)
        peaks.samples += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.1)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def run(args: argparse.Namespace, work: Path) -> list[str]:
    """Run the load and print the figures; returns what was broken (failed, lost or doubled
    jobs, 413s, an unclean stop), which only ``--smoke`` turns into a failing exit."""
    from tests.discord_double import DiscordDouble
    from tests.support.media_server import MediaServer

    broken: list[str] = []
    media = make_media(work, args.smoke)
    digests = {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in media.items()}
    sizes = {k: p.stat().st_size for k, p in media.items()}
    print("  " + ", ".join(f"{k} {v / MIB:.2f} MiB" for k, v in sizes.items()))
    server = MediaServer()
    requests: list[Request] = []
    for i, (user, kind) in enumerate(plan(args.users, args.requests, args.seed)):
        ext = ".jpg" if kind == "photo" else ".mp4"
        ctype = "image/jpeg" if kind == "photo" else "video/mp4"
        url = server.add_file(f"{kind}-{i:03d}{ext}", media[kind], ctype)
        requests.append(Request(user, kind, url, digests[kind]))
    server.start()

    double = DiscordDouble(storage_dir=work / "double")
    await double.start()
    proc: asyncio.subprocess.Process | None = None
    stop = asyncio.Event()
    peaks = Peaks()
    tasks: list[asyncio.Task[None]] = []
    try:
        guild = double.add_guild("load", premium_tier=0)
        channels = [guild.default_channel_id] + [
            double.add_text_channel(guild.id, f"chat{i}").id for i in range(2)
        ]
        users = [double.add_user(f"user{i:02d}") for i in range(args.users)]
        for u in users:
            double.add_member(guild.id, u.id)
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
        env.update(
            DISCORD_TOKEN=double.token,
            DISCORD_API_BASE_URL=double.api_base,
            DISCORD_GATEWAY_URL=double.gateway_url,
            DOWNLOAD_DIR=str(work / "dl"),
            DATA_DIR=str(work / "data"),
            ALLOW_PRIVATE_NETWORK_URLS="true",
            LOG_LEVEL="INFO",
            BENCH_STATS=str(work / "ticks.json"),
        )
        if args.diagnose:
            env["BENCH_DIAGNOSE"] = "1"
        log = work / "bot.log"
        with log.open("wb") as sink:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--child", env=env, stdout=sink, stderr=sink
            )
        started = time.monotonic()
        await double.wait_for_gateway(timeout=60)
        for _ in range(600):  # on_ready: the bot hears commands
            if "connected as" in log.read_text(errors="replace"):
                break
            await asyncio.sleep(0.1)
        print(f"bot ready in {time.monotonic() - started:.1f} s (pid {proc.pid})", flush=True)
        memory = asyncio.create_task(sample_memory(proc.pid, peaks, stop, args.nice_encoders))
        tasks.append(memory)

        gap = args.spread / max(1, len(requests) - 1)
        load_start = time.monotonic()
        for i, req in enumerate(requests):
            req.channel = channels[req.user % len(channels)]
            req.sent_at = time.monotonic()
            sent = await double.send_user_message(
                req.channel, users[req.user].id, f"$download {req.url}"
            )
            req.message_id = int(sent["id"])
            await asyncio.sleep(max(0.0, load_start + (i + 1) * gap - time.monotonic()))
        sent_in = time.monotonic() - load_start
        print(f"{len(requests)} requests from {args.users} users sent in {sent_in:.1f} s",
              flush=True)  # fmt: skip

        def outcome(req: Request) -> str:
            """The status message's outcome line ("" while the job runs)."""
            for m in double.bot_messages(req.channel):
                if m.reference and int(m.reference["message_id"]) == req.message_id:
                    if "Job `" not in m.content:  # refused: a one-line reply, no job
                        return "refused: " + m.content
                    for line in m.content.split("\n"):
                        if line[:1] in ("✅", "❌", "🚫"):
                            return line
            return ""

        def all_done() -> bool:
            return all(outcome(r) for r in requests)

        try:
            await double.wait_until(all_done, args.timeout)
        except TimeoutError:
            print(f"not all finished within {args.timeout:.0f} s  FAIL")
            broken.append(f"not all finished within {args.timeout:.0f} s")
        load_end = time.monotonic()
        await asyncio.sleep(0.5)  # the last status edits
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        if proc is not None and proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 60)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await double.stop()
        server.stop()

    # --- figures ------------------------------------------------------------------------------
    for req in requests:
        req.outcome = outcome(req)
        mine = [m for m in double.bot_messages(req.channel)
                if m.attachments and f"<{req.url}>" in m.content]  # fmt: skip
        req.posts = len(mine)
        if mine:
            req.posted_at = mine[0].created_monotonic
            att = mine[0].attachments
            req.intact = req.kind == "clip25" or (len(att) == 1 and att[0].sha256 == req.sha256)
            if req.kind == "clip25":
                req.intact = len(att) == 1 and att[0].size <= 10 * MIB
    flipped = 0  # status messages that said "Cancelled" before going on to finish
    for req in requests:
        for m in double.bot_messages(req.channel):
            if m.reference and int(m.reference["message_id"]) == req.message_id:
                seen = [e.content for e in m.edits]
                flipped += any("🚫" in c for c in seen) and "🚫" not in m.content
    done = [r for r in requests if r.outcome.startswith("✅")]
    failed = [r for r in requests if not r.outcome.startswith("✅")]
    refused_413 = [r for r in double.requests if r.status == 413]
    once = all(r.posts == 1 for r in requests)
    intact = all(r.intact for r in requests)
    elapsed = load_end - load_start
    posted_bytes = sum(a.size for r in requests for m in double.bot_messages(r.channel)
                       if f"<{r.url}>" in m.content for a in m.attachments)  # fmt: skip

    print()
    print(f"completed: {len(done)}/{len(requests)}   failures: {len(failed)}"
          + ("" if not failed else "  FAIL"))  # fmt: skip
    for r in failed[:5]:
        print(f"  {r.kind} user{r.user:02d}: {r.outcome or 'no outcome'}")
    if flipped:
        print(f"status messages that said 🚫 Cancelled, then finished anyway: {flipped}  FAIL")
    print(f"posted exactly once: {'yes' if once else 'NO  FAIL'}   "
          f"whole (sha256 / fits): {'yes' if intact else 'NO  FAIL'}   "
          f"413s from the double: {len(refused_413)}{'  FAIL' if refused_413 else ''}")  # fmt: skip
    mib_s = posted_bytes / MIB / elapsed
    print(f"throughput: {len(done) / elapsed * 60:.1f} jobs/min "
          f"({elapsed:.1f} s for all; {mib_s:.1f} MiB/s posted)")  # fmt: skip
    ttp = [r.posted_at - r.sent_at for r in requests if r.posted_at is not None]
    print(f"time to posted: p50 {pct(ttp, 50):.1f} s   p95 {pct(ttp, 95):.1f} s   "
          f"max {max(ttp, default=float('nan')):.1f} s")  # fmt: skip
    for kind in ("photo", "clip5", "clip25"):
        t = [r.posted_at - r.sent_at for r in requests if r.kind == kind and r.posted_at]
        print(f"  {kind:7s} ×{len(t):2d}: p50 {pct(t, 50):5.1f} s   p95 {pct(t, 95):5.1f} s")

    ticks = json.loads((work / "ticks.json").read_text()) if (work / "ticks.json").exists() else []
    window = [t for t in ticks if load_start <= t[0] <= load_end]
    if window:
        lags = [t[1] * 1000 for t in window]
        max_dl, max_enc = max(t[2] for t in window), max(t[3] for t in window)
        print(f"concurrency: downloads ≤ {max_dl} (cap 3)   x264 encoders ≤ {peaks.x264} "
              f"(cap 2){'  FAIL' if max_dl > 3 or peaks.x264 > 2 else ''}   "
              f"jobs in compression incl. waiting for a slot ≤ {max_enc}")  # fmt: skip
        worst = max(lags)
        if args.diagnose:
            top = sorted(window, key=lambda t: -t[1])[:5]
            print("  worst ticks (monotonic end, lag ms, loop CPU ms): " + ", ".join(
                f"{t[0]:.3f}/{t[1] * 1000:.0f}/{t[4] * 1000:.0f}" for t in top))  # fmt: skip
        verdict = "" if worst <= 10 else ("  (goal ≤ 50 ms met)" if worst <= 50 else "  FAIL")
        if args.smoke:
            verdict = "  (not judged: smoke run)"
        print(f"event-loop lag ({len(lags)} ticks of {TICK * 1000:.0f} ms): "
              f"p50 {pct(lags, 50):.1f} ms   p99 {pct(lags, 99):.1f} ms   "
              f"max {worst:.1f} ms{verdict}")  # fmt: skip
        # Late because the loop ran code (CPU in its thread) or because the thread waited for
        # a core (2 x264 encoders on 2 cores)?
        slow = sorted(window, key=lambda t: t[1], reverse=True)[:10]
        print(
            "  10 latest ticks, lag / CPU the loop used in them (ms): "
            + ", ".join(f"{t[1] * 1000:.0f}/{t[4] * 1000:.0f}" for t in slow)
        )
        busy = [t[4] * 1000 for t in window]
        print(f"  loop CPU per tick: p99 {pct(busy, 99):.1f} ms   max {max(busy):.1f} ms")
    else:
        print("event-loop lag: no ticks recorded (the bot did not stop cleanly)")
    first: dict[int, float] = {}
    for r in sorted(done, key=lambda r: r.posted_at or 0):
        if r.posted_at is not None:
            first.setdefault(r.user, r.posted_at - load_start)
    if first:
        lo, hi = min(first.values()), max(first.values())
        print(f"fairness: first completion per user {lo:.1f} … {hi:.1f} s "
              f"(spread {hi - lo:.1f} s; {len(first)}/{args.users} users)")  # fmt: skip
        print("  " + " ".join(f"u{u:02d}:{t:.1f}" for u, t in sorted(first.items())))
    if failed:
        broken.append(f"{len(failed)} job(s) not completed")
    if flipped:
        broken.append(f"{flipped} status message(s) said 🚫 Cancelled, then finished")
    if not once or not intact:
        broken.append("a job was not posted exactly once and whole")
    if refused_413:
        broken.append(f"{len(refused_413)} upload(s) refused with 413")
    if not window:
        broken.append("no loop ticks recorded (the bot did not stop cleanly)")
    elif max_dl > 3 or peaks.x264 > 2:
        broken.append(f"concurrency caps exceeded: {max_dl} downloads, {peaks.x264} encoders")
    fat = peaks.bot > 250 * MIB and not args.smoke
    print(f"peak RSS ({peaks.samples} samples): bot {peaks.bot / MIB:.0f} MiB"
          f"{'  FAIL' if fat else ''}   workers {peaks.workers / MIB:.0f} MiB   "
          f"encoders {peaks.encoders / MIB:.0f} MiB   tree {peaks.tree / MIB:.0f} MiB")  # fmt: skip
    bot_log = (work / "bot.log").read_text(errors="replace")
    if "Traceback" in bot_log:
        print(f"the bot logged a traceback: see {work / 'bot.log'}")
        broken.append(
            "the bot logged a traceback:\n" + bot_log[bot_log.index("Traceback") :][:2000]
        )
    return broken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--spread", type=float, default=5.0, help="seconds to send them in")
    parser.add_argument("--timeout", type=float, default=900.0, help="give up after (s)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--nice-encoders",
        type=int,
        default=0,
        metavar="N",
        help="experiment: renice the bot's ffmpeg processes to N as soon as they are seen",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs, uploads)")
    parser.add_argument(
        "--diagnose", action="store_true",
        help="the bot logs every event-loop callback over 20 ms (asyncio debug mode, which "
        "slows it a little) and each full garbage collection (bot.log; with --keep)",
    )  # fmt: skip
    parser.add_argument(
        "--smoke", action="store_true", help="6 small requests, 60 s at most (make test)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    if args.smoke:
        args.users, args.requests, args.spread, args.timeout = 2, 6, 0.5, 60.0
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        broken = asyncio.run(run(args, work))
        if args.smoke:
            print("smoke run: no figure judged")
            if broken:
                sys.exit("smoke run FAILED: " + "; ".join(broken))
    finally:
        if args.keep:
            print(f"work dir kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
