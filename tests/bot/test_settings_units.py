"""The settings panel and report, piece by piece: pages within Discord's limits, custom ids
that parse back and never overlap, the permissions each feature needs, the text shown."""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import SimpleNamespace

import discord
import pytest

from boss_bot.bot.exts.settings import _needs, _pages, _panel, _render
from boss_bot.core.guilds import KEYS, GuildSettings, spec
from boss_bot.core.store.guilds import Change

BIGGEST_ID = 2**64 - 1


def test_every_key_is_on_exactly_one_page_within_discords_limits() -> None:
    shown = [k for page in _pages.PAGES for k in page.keys]
    assert sorted(shown) == sorted(KEYS) and len(shown) == len(set(shown))
    for page in _pages.PAGES:
        assert 1 + len(page.selects) + 1 <= 5  # page select, one row per key, the buttons
        assert len(page.clears) + len(page.toggles) + 1 <= 5  # buttons in one row
        assert all(spec(k).choices == ("on", "off") for k in page.toggles)


def test_custom_ids_fit_parse_back_and_belong_to_one_kind_of_component() -> None:
    templates = {
        name: re.compile(_pages.template(actions))
        for name, actions in (("button", _pages.BUTTON_ACTIONS), ("string", _pages.STRING_ACTIONS),
                              ("channel", _pages.CHANNEL_ACTIONS), ("role", _pages.ROLE_ACTIONS))
    }  # fmt: skip
    until = _pages.closes_at(4_102_444_800)  # 2100
    for page in _pages.PAGES:
        for kind, actions in (("button", _pages.BUTTON_ACTIONS), ("string", _pages.STRING_ACTIONS),
                              ("channel", _pages.CHANNEL_ACTIONS), ("role", _pages.ROLE_ACTIONS)):  # fmt: skip
            for action in actions:
                pid = _pages.PanelId(BIGGEST_ID, BIGGEST_ID, until, page.name, action)
                custom_id = pid.custom_id()
                assert len(custom_id) <= _pages.MAX_CUSTOM_ID, custom_id
                matching = [n for n, t in templates.items() if t.fullmatch(custom_id)]
                assert matching == [kind]
                match = templates[kind].fullmatch(custom_id)
                assert match is not None and _pages.PanelId.from_match(match) == pid
                assert _pages.until_of(["other", custom_id]) == until
    assert _pages.until_of(["boss:cancel:ab:1"]) is None
    assert not templates["button"].fullmatch("boss:settings:1:2:zz:auto:clear.quality")


def test_a_panel_closes_no_sooner_than_its_time() -> None:
    assert _pages.closes_at(1000.2) == 1000 + _pages.PANEL_SECONDS + 1
    pid = _pages.PanelId(1, 2, 1300, "auto", "page")
    assert not pid.expired(1299.9) and pid.expired(1300)


def rules(**values: object) -> GuildSettings:
    return GuildSettings().with_values(values)


def test_the_features_on_in_a_channel() -> None:
    assert _needs.features_in(rules(), 1) == [_needs.COMMANDS]
    assert _needs.features_in(rules(denied_channels=(1,)), 1) == []
    everywhere = rules(auto="everywhere", original="suppress")
    assert _needs.features_in(everywhere, 1) == [_needs.COMMANDS, _needs.AUTO, _needs.SUPPRESS]
    some = rules(auto="channels", auto_channels=(5,), original="suppress")
    assert _needs.features_in(some, 1) == [_needs.COMMANDS]
    assert _needs.features_in(some, 9, parent_id=5) == [_needs.COMMANDS, _needs.AUTO,
                                                        _needs.SUPPRESS]  # fmt: skip


