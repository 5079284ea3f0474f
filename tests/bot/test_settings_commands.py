"""`$settings …` on the wire-level double: set and reset, one-line refusals naming what is valid,
export then import into another server, and what the bot lacks for the features that are on,
with the audit. The store is read back through a service that never saw the changes."""

from __future__ import annotations

import json

from boss_bot.core.guilds.document import MAX_DOCUMENT_BYTES
from tests.bot.test_settings_panel import Place, live, place  # noqa: F401  (fixture)
from tests.discord_double import ADD_REACTIONS, EMBED_LINKS, MANAGE_MESSAGES, StoredMessage

KEYS_LINE = "the keys are auto, auto_channels, auto_platforms, allowed_channels"


async def ask(
    place: Place,  # noqa: F811
    text: str,
    *,
    user: int | None = None,
    channel: int | None = None,
    attachments: tuple[tuple[str, bytes], ...] = (),
) -> StoredMessage:
    """Someone sends ``text``; the bot's first message after it in that channel."""
    where = channel or place.general
    sent = await place.double.send_user_message(
        where, user or place.admin.id, text, attachments=attachments
    )
    after = int(sent["id"])

    def answer() -> StoredMessage | None:
        return next((m for m in place.double.bot_messages(where) if m.id > after), None)

    return await place.world.bounded(place.double.wait_until(answer))


def field(message: StoredMessage, name: str) -> str:
    [embed] = message.embeds
    [value] = [f["value"] for f in embed["fields"] if f["name"] == name]
    return value


async def test_an_admin_sets_and_resets(place: Place) -> None:  # noqa: F811
    memes, thread = place.memes.id, place.thread.id
    assert (await ask(place, "$settings set quality 1080p")).content == (
        "Set quality: 720p → 1080p."
    )
    reply = await ask(place, f"$settings set auto_channels <#{memes}>, {thread}")
    assert reply.content == f"Set auto_channels: none → <#{memes}> <#{thread}>."
    assert (await ask(place, "$settings set QUALITY 1080")).content == (
        "`quality` is already 1080p."
    )
    assert (await ask(place, "$settings reset quality")).content == "Reset quality: 1080p → 720p."
    stored = await place.stored()
    assert stored.quality == "720p" and stored.auto_channels == tuple(sorted((memes, thread)))
    assert (await ask(place, "$settings reset")).content == (
        "Reset every setting to its default (auto_channels changed)."
    )
    assert await place.stored() == place.world.bot.guild_settings.defaults
    changes = await place.world.bot.guild_settings.changes(place.guild.id, 10)
    assert [(c.key, c.action) for c in changes] == [
        ("auto_channels", "reset"), ("quality", "reset"), ("auto_channels", "set"),
        ("quality", "set"),
    ]  # fmt: skip
    assert {c.by for c in changes} == {place.admin.id}


async def test_a_bad_key_or_value_is_one_line_naming_the_valid_ones(place: Place) -> None:  # noqa: F811
    cases = {
        "$settings set colour red": f"Unknown setting `colour`; {KEYS_LINE}",
        "$settings reset colour": f"Unknown setting `colour`; {KEYS_LINE}",
        "$settings set": f"Name a setting: {KEYS_LINE}",
        "$settings set quality 9000p": "`quality` must be 2160p, 1440p, 1080p, 720p, 480p, 360p "
        "or best (got `9000p`).",
        "$settings set auto": "`auto` needs a value: off, channels or everywhere.",
        "$settings set auto on": "`auto` must be off, channels or everywhere (got `on`).",
        "$settings set allowed_roles <#123>": "(`<#123>` is a channel).",
        "$settings set auto_platforms myspace": "platform names (twitter, reddit, instagram",
        "$settings frobnicate": "`$settings` takes `set`, `reset`, `export` or `import`, not "
        "`frobnicate`.",
    }
    for text, expected in cases.items():
        reply = await ask(place, text)
        assert expected in reply.content, (text, reply.content)
        assert "\n" not in reply.content and reply.embeds == []
    assert await place.stored() == place.world.bot.guild_settings.defaults
    assert await place.world.bot.guild_settings.changes(place.guild.id) == []


async def test_members_and_direct_messages_are_refused(place: Place) -> None:  # noqa: F811
    refusal = live("_panel").REFUSAL
    for text in ("$settings", "$settings set quality 1080p", "$settings reset", "$settings export"):
        reply = await ask(place, text, user=place.member.id)
        assert (reply.content, reply.embeds, reply.attachments) == (refusal, [], [])
    dm = place.double.dm_channel(place.admin.id).id
    reply = await ask(place, "$settings set quality 1080p", channel=dm)
    assert reply.content == "That only works in a server."
    assert await place.world.bot.guild_settings.changes(place.guild.id) == []


