"""Automatic mode against `$download`: from a message to the bot's post, for a small image.

Run by hand (`make test` runs only its ``--smoke`` mode)::

    .venv/bin/python bench/auto_mode.py [--runs 10] [--smoke]

Starts the Discord test double (a tier-2 guild whose server settings turn automatic mode on
everywhere for the ``generic`` platform, so local links count) and the real BossBot, serves a
~60 KB JPEG from 127.0.0.1, then alternates, per run:

* **auto**: a user pastes the link (no command): from the dispatched message to the moment the
  double has stored the bot's reply carrying the image;
* **command**: ``$download <link>``: from the dispatched message to the stored post.

Each request uses its own URL (``?run=N``; the media server ignores the query), so dedup never
answers from history. Both are measured warm (``--warmup`` untimed runs of each first).

Prints the medians and auto − command. Automatic mode posts no status message, so it should be
no slower; goal: auto ≤ command + 50 ms. ``--smoke``: one warm-up and one timed run of each,
goal not judged.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.discord_double import DiscordDouble, StoredMessage  # noqa: E402
from tests.support.bots import running_bot  # noqa: E402
from tests.support.media import make_jpeg  # noqa: E402
from tests.support.media_server import MediaServer  # noqa: E402

from boss_bot.core.settings import BossSettings  # noqa: E402


async def measure(url: str, work: Path, runs: int, warmup: int) -> dict[str, list[float]]:
    async with DiscordDouble() as double:
        guild = double.add_guild("tier2", premium_tier=2)
        user = double.add_user("alice")
        double.add_member(guild.id, user.id)
        settings = BossSettings(
            _env_file=None,  # type: ignore[call-arg]
            download_dir=work / "downloads",
            data_dir=work / "data",
            allow_private_network_urls=True,
            user_rate_limit=1000,  # the runs come from one user: no quota in the way
            discord_api_base_url=double.api_base,
            discord_gateway_url=double.gateway_url,
        )
        times: dict[str, list[float]] = {"auto": [], "command": []}
        async with running_bot(double, settings) as bot:
            for key, words in (("auto", ["everywhere"]), ("auto_platforms", ["generic"])):
                await bot.guild_settings.set(guild.id, key, words, by=user.id)
            channel = guild.default_channel_id

            def post_after(asked: int) -> StoredMessage | str | None:
                """The post, or why there is none (a failed status, a reaction instead)."""
                for m in double.bot_messages(channel):
                    if m.id > asked and m.attachments:
                        return m
                    replied = m.reference and int(m.reference["message_id"]) == asked
                    if replied and ("❌" in m.content or "Already posted" in m.content):
                        return m.content
                marks = set(double.reactions(asked, user_id=double.bot.id)) - {"⏳"}
                return f"reactions {sorted(marks)}" if marks else None

            for i in range(warmup + runs):
                for mode in ("auto", "command"):
                    link = f"{url}?run={mode}{i}"
                    text = link if mode == "auto" else f"$download {link}"
                    start = time.monotonic()
                    sent = await double.send_user_message(channel, user.id, text)
                    post = await double.wait_until(lambda a=int(sent["id"]): post_after(a), 60)
                    if isinstance(post, str):
                        raise RuntimeError(f"{mode} run {i + 1} was not posted: {post!r}")
                    took = post.created_monotonic - start
                    note = " (warm-up)" if i < warmup else ""
                    print(f"  {mode:7} run {i + 1}: {took * 1000:6.0f} ms{note}")
                    if i >= warmup:
                        times[mode].append(took)
                    await asyncio.sleep(0.3)  # let reactions and status edits settle
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="1 run of each (make test)")
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.warmup = 1, 1
    work = Path(tempfile.mkdtemp(prefix="bench-auto-"))
    server = MediaServer()
    try:
        photo = make_jpeg(work / "photo.jpg", size=(640, 480), seed=7)
        url = server.add_file("photo.jpg", photo, "image/jpeg")
        server.start()
        times = asyncio.run(measure(url, work, args.runs, args.warmup))
        a, c = statistics.median(times["auto"]), statistics.median(times["command"])
        print(f"small image ({photo.stat().st_size / 1024:.0f} KiB), {args.runs} runs each "
              "(medians, message → post):")  # fmt: skip
        print(f"  automatic mode (pasted link): {a * 1000:6.0f} ms")
        print(f"  $download:                    {c * 1000:6.0f} ms")
        verdict = "not judged: smoke run" if args.smoke else (
            "ok" if a - c <= 0.05 else "FAIL")  # fmt: skip
        print(f"  auto − command: {(a - c) * 1000:+.0f} ms  (goal ≤ +50 ms: {verdict})")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
