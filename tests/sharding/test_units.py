"""Shards without a gateway: the id spelling, which shard a guild is on, the settings' rules
(each a one-line error naming the variables) and `bossctl run --shard-ids/--shard-count`."""

from __future__ import annotations

from collections.abc import Callable

import discord
import pytest
from discord.ext import commands

from boss_bot.bot.client import MESSAGE_CACHE, BossBot, BossBotBase
from boss_bot.cli.app import main
from boss_bot.core.errors import ConfigurationError
from boss_bot.core.settings import BossSettings, load_settings
from boss_bot.core.shards import ShardSet, format_ids, parse_ids, shard_of
from tests.discord_double import shard_of as double_shard_of


@pytest.mark.parametrize(
    ("text", "ids"),
    [("0", (0,)), ("0-3", (0, 1, 2, 3)), ("0,2,5-7", (0, 2, 5, 6, 7)), (" 3 , 1 ", (1, 3)),
     ("4-4", (4,)), ("7,0-1,", (0, 1, 7))],
)  # fmt: skip
def test_ids_parse_and_format_back(text: str, ids: tuple[int, ...]) -> None:
    assert parse_ids(text) == ids
    assert parse_ids(format_ids(ids)) == ids


def test_ids_format_as_ranges() -> None:
    assert format_ids([5, 0, 1, 2, 7, 6]) == "0-2,5-7"
    assert format_ids([3]) == "3"
    assert format_ids([1, 3]) == "1,3"


@pytest.mark.parametrize(
    ("text", "says"),
    [("", "no shard id"), ("x", "'x' is not a shard id"), ("3-1", "from low to high"),
     ("-1", "'-1'"), ("0-2,2", "shard 2 named twice"), ("1.5", "'1.5'")],
)  # fmt: skip
def test_bad_ids_are_refused_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_ids(text)


def test_shard_of_matches_discord_and_dms_are_shard_0() -> None:
    for guild_id in (0, 1 << 22, 3 << 22, 175928847299117063, 81384788765712384):
        for count in (1, 2, 3, 16):
            assert shard_of(guild_id, count) == (guild_id >> 22) % count
            assert shard_of(guild_id, count) == double_shard_of(guild_id, count)
    assert shard_of(None, 4) == 0
    assert shard_of(5 << 22, 4) == 1


def test_a_shard_set_owns_its_guilds_and_shard_0_owns_the_dms() -> None:
    zero, one = ShardSet((0,), 2), ShardSet((1,), 2)
    guilds = [i << 22 for i in range(6)]
    assert [zero.owns(g) for g in guilds] == [True, False] * 3
    assert [one.owns(g) for g in guilds] == [False, True] * 3
    assert zero.owns(None) and not one.owns(None)
    every = ShardSet.every(3)
    assert every.is_all and all(every.owns(g) for g in [*guilds, None])
    assert str(ShardSet((0, 1, 2, 5), 8)) == "0-2,5 of 8"
    with pytest.raises(ValueError):
        ShardSet((2,), 2)
    with pytest.raises(ValueError):
        ShardSet((), 2)


def _error(**values: object) -> str:
    with pytest.raises(ConfigurationError) as info:
        load_settings(_env_file=None, **values)
    return str(info.value)


DISTRIBUTED = {"queue_backend": "redis", "redis_url": "redis://127.0.0.1:9/0",
               "database_url": "postgresql+asyncpg://boss@127.0.0.1:9/boss"}  # fmt: skip


def test_settings_default_to_auto_and_every_shard(
    make_settings: Callable[..., BossSettings],
) -> None:
    settings = make_settings()
    assert (settings.shard_count, settings.shard_ids, settings.shard_lease_seconds) == (
        "auto", None, 30.0)  # fmt: skip
    settings = make_settings(shard_count="4", shard_ids="0-1", **DISTRIBUTED)
    assert (settings.shard_count, settings.shard_ids) == (4, (0, 1))
    # every shard named: no subset, so embedded mode is fine
    assert make_settings(shard_count=2, shard_ids="0,1").shard_ids == (0, 1)
    assert make_settings(shard_count=" AUTO ").shard_count == "auto"


