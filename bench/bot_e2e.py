"""Bot end to end: how much the bot adds on top of a bare download.

Run by hand (`make test` runs only its ``--smoke`` mode)::

    .venv/bin/python bench/bot_e2e.py [--runs 5] [--smoke]

Serves a ~25 MB mp4 from 127.0.0.1, starts the Discord test double with a tier-2 guild (50 MiB
per file, so nothing is compressed) and the real BossBot connected to it, then measures, per run:

* **bot**: from the moment the user's ``$download <url>`` message is dispatched to the moment the
  double has stored the bot's message carrying the attachment (download, planning, multipart
  upload over HTTP, all through discord.py);
* **bare**: an in-process ``yt_dlp.YoutubeDL(...).download([url])`` of the same file into a
  temp dir (the least any downloader can do), after one untimed run that loads yt-dlp.

Both are measured warm: ``--warmup`` untimed bot runs go first, one per download worker, since
the first download in each worker process pays yt-dlp's extractor loading (~0.5 s).

Each bot run asks for the same file under its own URL (``?run=N``; the media server ignores the
query): a repeated link in the same guild is answered from history with a link to the first post,
which would measure dedup instead of a download. A run answered without a post fails at once.

Prints the medians and bot / bare. Goal: at most 1.5 (the bot adds no more than 50 %).
``--smoke`` (what `make test` runs): a ~0.5 MB clip, one bare run, one warm-up and one timed bot
run (so a second request of the same file is covered), goal not judged.
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
from tests.support.media import make_mp4  # noqa: E402
from tests.support.media_server import MediaServer  # noqa: E402

from boss_bot.core.settings import BossSettings  # noqa: E402


def bare_download(url: str, out: Path) -> None:
    import yt_dlp

    params = {"outtmpl": str(out / "%(title)s.%(ext)s"), "quiet": True, "noprogress": True}
    with yt_dlp.YoutubeDL(params) as ydl:
        ydl.download([url])


async def bot_runs(url: str, size: int, work: Path, runs: int, warmup: int) -> list[float]:
    async with DiscordDouble() as double:
        guild = double.add_guild("tier2", premium_tier=2)
        user = double.add_user("alice")
        double.add_member(guild.id, user.id)
        settings = BossSettings(
            _env_file=None,  # type: ignore[call-arg]
            download_dir=work / "downloads",
            data_dir=work / "data",  # not ./data: history must not leak between runs
            allow_private_network_urls=True,
            discord_api_base_url=double.api_base,
            discord_gateway_url=double.gateway_url,
        )
        times = []
        async with running_bot(double, settings):
            channel = guild.default_channel_id

            def answer(asked: int) -> StoredMessage | str | None:
                """The bot's post for the user's message ``asked``, or the text of a reply that
                ends the request without one (refused, answered from history, failed)."""
                for m in double.bot_messages(channel):
                    if m.id > asked and m.attachments:
                        return m
                    if m.reference and int(m.reference["message_id"]) == asked:
                        marks = [ln for ln in m.content.split("\n") if ln[:1] in ("❌", "🚫")]
                        if "Job `" not in m.content or marks:
                            return m.content
                return None

            for i in range(warmup + runs):
                start = time.monotonic()
                sent = await double.send_user_message(
                    channel, user.id, f"$download {url}?run={i + 1}"
                )
                post = await double.wait_until(lambda a=int(sent["id"]): answer(a), 120)
                if isinstance(post, str):
                    raise RuntimeError(f"run {i + 1} was answered without a post: {post!r}")
                assert post.attachments[0].size == size, "the clip must be posted unchanged"
                took = post.created_monotonic - start
                note = " (warm-up)" if i < warmup else ""
                print(f"  bot run {i + 1}: {took * 1000:.0f} ms{note}")
                if i >= warmup:
                    times.append(took)
                await asyncio.sleep(0.5)  # let the final status edit go out
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--warmup",
        type=int,
        default=3,
        help="untimed bot runs first (default 3 = MAX_CONCURRENT_DOWNLOADS: the first job on "
        "each worker pays yt-dlp's extractor loading)",
    )
    parser.add_argument("--smoke", action="store_true", help="a small clip, 1 run (make test)")
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.warmup = 1, 1
    work = Path(tempfile.mkdtemp(prefix="bench-bot-"))
    server = MediaServer()
    try:
        clip = make_mp4(work / "clip25.mp4", seconds=2 if args.smoke else 8, size="640x360",
                        noise=True, bitrate="2000k" if args.smoke else "25000k")  # fmt: skip
        size = clip.stat().st_size
        url = server.add_file("clip25.mp4", clip, "video/mp4")
        server.start()

        bare = []
        bare_download(url, work / "warm")  # the in-process import and extractor loading
        for i in range(args.runs):
            out = work / f"bare{i}"
            start = time.monotonic()
            bare_download(url, out)
            bare.append(time.monotonic() - start)
            shutil.rmtree(out, ignore_errors=True)

        bot = asyncio.run(bot_runs(url, size, work, args.runs, args.warmup))
        b, y = statistics.median(bot), statistics.median(bare)
        print(f"clip: {size / 2**20:.1f} MiB, {args.runs} runs each (medians)")
        print(f"bare yt-dlp download (in-process): {y * 1000:7.0f} ms")
        print(f"bot, message → last attachment:    {b * 1000:7.0f} ms")
        verdict = "not judged: smoke run" if args.smoke else "goal ≤ 1.5"
        print(f"ratio bot / bare: {b / y:.2f}  ({verdict})")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
