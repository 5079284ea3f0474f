"""Two ``python -m boss_bot run`` processes on shards 0 and 1 of 2, in distributed mode
(PostgreSQL, Redis, one ``boss_bot worker``), against the Discord double serving 4 guilds (2
per shard) and a DM: each command is answered exactly once, by the process that owns its
guild. A third process claiming shard 1 stops at start-up with one line naming the holder. A
SIGKILLed process's jobs carry on (they run on the worker), so do the other's; once its lease
ran out it starts again, takes its shard and adopts its own queued jobs, not the other's.
A process that stalls past its lease and finds its shard taken over stops by itself."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from boss_bot.core.distributed import Tickets
from boss_bot.core.settings import BossSettings
from boss_bot.core.shards import shard_of
from boss_bot.core.store import open_store
from tests.discord_double import DiscordDouble, Guild, StoredMessage, User
from tests.distributed.conftest import eventually_async
from tests.faults.support import posts, status_reply
from tests.sharding.support import (
    JOB_TIMEOUT,
    Fleet,
    HeldMedia,
    answers,
    ask,
    base_env,
    finished,
    job_id,
)
from tests.support.media import make_jpeg
from tests.support.media_server import MediaServer
from tests.support.postgres import fresh_database
from tests.support.redis import redis_server, require_redis

LEASE = 2.0  # SHARD_LEASE_SECONDS in base_env


@pytest_asyncio.fixture
async def fleet(
    make_settings: Callable[..., BossSettings], postgres_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Fleet, list[Guild], User]]:
    """The double (4 guilds: 2 on each of 2 shards; alice in all), PostgreSQL, Redis and one
    worker; the bots are the test's to start."""
    require_redis()  # installed by `make setup`: missing fails, never skips
    database = await fresh_database(postgres_url)
    with redis_server(appendonly=False) as redis:
        settings = make_settings(queue_backend="redis", redis_url=redis.url,
                                 database_url=database)  # fmt: skip
        async with DiscordDouble() as double:
            guilds = [double.add_guild(f"g{i}", shard=(i % 2, 2)) for i in range(4)]
            alice = double.add_user("alice")
            for guild in guilds:
                double.add_member(guild.id, alice.id)
            tickets = await Tickets.connect(settings)
            store = await open_store(settings)
            fleet = Fleet(double, base_env(double, settings), tmp_path, tickets, store)
            try:
                await fleet.start_worker()
                yield fleet, guilds, alice
                assert double.unknown_routes == []
                assert double.internal_errors == []
            finally:
                await fleet.close()
                await tickets.close()
                await store.close()


def photo_urls(media_server: MediaServer, tmp_path: Path, count: int) -> list[str]:
    urls = []
    for i in range(count):
        name = f"shard-photo{i:02d}.jpg"
        path = make_jpeg(tmp_path / name, size=(160, 120), seed=700 + i)
        urls.append(media_server.add_file(name, path, "image/jpeg"))
    return urls