def test_what_is_missing_names_the_features_that_need_it() -> None:
    features = [_needs.COMMANDS, _needs.AUTO, _needs.SUPPRESS]
    everything = discord.Permissions.all()
    assert _needs.missing(everything, features) == []
    perms = discord.Permissions.text()
    perms.update(
        view_channel=True,
        add_reactions=False,
        manage_messages=False,
        send_messages_in_threads=False,
    )
    lacking = _needs.missing(perms, features)
    assert lacking == [("Add Reactions", ["automatic mode"]),
                       ("Manage Messages", ["original=suppress"])]  # fmt: skip
    in_thread = _needs.missing(perms, features, thread=True)
    assert in_thread[0] == ("Send Messages in Threads", ["commands", "automatic mode"])
    assert _needs.describe(lacking) == (
        "Add Reactions (automatic mode), Manage Messages (original=suppress)"
    )


def test_values_read_as_mentions_and_long_lists_are_counted() -> None:
    ids = tuple(range(1, 13))
    assert _render.shown("allowed_roles", ids).endswith("<@&8> (+4 more)")
    lines = _render.value_lines(rules(quality="1080p"), GuildSettings(), ("auto", "quality"))
    assert lines == ["`auto`: off *(default)*", "`quality`: 1080p"]
    assert _render.fit(["x" * 600, "y" * 600]) == "x" * 600 + "\n…"
    assert _render.fit([]) == "—"


def test_the_audit_reads_who_when_and_what() -> None:
    changes = [
        Change(1, "quality", "720p", "1080p", 42, 1700000000.5, "set"),
        Change(1, "auto_channels", ["5"], [], None, 1700000001.0, "import"),
    ]
    assert _render.audit_lines(changes) == [
        "<t:1700000000:R> <@42>: quality: 720p → 1080p",
        "<t:1700000001:R> an operator (bossctl): auto_channels: <#5> → none (import)",
    ]


def test_an_embed_as_text_stays_within_a_message() -> None:
    embed = discord.Embed(title="T").add_field(name="F", value="v" * 3000)
    embed.set_footer(text="foot")
    text = _render.as_text(embed)
    assert text.startswith("**T**\n**F**\nvvv") and len(text) == _render.MESSAGE_LIMIT


@dataclass
class FakeGuild:
    """What building a panel reads of a guild: its id, and which channels and roles exist."""

    id: int
    channels: set[int]
    roles: set[int]

    def get_channel_or_thread(self, channel_id: int) -> object | None:
        return SimpleNamespace(id=channel_id) if channel_id in self.channels else None

    def get_role(self, role_id: int) -> object | None:
        return SimpleNamespace(id=role_id) if role_id in self.roles else None


@pytest.mark.parametrize("page", _pages.PAGES, ids=lambda p: p.name)
async def test_each_page_renders_within_discords_limits(page: _pages.Page) -> None:
    guild = FakeGuild(BIGGEST_ID, channels={10, 11}, roles={20})
    settings = rules(auto_channels=(10, 99), allowed_roles=(20, 98), nsfw_spoiler="off")
    view = _panel.build_panel(guild, BIGGEST_ID, page, settings)  # type: ignore[arg-type]
    rows = view.to_components()
    assert len(rows) <= 5 and all(len(r["components"]) <= 5 for r in rows)
    items = {type(i) for i in view.children}
    assert items <= set(_panel.PANEL_ITEMS)
    for item in view.children:
        assert item.template.fullmatch(item.custom_id), item.custom_id  # type: ignore[attr-defined]
    flat = [c for r in rows for c in r["components"]]
    page_select = flat[0]
    assert [o["value"] for o in page_select["options"] if o["default"]] == [page.name]
    if page.name == "auto":  # channels the server still has are shown as chosen
        [channels] = [c for c in flat if c["custom_id"].endswith(":auto_channels")]
        assert channels["default_values"] == [{"id": 10, "type": "channel"}]
    if page.name == "media":
        [toggle] = [c for c in flat if ":nsfw_spoiler." in c["custom_id"]]
        assert toggle["custom_id"].endswith("nsfw_spoiler.on")  # off now: the button turns it on
    view.stop()