async def test_export_then_import_into_another_server(place: Place) -> None:  # noqa: F811
    service = place.world.bot.guild_settings
    for key, words in (("auto", "channels"), ("auto_channels", str(place.memes.id)),
                       ("allowed_roles", str(place.mods.id)), ("nsfw_spoiler", "off"),
                       ("auto_platforms", "reddit bluesky")):  # fmt: skip
        await service.set(place.guild.id, key, [words], by=place.admin.id)

    exported = await ask(place, "$settings export")
    [attachment] = exported.attachments
    assert attachment.filename == f"boss-bot-settings-{place.guild.id}.json"
    document = json.loads(attachment.path.read_bytes())
    assert document == await service.export(place.guild.id)
    assert document["auto_channels"] == [str(place.memes.id)]  # ids as strings

    other = place.world.tier2
    reply = await ask(place, "$settings import", channel=other.default_channel_id,
                      attachments=((attachment.filename, attachment.path.read_bytes()),))  # fmt: skip
    assert reply.content.startswith(
        "Imported: auto, auto_channels, auto_platforms, allowed_roles, nsfw_spoiler changed."
    )
    # tier0's channel and role mean nothing in tier2: said, not refused.
    assert f"channel {place.memes.id} (auto_channels)" in reply.content
    assert f"role {place.mods.id} (allowed_roles)" in reply.content
    assert (await place.stored(other.id)).export() == document

    again = await ask(place, "$settings export", channel=other.default_channel_id)
    assert again.attachments[0].path.read_bytes() == attachment.path.read_bytes()
    [change, *_] = await service.changes(other.id)
    assert (change.action, change.by) == ("import", place.admin.id)


async def test_an_invalid_import_changes_nothing(place: Place) -> None:  # noqa: F811
    bad_document = json.dumps({"auto": "channels", "quality": "9000p", "colour": "red"})
    cases = [
        ((), "Nothing was changed: attach the `.json` file `$settings export` made."),
        ((("photo.png", b"\x89PNG\r\n\x1a\n"),), "Nothing was changed: `photo.png` is not JSON"),
        ((("s.json", b"{not json"),), "not valid JSON (line 1, column 2)."),
        ((("s.json", bad_document.encode()),), "unknown key `colour` (the keys are auto, "),
        ((("s.json", bad_document.encode()),), "; `quality` must be 2160p, 1440p"),
        ((("s.json", b" " * (MAX_DOCUMENT_BYTES + 1)),), "`s.json` is over 256 KiB"),
    ]
    for attachments, expected in cases:
        reply = await ask(place, "$settings import", attachments=attachments)
        assert expected in reply.content, (attachments[:1], reply.content)
        assert "\n" not in reply.content
    assert await place.stored() == place.world.bot.guild_settings.defaults
    assert await place.world.bot.guild_settings.changes(place.guild.id) == []


async def test_settings_shows_what_the_bot_lacks_and_the_last_changes(place: Place) -> None:  # noqa: F811
    general, double, bot_id = place.general, place.double, place.double.bot.id
    shown = await ask(place, "$settings")
    assert field(shown, "The bot lacks") == live("_render").ALL_GOOD
    assert field(shown, "Recent changes") == "None yet."

    await ask(place, "$settings set original suppress")
    await ask(place, "$settings set auto everywhere")
    shown = await ask(place, "$settings")
    assert field(shown, "The bot lacks") == f"<#{general}>: Manage Messages (original=suppress)"
    audit = field(shown, "Recent changes").splitlines()
    assert len(audit) == 2
    assert audit[0].startswith("<t:") and audit[0].endswith(
        f":R> <@{place.admin.id}>: auto: off → everywhere"
    )
    assert audit[1].endswith("original: keep → suppress")
    assert "`original`: suppress" in field(shown, "Media")

    double.set_overwrite(general, bot_id, deny=ADD_REACTIONS)
    double.grant(place.guild.id, bot_id, MANAGE_MESSAGES)
    shown = await ask(place, "$settings")
    assert field(shown, "The bot lacks") == f"<#{general}>: Add Reactions (automatic mode)"

    # auto=channels: the automatic channels are checked too, not only the one asked in.
    double.set_overwrite(general, bot_id)
    double.set_overwrite(place.memes.id, bot_id, deny=ADD_REACTIONS | MANAGE_MESSAGES)
    await ask(place, "$settings set auto channels")
    await ask(place, f"$settings set auto_channels {place.memes.id}")
    shown = await ask(place, "$settings")
    assert field(shown, "The bot lacks") == (
        f"<#{place.memes.id}>: Add Reactions (automatic mode), Manage Messages (original=suppress)"
    )


async def test_settings_is_plain_text_where_the_bot_may_not_embed(place: Place) -> None:  # noqa: F811
    place.double.set_overwrite(place.general, place.double.bot.id, deny=EMBED_LINKS)
    shown = await ask(place, "$settings")
    assert shown.embeds == []
    assert shown.content.startswith("**Settings of tier0**\n**Automatic mode**\n`auto`: off")
    assert f"<#{place.general}>: Embed Links (commands)" in shown.content