@pytest.mark.slow
@pytest.mark.timeout(300)  # about 30 s alone; every wait inside is bounded on its own
async def test_two_processes_split_the_shards_survive_a_kill_and_refuse_a_third(
    fleet: tuple[Fleet, list[Guild], User], media_server: MediaServer, tmp_path: Path
) -> None:
    fl, guilds, alice = fleet
    double = fl.double
    assert [shard_of(g.id, 2) for g in guilds] == [0, 1, 0, 1]
    urls = iter(photo_urls(media_server, tmp_path, 12))
    a = await fl.start_bot("a", "0")
    b = await fl.start_bot("b", "1")
    assert "to 2 guild(s) on shard(s) 0 of 2" in a.text()
    assert "to 2 guild(s) on shard(s) 1 of 2" in b.text()
    try:
        # --- each command answered exactly once, by the owner of its guild ----------------
        dm = double.dm_channel(alice.id).id
        places = [g.default_channel_id for g in guilds] + [dm]
        asked = [await ask(double, c, alice.id, f"$download {next(urls)}") for c in places]
        for channel, message in zip(places, asked, strict=True):
            status = await finished(double, channel, message)
            assert "✅" in status.content, status.content
        await asyncio.sleep(0.5)  # a second answer, if any, would be here by now
        for channel, message in zip(places, asked, strict=True):
            assert len(answers(double, channel, message)) == 1, double.bot_messages(channel)
            assert len(posts(double, channel)) == 1
        for shard in (0, 1):
            heard = {r.guild_id for r in double.dispatched("MESSAGE_CREATE", shard_id=shard)}
            assert heard == {g.id for g in guilds if shard_of(g.id, 2) == shard} | (
                {None} if shard == 0 else set()
            )

        # --- a third process on shard 1: one line, exit 2, no gateway connection -----------
        connections = len(double.gateway.connections)
        third = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "boss_bot", "run", "--shard-ids", "1", "--shard-count", "2",
            env={**fl.bot_env("c"), "LOG_LEVEL": "WARNING"},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(third.communicate(), 60)
        lines = err.decode().strip().splitlines()
        assert third.returncode == 2, err.decode()
        assert len(lines) == 1 and out == b"", err.decode()
        assert lines[0].startswith("error: shard 1 is already run by ")
        assert f":{b.proc.pid}:" in lines[0]
        assert lines[0].endswith("two bot processes must not run the same shard; give each its "
                                 "own SHARD_IDS")  # fmt: skip
        assert len(double.gateway.connections) == connections

        # --- SIGKILL b while its job runs on the worker and more jobs wait -----------------
        held = await HeldMedia((tmp_path / "shard-photo00.jpg").read_bytes()).start()
        try:
            g0, g1, g2, g3 = (g.default_channel_id for g in guilds)
            running = await ask(double, g1, alice.id, f"$download {held.url}")  # b's
            await asyncio.wait_for(held.asked.wait(), JOB_TIMEOUT)  # the worker has it
            # the worker (one job at a time) is busy: these wait in the queue
            q0 = await ask(double, g0, alice.id, f"$download {next(urls)}")  # a's
            q1 = await ask(double, g1, alice.id, f"$download {next(urls)}")  # b's
            q3 = await ask(double, g3, alice.id, f"$download {next(urls)}")  # b's, cancelled later
            q1_job = _job_of(double, g1, q1)
            q3_job = _job_of(double, g3, q3)
            q0_job = _job_of(double, g0, q0)

            async def noted() -> bool:  # b recorded its status messages (a restart edits them)
                jobs = [await fl.store.queue.get(j) for j in (q1_job, q3_job)]
                return all(j is not None and j.status_message_id is not None for j in jobs)

            await eventually_async(noted, JOB_TIMEOUT)
            await fl.kill(b)
            q2 = await ask(double, g2, alice.id, f"$download {next(urls)}")  # a, meanwhile
            q2_job = _job_of(double, g2, q2)

            async def freed() -> bool:
                return all(lease.shard_id != 1 for lease in await fl.store.shards.held())

            await eventually_async(freed, LEASE * 5)
            b = await fl.start_bot("b", "1")  # the same process again: its shard is free
            for channel, message in ((g1, q1), (g3, q3)):
                says = _says(double, channel, message, "Still queued after a restart")
                await double.wait_until(says, JOB_TIMEOUT)
            # Cancel on a status message the killed process posted: the new one answers it
            cancel = status_reply(double, g3, q3)
            assert cancel is not None
            await double.click_button(cancel.id, _button(cancel, "boss:cancel:"), alice.id)
            assert "🚫" in (await finished(double, g3, q3)).content
            held.release()
            for channel, message in ((g1, running), (g0, q0), (g1, q1), (g2, q2)):
                status = await finished(double, channel, message)
                assert "✅" in status.content, (status.content, fl.logs())
        finally:
            await held.stop()
        # b adopted its own queued job, not a's; a adopted nothing (it never restarted)
        adopted = [line for line in b.text().splitlines() if "adopted" in line]
        assert len(adopted) == 2 and q1_job in adopted[0] and q3_job in adopted[1], adopted
        assert q0_job not in b.text() and q2_job not in b.text()
        assert "adopted" not in a.text()
        for channel, message in ((g0, q0), (g2, q2)):
            status = status_reply(double, channel, message)
            assert status is not None
            assert not any("after a restart" in e.content for e in status.edits)
        late = await ask(double, g3, alice.id, f"$download {next(urls)}")  # b's, after restart
        assert "✅" in (await finished(double, g3, late)).content
        await asyncio.sleep(0.5)
        for channel, message in ((g1, running), (g0, q0), (g1, q1), (g2, q2), (g3, q3),
                                 (g3, late)):  # fmt: skip
            assert len(answers(double, channel, message)) == 1, double.bot_messages(channel)
        assert [len(posts(double, c)) for c in (g0, g1, g2, g3)] == [2, 3, 2, 2]
        # 🗑 on a post the worker made (over REST): the restarted process deletes it
        [post] = [m for m in posts(double, g1) if m.content and held.url in m.content]
        await double.click_button(post.id, _button(post, "boss:delete:"), alice.id)
        await double.wait_until(lambda: double.message(post.id).deleted, JOB_TIMEOUT)

        # --- b stalls past its lease; a replacement takes shard 1; b wakes and stops ------
        b.proc.send_signal(signal.SIGSTOP)
        await eventually_async(freed, LEASE * 5)
        replacement = await fl.start_bot("b2", "1")
        b.proc.send_signal(signal.SIGCONT)
        await asyncio.wait_for(b.proc.wait(), 30)
        assert b.proc.returncode == 2, b.text()[-3000:]
        assert "was taken over by" in b.text() and f":{replacement.proc.pid}:" in b.text()
        last = await ask(double, g1, alice.id, f"$download {next(urls)}")
        assert "✅" in (await finished(double, g1, last)).content
        await asyncio.sleep(0.5)
        assert len(answers(double, g1, last)) == 1
        for bot in fl.bots:
            assert "Traceback" not in bot.text(), bot.text()[-3000:]
    except BaseException:
        print(fl.logs())
        raise


def _button(message: StoredMessage, prefix: str) -> str:
    ids = [c["custom_id"] for row in message.components for c in row.get("components", [])]
    [custom_id] = [i for i in ids if i.startswith(prefix)]
    return custom_id


def _job_of(double: DiscordDouble, channel_id: int, asked: int) -> str:
    status = status_reply(double, channel_id, asked)
    assert status is not None
    return job_id(status)


def _says(double: DiscordDouble, channel_id: int, asked: int, text: str) -> Callable[[], bool]:
    """Whether the status message answering ``asked`` says ``text`` now."""

    def check() -> bool:
        status = status_reply(double, channel_id, asked)
        return status is not None and text in status.content

    return check
