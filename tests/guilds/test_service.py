"""GuildSettingsService on the real store (SQLite and PostgreSQL): what is stored, the audit,
imports checked whole, opt-outs, and a change made by another process (another service on the
same database) reaching this one's cache through the store's settings version."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from boss_bot.core.errors import SettingsError
from boss_bot.core.guilds import GuildSettings
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import Store
from tests.guilds.conftest import MakeService
from tests.support.clock import FakeClock

GUILD, OTHER_GUILD, ADMIN, USER = 1001, 1002, 42, 77


async def snapshot(store: Store, guild_id: int = GUILD) -> tuple[Any, ...]:
    """Everything a write could have changed."""
    return (
        await store.guilds.overrides(guild_id),
        await store.guilds.changes(guild_id, 100),
        await store.guilds.version(),
    )


async def test_a_guild_that_changed_nothing_reads_the_defaults_and_has_no_row(
    store: Store, make_service: MakeService
) -> None:
    service = make_service()
    assert await service.get(GUILD) == service.defaults == GuildSettings()
    assert await service.export(GUILD) == GuildSettings().export()
    assert await snapshot(store) == ({}, [], 0)


async def test_set_and_reset_store_only_what_differs_from_the_defaults(
    store: Store, make_service: MakeService
) -> None:
    service = make_service()
    got = await service.set(GUILD, "auto", ["channels"], by=ADMIN)
    assert got.auto == "channels" and (await service.get(GUILD)).auto == "channels"
    await service.set(GUILD, "auto_channels", ["<#5>", "6"], by=ADMIN)
    await service.set(GUILD, "quality", ["720p"], by=ADMIN)  # the default: nothing to store
    assert await store.guilds.overrides(GUILD) == {"auto": "channels", "auto_channels": ["5", "6"]}
    await service.set(GUILD, "auto", ["off"], by=ADMIN)  # back to the default: leaves the row
    assert await store.guilds.overrides(GUILD) == {"auto_channels": ["5", "6"]}

    await service.reset(GUILD, "auto_channels", by=ADMIN)
    assert await store.guilds.overrides(GUILD) == {}
    assert await service.get(GUILD) == GuildSettings()
    assert await service.get(OTHER_GUILD) == GuildSettings()


async def test_reset_without_a_key_resets_every_key_it_changed(
    store: Store, make_service: MakeService
) -> None:
    service = make_service()
    await service.import_(GUILD, {"sensitive": "spoiler", "allowed_roles": ["9"],
                                  "original": "suppress"}, by=ADMIN)  # fmt: skip
    assert (await service.reset(GUILD, by=ADMIN)) == GuildSettings()
    resets = [c for c in await service.changes(GUILD, 10) if c.action == "reset"]
    assert sorted(c.key for c in resets) == ["allowed_roles", "original", "sensitive"]
    assert await store.guilds.overrides(GUILD) == {}


async def test_a_changed_environment_default_reaches_guilds_that_never_set_that_key(
    store: Store, store_settings: BossSettings, make_service: MakeService
) -> None:
    await make_service().set(GUILD, "auto", ["everywhere"], by=ADMIN)
    restarted = make_service(settings=store_settings.model_copy(update={
        "guild_default_quality": "1080p", "guild_default_auto": "channels",
        "allowed_role_ids": [5]}))  # fmt: skip
    settings = await restarted.get(GUILD)
    assert (settings.auto, settings.quality, settings.allowed_roles) == (
        "everywhere",
        "1080p",
        (5,),
    )


@pytest.mark.parametrize(
    ("key", "words"),
    [("colour", ["red"]), ("auto", ["sometimes"]), ("auto_channels", ["<@&1>"]),
     ("auto_platforms", ["myspace"]), ("quality", []), ("nsfw_spoiler", ["on", "off"])],
)  # fmt: skip
async def test_a_bad_set_changes_nothing(
    store: Store, make_service: MakeService, key: str, words: list[str]
) -> None:
    service = make_service()
    await service.set(GUILD, "quality", ["480p"], by=ADMIN)
    before = await snapshot(store)
    with pytest.raises(SettingsError):
        await service.set(GUILD, key, words, by=ADMIN)
    assert await snapshot(store) == before
    assert (await service.get(GUILD)).quality == "480p"


async def test_a_write_that_changes_nothing_records_nothing(
    store: Store, make_service: MakeService
) -> None:
    service = make_service()
    await service.set(GUILD, "quality", ["480p"], by=ADMIN)
    before = await snapshot(store)
    await service.set(GUILD, "quality", ["480"], by=ADMIN)
    await service.reset(GUILD, "auto", by=ADMIN)
    await service.import_(GUILD, {"quality": "480p", "auto": "off"}, by=ADMIN)
    assert await snapshot(store) == before


async def test_the_audit_records_who_when_old_and_new_per_key(
    store: Store, make_service: MakeService
) -> None:
    service = make_service()
    await service.set(GUILD, "allowed_channels", ["<#10>"], by=ADMIN)
    await service.import_(GUILD, '{"allowed_channels": ["10", "11"], "sensitive": "spoiler"}',
                          by=USER)  # fmt: skip
    await service.reset(GUILD, "sensitive", by=None)
    changes = await service.changes(GUILD, limit=10)
    assert [(c.action, c.key, c.old, c.new, c.by) for c in changes] == [
        ("reset", "sensitive", "spoiler", "block", None),
        ("import", "sensitive", "block", "spoiler", USER),
        ("import", "allowed_channels", ["10"], ["10", "11"], USER),
        ("set", "allowed_channels", [], ["10"], ADMIN),
    ]
    assert all(c.guild_id == GUILD and c.at > 1.7e9 for c in changes)
    assert changes[0].at >= changes[-1].at
    assert [c.key for c in await service.changes(GUILD)] == [c.key for c in changes][:5]
    assert len(await service.changes(GUILD, limit=2)) == 2
    assert await service.changes(OTHER_GUILD) == []


async def test_an_import_is_checked_whole_and_a_bad_one_changes_nothing(
    store: Store, make_service: MakeService
) -> None:
    service = make_service()
    await service.set(GUILD, "auto", ["channels"], by=ADMIN)
    before = await snapshot(store)
    for bad in ({"auto": "everywhere", "quality": "4k"}, {"auto": "everywhere", "nope": 1},
                ["auto"], '{"auto": "everywhere",', b"\xff"):  # fmt: skip
        with pytest.raises(SettingsError) as caught:
            await service.import_(GUILD, bad, by=ADMIN)
        assert "\n" not in caught.value.user_message
        assert await snapshot(store) == before
    assert (await service.get(GUILD)).auto == "channels"


async def test_export_then_import_into_another_guild_round_trips(
    store: Store, make_service: MakeService
) -> None:
    service = make_service()
    await service.import_(GUILD, {
        "auto": "channels", "auto_channels": ["1", "2"], "auto_platforms": ["reddit", "bluesky"],
        "allowed_channels": ["1", "2", "3"], "denied_channels": ["4"], "allowed_roles": ["5"],
        "sensitive": "spoiler", "nsfw_spoiler": "off", "original": "suppress", "quality": "best",
    }, by=ADMIN)  # fmt: skip
    document = await service.export(GUILD)
    await service.import_(OTHER_GUILD, document, by=ADMIN)
    assert await service.get(OTHER_GUILD) == await service.get(GUILD)
    assert await service.export(OTHER_GUILD) == document
    assert await store.guilds.overrides(OTHER_GUILD) == await store.guilds.overrides(GUILD)
    assert len(await service.changes(OTHER_GUILD, 100)) == 10  # every key differed


async def test_two_admins_changing_one_guild_at_once_both_land(
    store: Store, make_service: MakeService
) -> None:
    first, second = make_service(), make_service()
    await asyncio.gather(
        *(first.set(GUILD, "allowed_roles", [str(i)], by=i) for i in (1, 2)),
        second.set(GUILD, "quality", ["360p"], by=3),
        second.set(GUILD, "sensitive", ["spoiler"], by=4),
    )
    stored = await store.guilds.overrides(GUILD)
    assert stored["quality"] == "360p" and stored["sensitive"] == "spoiler"
    assert stored["allowed_roles"] in (["1"], ["2"])
    assert await store.guilds.version() == 4
    assert len(await store.guilds.changes(GUILD, 100)) == 4


async def test_ignore_me_toggles(store: Store, make_service: MakeService) -> None:
    service = make_service()
    assert await service.ignored(USER) is False
    assert await service.set_ignored(USER, True) is True
    assert await service.ignored(USER) is True
    assert await service.ignored(ADMIN) is False
    version = await store.guilds.version()
    await service.set_ignored(USER, True)  # already: nothing written
    assert await store.guilds.version() == version
    await service.set_ignored(USER, False)
    assert await service.ignored(USER) is False
    assert await store.guilds.ignored(USER) is False


# --- another process on the same database -----------------------------------------------------


async def test_a_write_through_this_service_is_seen_by_its_next_read_at_once(
    make_service: MakeService,
) -> None:
    service = make_service(clock=FakeClock())  # the clock never moves: no version check helps
    assert (await service.get(GUILD)).auto == "off"
    await service.set(GUILD, "auto", ["everywhere"], by=ADMIN)
    assert (await service.get(GUILD)).auto == "everywhere"
    await service.set_ignored(USER, True)
    assert await service.ignored(USER) is True


async def test_another_process_s_write_is_seen_once_the_version_check_runs(
    store: Store, make_service: MakeService
) -> None:
    clock = FakeClock()
    bot, other = make_service(clock=clock), make_service(clock=FakeClock())
    assert (await bot.get(GUILD)).quality == "720p"
    assert await bot.ignored(USER) is False
    reads = bot.cache.version_reads

    await other.set(GUILD, "quality", ["1080p"], by=ADMIN)
    await other.set_ignored(USER, True)
    # within the interval the cached answers stand (the cache really caches) …
    assert (await bot.get(GUILD)).quality == "720p"
    assert await bot.ignored(USER) is False
    assert bot.cache.version_reads == reads
    # … and the next read after it sees the change
    clock.advance(bot.cache.interval)
    assert (await bot.get(GUILD)).quality == "1080p"
    assert await bot.ignored(USER) is True
    assert bot.cache.version_moves == 1


async def test_with_no_interval_the_next_read_sees_another_process_s_write(
    store_settings: BossSettings, make_service: MakeService
) -> None:
    at_once = store_settings.model_copy(update={"guild_settings_cache_seconds": 0})
    bot, other = make_service(settings=at_once), make_service(settings=at_once)
    assert (await bot.get(GUILD)).original == "keep"
    await other.set(GUILD, "original", ["suppress"], by=ADMIN)
    assert (await bot.get(GUILD)).original == "suppress"
    await other.reset(GUILD, by=ADMIN)
    assert (await bot.get(GUILD)).original == "keep"


async def test_a_stored_value_no_longer_valid_is_skipped_not_fatal(
    store: Store, make_service: MakeService
) -> None:
    service = make_service()
    await service.set(GUILD, "quality", ["480p"], by=ADMIN)
    await store.guilds.update(
        GUILD, lambda row: ({**row, "auto_platforms": ["myspace"], "gone": 1}, [("x", 1, 2)]),
        action="set", by=None,
    )  # fmt: skip
    settings = await make_service().get(GUILD)
    assert settings.quality == "480p"
    assert settings.auto_platforms == GuildSettings().auto_platforms