def test_settings_rules_are_one_line_each() -> None:
    assert _error(shard_ids="0-4", shard_count=4, **DISTRIBUTED) == (
        "invalid configuration: SHARD_IDS names shard 4, but SHARD_COUNT=4 has shards 0-3"
    )
    assert _error(shard_ids="1", shard_count=1) == (
        "invalid configuration: SHARD_IDS names shard 1, but SHARD_COUNT=1 has shard 0 only"
    )
    assert _error(shard_ids="0-1", **DISTRIBUTED) == (
        "invalid configuration: SHARD_IDS=0-1 needs a numeric SHARD_COUNT, not auto: every bot "
        "process must split the servers over the same number of shards"
    )
    subset = _error(shard_ids="0-1", shard_count=4)
    assert subset.startswith("invalid configuration: SHARD_IDS=0-1 runs 2 of 4 shards: ")
    assert (
        "QUEUE_BACKEND=redis" in subset and "share the store, the queue and the workers" in subset
    )
    assert "SHARD_COUNT: " in _error(shard_count="0")
    assert "SHARD_COUNT: " in _error(shard_count="many")
    assert "SHARD_IDS: " in _error(shard_ids="a-b", shard_count=2)
    assert "SHARD_LEASE_SECONDS: " in _error(shard_lease_seconds=0.1)
    for message in (subset, _error(shard_count="0")):
        assert "\n" not in message


def test_the_environment_spells_them_like_an_operator(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"SHARD_COUNT": "8", "SHARD_IDS": "0,2,5-7", "QUEUE_BACKEND": "redis",
                        "REDIS_URL": DISTRIBUTED["redis_url"],
                        "DATABASE_URL": DISTRIBUTED["database_url"]}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    settings = load_settings(_env_file=None)
    assert (settings.shard_count, settings.shard_ids) == (8, (0, 2, 5, 6, 7))


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--shard-ids", "0-1"], {}, "SHARD_IDS=0-1 needs a numeric SHARD_COUNT"),
        (["--shard-ids", "0-1", "--shard-count", "4"], {}, "needs distributed mode"),
        (["--shard-ids", "5", "--shard-count", "4"], {}, "SHARD_IDS names shard 5"),
        # the options win over the environment
        (["--shard-count", "2"], {"SHARD_COUNT": "8", "SHARD_IDS": "7"},
         "SHARD_IDS names shard 7, but SHARD_COUNT=2"),
        (["--shard-ids", "0-3"], {"SHARD_COUNT": "2"}, "SHARD_IDS names shard 2-3"),
    ],
)  # fmt: skip
def test_run_options_are_checked_like_the_environment(
    args: list[str], env: dict[str, str], says: str,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    for name, value in {"DISCORD_TOKEN": "x", **env}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exited:
        main(["run", *args])
    assert exited.value.code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: invalid configuration: ") and says in line, line


def test_the_shipped_bot_is_sharded_and_light(make_settings: Callable[..., BossSettings]) -> None:
    """AutoShardedBot with the settings' shards; no member chunking, no member cache beyond
    the bot's own, a bounded message cache (BossBotBase, for dpytest, is the same bot)."""
    bot = BossBot(make_settings(shard_count=4, shard_ids="1,3", **DISTRIBUTED))
    assert isinstance(bot, commands.AutoShardedBot)
    assert (bot.shard_count, bot.shard_ids) == (4, [1, 3])
    state = bot._connection
    assert state._chunk_guilds is False
    assert state.member_cache_flags.value == discord.MemberCacheFlags.none().value
    assert state.max_messages == MESSAGE_CACHE
    auto = BossBot(make_settings())
    assert (auto.shard_count, auto.shard_ids) == (None, None)  # asked at login
    plain = BossBotBase(make_settings())
    assert not isinstance(plain, discord.AutoShardedClient)
    assert plain._connection.max_messages == MESSAGE_CACHE
