"""Automatic mode in distributed mode: the bot (dispatcher) only queues a pasted link; a
`bossctl worker` runs it, replies to the original over REST and does the reactions, and reads
the server's settings (``original=suppress``) changed through the bot."""

from __future__ import annotations

import pytest

from boss_bot.bot.quiet import WORKING
from tests.discord_double import FLAG_SUPPRESS_EMBEDS, MANAGE_MESSAGES
from tests.distributed.conftest import ClusterMedia, MakeCluster


@pytest.mark.timeout(180)
async def test_a_pasted_link_runs_on_a_worker_and_is_answered_quietly(
    make_cluster: MakeCluster, cluster_media: ClusterMedia
) -> None:
    async with make_cluster(workers=1) as cluster:
        world = cluster.world
        double, guild = world.double, world.tier2
        service = world.bot.guild_settings
        for key, words in (("auto", ["everywhere"]), ("auto_platforms", ["generic"]),
                           ("original", ["suppress"])):  # fmt: skip
            await service.set(guild.id, key, words, by=world.alice.id)
        double.grant(guild.id, double.bot.id, MANAGE_MESSAGES)
        url = cluster_media.photos[15]
        payload = await double.send_user_message(guild.default_channel_id, world.alice.id, url)
        msg = int(payload["id"])

        def answered() -> bool:
            events = double.reaction_events(msg)
            started = any(e.kind == "add" and e.emoji == WORKING for e in events)
            return started and WORKING not in double.reactions(msg, user_id=double.bot.id)

        try:
            await world.bounded(double.wait_until(answered, 90), 91)
        except TimeoutError:
            raise AssertionError(cluster.logs()) from None
        replies = [m for m in double.public_messages(guild.default_channel_id)
                   if m.reference and int(m.reference["message_id"]) == msg]  # fmt: skip
        assert [len(m.attachments) for m in replies] == [1], cluster.logs()
        assert not any(
            "Job `" in m.content for m in double.public_messages(guild.default_channel_id)
        )
        assert world.bot.pipeline.running_jobs() == []  # the dispatcher ran nothing itself
        [change] = double.message(msg).flag_changes  # the worker read original=suppress
        assert change.after & FLAG_SUPPRESS_EMBEDS


@pytest.mark.timeout(180)
async def test_a_slash_command_is_answered_through_its_interaction_by_the_worker(
    make_cluster: MakeCluster, cluster_media: ClusterMedia
) -> None:
    """The token travels with the job (jobs.reply): the worker that runs it posts the files
    as the interaction's follow-ups and edits the status follow-up the bot posted."""
    async with make_cluster(workers=1) as cluster:
        world = cluster.world
        double = world.double
        asked = await double.inject_interaction(
            world.tier2.default_channel_id, world.alice.id, "download",
            {"url": cluster_media.photos[14]},
        )  # fmt: skip

        def done() -> list[object] | None:
            messages = [double.message(i) for i in asked.followup_ids]
            posts = [m for m in messages if m.attachments]
            finished = [m for m in messages if "✅" in m.content]
            return [posts, finished] if posts and finished else None

        try:
            posts, finished = await world.bounded(double.wait_until(done, 90), 91)
        except TimeoutError:
            raise AssertionError(cluster.logs()) from None
        assert len(posts) == 1 and len(finished) == 1  # type: ignore[arg-type]
        assert world.bot.pipeline.running_jobs() == []  # the worker ran it
        assert asked.expired_calls == 0
