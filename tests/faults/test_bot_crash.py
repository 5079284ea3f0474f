"""A crash in the worst places: `python -m boss_bot run` against the Discord double is SIGKILLed
while one job is being compressed (x264 running, frozen so that it cannot finish by itself), one
25 MB upload is part-way through its body, and one gallery job has posted its first message and
sent its second, which Discord stored but never answered. After a restart every job finishes and
says so, nothing the dead bot started lives on, nothing partial or twice is ever posted, and no
file of the jobs is left behind. (tests/persistence/test_restart.py: the same, mid-download.)"""

from __future__ import annotations

from pathlib import Path

import psutil

from boss_bot.core.settings import BossSettings
from boss_bot.core.store import open_store
from tests.bot.conftest import BotMedia
from tests.bot.pipeline_support import eventually
from tests.discord_double import MIB, StoredMessage
from tests.faults.support import (
    START_TIMEOUT,
    UploadGate,
    all_gone,
    bot_env,
    decode_errors,
    ended,
    find_children,
    gated_double,
    kill_bot,
    media_duration,
    partials,
    posts,
    process_tree,
    sha256,
    start_bot,
    status_reply,
    survivors,
    wait_ready,
)


async def test_sigkill_mid_compression_and_mid_upload_then_restart_finishes_every_job(
    tmp_path: Path, bot_media: BotMedia, gallery_hashes: list[str]
) -> None:
    log = tmp_path / "bot.log"
    dl = tmp_path / "dl"
    gate = UploadGate()
    async with gated_double(gate) as double:
        tier0 = double.add_guild("tier0", premium_tier=0)  # 10 MiB: the 25 MB clip is compressed
        tier2 = double.add_guild("tier2", premium_tier=2)  # 50 MiB: the clip is posted as it is
        album = double.add_guild("album", premium_tier=0)  # the 14-image gallery: 10 + 4
        alice = double.add_user("alice")
        for guild in (tier0, tier2, album):
            double.add_member(guild.id, alice.id)
        squeeze, big, gallery = (g.default_channel_id for g in (tier0, tier2, album))
        gate.hold(big, 1, "before")  # the 25 MB upload: stalls part-way through its body
        gate.hold(gallery, 2, "after")  # the gallery's 2nd message: stored, the answer held
        env = bot_env(tmp_path, double)
        procs = []
        first: list[psutil.Process] = []  # the crashed bot's process tree
        second: list[psutil.Process] = []
        asked: dict[int, int] = {}
        statuses: dict[int, StoredMessage] = {}

        async def ask(channel: int, url: str) -> None:
            sent = await double.send_user_message(channel, alice.id, f"$download {url}")
            asked[channel] = int(sent["id"])
            statuses[channel] = await double.wait_until(
                lambda: status_reply(double, channel, asked[channel]), 30
            )

        try:
            procs.append(await start_bot(env, log))
            await wait_ready(log, 1)
            await ask(gallery, bot_media.gallery_url)
            await ask(big, bot_media.clip25_url)
            await gate.wait_held(gallery, 60)
            await gate.wait_held(big, 60)
            await ask(squeeze, bot_media.clip25_url)  # asked last: its encode is surely running
            job = {ch: s.content.split("`")[1] for ch, s in statuses.items()}

            pid = procs[0].pid
            [encoder] = await eventually(
                lambda: find_children(pid, "ffmpeg", "libx264", f"job-{job[squeeze]}"), 60, 0.02
            )
            # Frozen, the encoder stands for a long one: only a kill can end it now.
            encoder.suspend()
            first = process_tree(pid)
            assert encoder in first and len(first) >= 3  # the bot, its warm worker(s), x264
            # The gallery's first message is posted and recorded; its second is stored by the
            # double, which holds the answer.
            assert [len(m.attachments) for m in posts(double, gallery)] == [10, 4]
            epoch = double.gateway_epoch
            procs[0].kill()
            await procs[0].wait()
            gate.open()  # the cut-off upload fails at the double; the held answer goes nowhere

            # Nothing the dead bot started lives on (the warm workers and the tools it ran die
            # with it), so nothing can write into a job directory behind the restart's back.
            await all_gone(first)

            settings = BossSettings(_env_file=None, data_dir=tmp_path / "data",  # type: ignore[call-arg]
                                    download_dir=dl)  # fmt: skip
            store = await open_store(settings)
            try:
                crashed = {ch: await store.queue.get(job_id) for ch, job_id in job.items()}
            finally:
                await store.close()
            assert (crashed[squeeze].status, crashed[squeeze].stage) == ("running", "compressing")
            assert crashed[big].status == "uploading"
            assert (crashed[gallery].status, crashed[gallery].posted_batches) == ("uploading", 1)
            work_dirs = [Path(j.work_dir) for j in crashed.values() if j.work_dir]
            assert len(work_dirs) == 3 and all(d.exists() for d in work_dirs)

            procs.append(await start_bot(env, log))
            await double.wait_for_gateway(after=epoch, timeout=START_TIMEOUT)
            finals = {}
            for ch, status in statuses.items():
                finals[ch] = await double.wait_until(
                    lambda s=status: ended(double.message(s.id)) and double.message(s.id), 120
                )
            second = process_tree(procs[1].pid)
        finally:
            for proc in procs:
                await kill_bot(proc)
            gate.open()
            for p in survivors(first):  # a failed run must not leave a frozen encoder behind
                p.kill()
        bot_log = log.read_text(errors="replace")

        # Every job finished after the restart and its status message says so.
        for final in finals.values():
            assert "✅ Done" in final.content, (final.content, bot_log[-3000:])
            assert "Resumed after a restart" in final.content
        assert "Traceback" not in bot_log

        # Nothing partial was ever posted. The compressed clip: one playable file that fits.
        [small] = posts(double, squeeze)
        [clip] = small.attachments
        assert clip.size <= 10 * MIB and clip.filename.endswith(".mp4")
        assert decode_errors(clip.path) == ""
        assert abs(media_duration(clip.path) - 8.0) < 0.5
        # The 25 MB clip: the upload cut off by the crash never became a message; the rerun's
        # did, byte for byte the source.
        [whole] = posts(double, big)
        assert [a.sha256 for a in whole.attachments] == [sha256(bot_media.clip25)]
        # The gallery: the first message, recorded before the crash, is not posted again; the
        # second, stored by Discord but never answered, is sent again by the rerun with the
        # same nonce, so Discord keeps the first copy: every image once, whole, in order.
        assert [[a.sha256 for a in m.attachments] for m in posts(double, gallery)] == [
            gallery_hashes[:10],
            gallery_hashes[10:],
        ]
        # status message, message 1, message 2, message 2 again (same nonce): nothing else
        assert len(double.requests_to("POST", f"/channels/{gallery}/messages")) == 4
        # The cut-off 25 MB upload ended with its connection; the double stored nothing of it.
        assert [type(e) for e in double.internal_errors] == [ConnectionResetError]

    # Clean state: no process of either run left, no partial or temporary file, no job dir.
    await all_gone(second)
    assert partials(dl) == []
    assert not any(d.exists() for d in work_dirs)
    assert list((dl / ".requests").iterdir()) == []
    assert [p for p in dl.rglob("*") if p.is_file()] == []
    store = await open_store(settings)
    try:
        done = {ch: await store.queue.get(job_id) for ch, job_id in job.items()}
    finally:
        await store.close()
    assert {(j.status, j.attempts, j.resumed) for j in done.values()} == {("succeeded", 2, True)}
