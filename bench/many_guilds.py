"""The bot in thousands of servers: memory and time to ready. Run by hand (`make test` runs only
its ``--smoke`` mode)::

    .venv/bin/python bench/many_guilds.py [--sizes 100,1000,2500] [--smoke]

For each size, the Discord test double (in this process) serves that many guilds, each as a
real server looks to a bot without the members intent: a category, 8 text channels (one
NSFW), 2 voice channels, @everyone and 8 roles, thousands of members reported and only the
bot's own member sent (``guild_create_members="bot"``, as Discord does without presences).
The real bot is started as ``python -m boss_bot run`` (its own process, default settings:
embedded mode, ``SHARD_COUNT=auto``, so the double's ``/gateway/bot`` recommends one shard per
1,000 guilds and the one process runs them all). It prints, per size:

* **time to ready**: from the process's start to its ``on_ready`` (every shard has received
  its guilds; discord.py then waits ``guild_ready_timeout``, 2 s, for stragglers), and from its
  first IDENTIFY to ``on_ready``;
* **RSS of the bot process** (psutil; its warm download processes are children, not counted):
  at ``on_ready``, one second later, and the peak while it started;
* then **RSS per 1,000 guilds**: the slope of the settled RSS from the smallest to the largest
  size.

Goal (issue 15): at 2,500 guilds on one process, ≤ 250 MB RSS and ready within 30 s. Against
real Discord each shard after the first also waits 5 s before it identifies (the identify rate
limit, skipped against the double), so add 5 s per extra shard there. Asserts nothing, but says
FAIL next to a missed goal.

``--smoke`` (what `make test` runs): 50 guilds, one run; no figure judged, but a bot that does
not get ready, does not see every guild, logs a traceback or does not stop cleanly on SIGTERM
exits non-zero.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024
READY = re.compile(r"connected as \S+ to (\d+) guild\(s\) on shard\(s\) (\S+ of \d+)")
GOAL_RSS = 250 * 1000 * 1000  # "250 MB"
GOAL_READY = 30.0
START_TIMEOUT = 180.0


@dataclass
class Run:
    guilds: int
    shards: str = ""
    seen: int = 0
    ready_s: float = float("nan")
    identify_to_ready_s: float = float("nan")
    rss_ready: int = 0
    rss_settled: int = 0
    rss_peak: int = 0


def populate(double: object, count: int) -> None:
    """``count`` guilds with realistic channels and roles (see the module docstring)."""
    owner = double.add_user("owner")  # type: ignore[attr-defined]
    for i in range(count):
        guild = double.add_guild(  # type: ignore[attr-defined]
            f"server {i}", owner_id=owner.id, channel_names=(), member_count=50 + (i * 37) % 9000
        )
        category = double.add_category(guild.id, "text")  # type: ignore[attr-defined]
        for name in ("general", "links", "memes", "clips", "art", "music", "nsfw", "bots"):
            double.add_text_channel(  # type: ignore[attr-defined]
                guild.id, name, category_id=category.id, nsfw=name == "nsfw"
            )
        for name in ("voice", "afk"):
            double.add_voice_channel(guild.id, name)  # type: ignore[attr-defined]
        for name in ("admin", "mod", "dj", "member", "muted", "verified", "bots", "vip"):
            double.add_role(guild.id, name)  # type: ignore[attr-defined]


async def sample(pid: int, run: Run, stop: asyncio.Event) -> None:
    import psutil

    proc = psutil.Process(pid)
    while not stop.is_set():
        with contextlib.suppress(psutil.Error):
            run.rss_peak = max(run.rss_peak, proc.memory_info().rss)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.05)


def rss(pid: int) -> int:
    import psutil

    return int(psutil.Process(pid).memory_info().rss)


async def measure(count: int, work: Path, broken: list[str]) -> Run:
    """One bot process against a double serving ``count`` guilds."""
    from tests.discord_double import DiscordDouble

    run = Run(count)
    double = DiscordDouble(guild_create_members="bot", storage_dir=work / "double")
    populate(double, count)
    await double.start()
    proc: asyncio.subprocess.Process | None = None
    log = work / f"bot-{count}.log"
    stop = asyncio.Event()
    sampler: asyncio.Task[None] | None = None
    try:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
        env.update(
            DISCORD_TOKEN=double.token,
            DISCORD_API_BASE_URL=double.api_base,
            DISCORD_GATEWAY_URL=double.gateway_url,
            DOWNLOAD_DIR=str(work / f"dl-{count}"),
            DATA_DIR=str(work / f"data-{count}"),
            LOG_LEVEL="INFO",
        )
        started = time.monotonic()
        with log.open("wb") as sink:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "boss_bot", "run", env=env, stdout=sink, stderr=sink
            )
        sampler = asyncio.create_task(sample(proc.pid, run, stop))
        found = None
        while found is None:
            found = READY.search(log.read_text(errors="replace"))
            if found is not None:
                break
            if proc.returncode is not None or time.monotonic() - started > START_TIMEOUT:
                broken.append(f"{count} guilds: the bot never got ready (see {log})")
                return run
            await asyncio.sleep(0.02)
        ready_at = time.monotonic()
        run.rss_ready = rss(proc.pid)
        run.ready_s = ready_at - started
        identified = [c.opened_at for c in double.gateway.connections]
        run.identify_to_ready_s = ready_at - min(identified) if identified else float("nan")
        run.seen, run.shards = int(found.group(1)), found.group(2)
        if run.seen != count:
            broken.append(f"{count} guilds: the bot saw {run.seen}")
        await asyncio.sleep(1.0)
        run.rss_settled = rss(proc.pid)
    finally:
        stop.set()
        if sampler is not None:
            await sampler
        if proc is not None and proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 60)
            except TimeoutError:
                proc.kill()
                await proc.wait()
                broken.append(f"{count} guilds: the bot did not stop on SIGTERM")
        await double.stop()
    if proc.returncode not in (0, None):
        broken.append(f"{count} guilds: the bot exited {proc.returncode} (see {log})")
    if "Traceback" in log.read_text(errors="replace"):
        broken.append(f"{count} guilds: the bot logged a traceback (see {log})")
    return run


def report(runs: list[Run], smoke: bool) -> None:
    print()
    print(f"{'guilds':>7} {'shards':>8} {'ready':>7} {'IDENTIFY→ready':>15} "
          f"{'RSS ready':>10} {'settled':>9} {'peak':>8}")  # fmt: skip
    for r in runs:
        print(f"{r.guilds:>7,} {r.shards:>8} {r.ready_s:>6.1f}s {r.identify_to_ready_s:>14.1f}s "
              f"{r.rss_ready / MIB:>7.0f}MiB {r.rss_settled / MIB:>6.0f}MiB "
              f"{r.rss_peak / MIB:>5.0f}MiB")  # fmt: skip
    done = [r for r in runs if r.rss_settled]
    if len(done) >= 2:
        low, high = done[0], done[-1]
        slope = (high.rss_settled - low.rss_settled) / (high.guilds - low.guilds) * 1000
        print(f"RSS per 1,000 guilds: {slope / MIB:.1f} MiB "
              f"(settled RSS, {low.guilds:,} → {high.guilds:,} guilds)")  # fmt: skip
    if smoke:
        print("smoke run: every part ran; no figure is judged")
        return
    for r in done:
        if r.guilds >= 2500:
            fat = max(r.rss_peak, r.rss_settled) > GOAL_RSS
            slow = r.ready_s > GOAL_READY
            print(f"goal at {r.guilds:,} guilds: RSS ≤ 250 MB "
                  f"({max(r.rss_peak, r.rss_settled) / 1e6:.0f} MB){'  FAIL' if fat else ''}, "
                  f"ready ≤ 30 s ({r.ready_s:.1f} s){'  FAIL' if slow else ''}")  # fmt: skip


async def main(args: argparse.Namespace) -> int:
    sizes = [50] if args.smoke else [int(s) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="boss-many-guilds-"))
    broken: list[str] = []
    runs = []
    try:
        for count in sizes:
            print(f"{count:,} guilds …", flush=True)
            runs.append(await measure(count, work, broken))
        report(runs, args.smoke)
    finally:
        if not broken:
            shutil.rmtree(work, ignore_errors=True)
    for line in broken:
        print(f"BROKEN: {line}")
    return 1 if broken else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,2500", help="guild counts, comma-separated")
    parser.add_argument("--smoke", action="store_true", help="50 guilds, seconds (make test)")
    sys.exit(asyncio.run(main(parser.parse_args())))
