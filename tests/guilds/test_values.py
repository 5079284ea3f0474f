"""GuildSettings without a database: the defaults from the environment, the words people type,
one-line refusals naming what is valid, the rules the bot applies, and settings documents."""

from __future__ import annotations

import json

import pytest

from boss_bot.core.errors import ConfigurationError, SettingsError
from boss_bot.core.guilds import (
    KEYS,
    GuildSettings,
    describe_change,
    parse_document,
    parse_words,
    read_document,
)
from boss_bot.core.guilds.values import valid_values
from boss_bot.core.settings import BossSettings, load_settings
from boss_bot.core.strategies import STRATEGIES

#: Issue 14's keys in its order, then issue 16's `too_big`.
ISSUE_KEYS = ("auto", "auto_channels", "auto_platforms", "allowed_channels", "denied_channels",
              "allowed_roles", "sensitive", "nsfw_spoiler", "original", "quality",
              "too_big")  # fmt: skip


def test_the_keys_are_exactly_the_issues_in_its_order() -> None:
    assert KEYS == ISSUE_KEYS
    assert tuple(GuildSettings.model_fields) == ISSUE_KEYS


def test_defaults_without_environment_are_the_issues_table() -> None:
    defaults = GuildSettings.defaults(BossSettings(_env_file=None))
    assert defaults.export() == {
        "auto": "off",
        "auto_channels": [],
        "auto_platforms": ["twitter", "reddit", "instagram", "tiktok", "bluesky"],
        "allowed_channels": [],
        "denied_channels": [],
        "allowed_roles": [],
        "sensitive": "block",
        "nsfw_spoiler": "on",
        "original": "keep",
        "quality": "720p",
        "too_big": "compress",
    }
    assert defaults == GuildSettings()


def test_defaults_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "GUILD_DEFAULT_AUTO": "channels",
        "AUTO_CHANNEL_IDS": "11, 10",
        "GUILD_DEFAULT_AUTO_PLATFORMS": "youtube Reddit,twitter",
        "ALLOWED_CHANNEL_IDS": "20,21",  # the variables that were there before keep working
        "ALLOWED_ROLE_IDS": "30",
        "DENIED_CHANNEL_IDS": "40",
        "GUILD_DEFAULT_SENSITIVE": "spoiler",
        "GUILD_DEFAULT_NSFW_SPOILER": "off",
        "GUILD_DEFAULT_ORIGINAL": "suppress",
        "GUILD_DEFAULT_QUALITY": "1080p",
        "AUTO_MAX_LINKS": "5",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(_env_file=None)
    defaults = GuildSettings.defaults(settings)
    assert defaults.auto == "channels"
    assert defaults.auto_channels == (10, 11)
    assert defaults.auto_platforms == ("twitter", "reddit", "youtube")  # registry order
    assert (defaults.allowed_channels, defaults.allowed_roles) == ((20, 21), (30,))
    assert defaults.denied_channels == (40,)
    assert (defaults.sensitive, defaults.nsfw_spoiler) == ("spoiler", "off")
    assert (defaults.original, defaults.quality) == ("suppress", "1080p")
    assert settings.auto_max_links == 5


@pytest.mark.parametrize(
    ("name", "value"),
    [("GUILD_DEFAULT_AUTO_PLATFORMS", "twitter myspace"), ("GUILD_DEFAULT_QUALITY", "999p"),
     ("GUILD_DEFAULT_AUTO", "sometimes"), ("AUTO_MAX_LINKS", "0")],
)  # fmt: skip
def test_a_bad_default_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings(_env_file=None)
    assert name in str(caught.value)
    assert "\n" not in str(caught.value)


def test_tiktok_and_bluesky_are_platforms_and_so_is_every_registered_strategy() -> None:
    names = [s.name for s in STRATEGIES]
    value = parse_words("auto_platforms", ["bluesky", "TikTok", *names])
    assert set(value) == {*names, "tiktok", "bluesky"}


# --- words -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "words", "value"),
    [
        ("auto", ["Everywhere"], "everywhere"),
        ("auto_channels", ["<#12>", "10,11", "<#12>"], (10, 11, 12)),
        ("allowed_channels", ["none"], ()),
        ("denied_channels", ["CLEAR"], ()),
        ("allowed_roles", ["<@&7>", "8"], (7, 8)),
        ("auto_platforms", ["reddit", "twitter"], ("twitter", "reddit")),
        ("auto_platforms", ["none"], ()),
        ("sensitive", ["spoiler"], "spoiler"),
        ("nsfw_spoiler", ["off"], "off"),
        ("nsfw_spoiler", ["false"], "off"),
        ("nsfw_spoiler", ["yes"], "on"),
        ("original", ["suppress"], "suppress"),
        ("quality", ["1080"], "1080p"),
        ("QUALITY", ["best"], "best"),
    ],
)
def test_words_people_type(key: str, words: list[str], value: object) -> None:
    assert parse_words(key, words) == value


@pytest.mark.parametrize(
    ("key", "words", "names"),
    [
        ("autoo", ["on"], ISSUE_KEYS),
        ("auto", ["maybe"], ("off", "channels", "everywhere")),
        ("auto", [], ("off", "channels", "everywhere")),
        ("auto", ["off", "channels"], ("off", "channels", "everywhere")),
        ("auto_channels", ["<@&5>"], ("channel mentions", "ids", "none", "is a role")),
        ("auto_channels", ["general"], ("channel mentions", "ids", "none")),
        ("auto_channels", ["0"], ("channel mentions", "ids")),
        ("auto_channels", [str(2**64)], ("channel mentions", "ids")),
        ("denied_channels", [], ("channel mentions", "ids", "none")),
        ("allowed_roles", ["<#5>"], ("role mentions", "ids", "none", "is a channel")),
        ("allowed_roles", ["<@5>"], ("role mentions", "ids")),
        ("auto_platforms", ["myspace"], ("twitter", "reddit", "instagram", "tiktok", "bluesky")),
        ("sensitive", ["hide"], ("block", "spoiler")),
        ("nsfw_spoiler", ["maybe"], ("on", "off")),
        ("original", ["delete"], ("keep", "suppress")),
        ("quality", ["4k"], ("2160p", "1080p", "720p", "360p", "best")),
    ],
)
def test_each_bad_key_or_value_is_one_line_naming_the_valid_ones(
    key: str, words: list[str], names: tuple[str, ...]
) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_words(key, words)
    line = caught.value.user_message
    assert "\n" not in line and line.endswith(".")
    for name in names:
        assert name in line, (name, line)
    assert caught.value.code == "bad_setting"


def test_a_refusal_quotes_what_was_typed_safely() -> None:
    with pytest.raises(SettingsError) as caught:
        parse_words("auto", ["`@everyone`\nhi" + "x" * 100])
    line = caught.value.user_message
    assert "\n" not in line and "``" not in line and "…" in line


# --- the rules ---------------------------------------------------------------------------------

CHANNEL, THREAD_PARENT, OTHER = 100, 200, 300


def test_auto_applies_in_its_channels_and_their_threads_only() -> None:
    on = GuildSettings(auto="channels", auto_channels=(CHANNEL,))
    assert on.auto_applies(CHANNEL, None)
    assert on.auto_applies(555, CHANNEL)  # a thread follows its parent
    assert not on.auto_applies(OTHER, None)
    assert not GuildSettings(auto="off", auto_channels=(CHANNEL,)).auto_applies(CHANNEL, None)
    everywhere = GuildSettings(auto="everywhere")
    assert everywhere.auto_applies(OTHER, None)
    # never where commands may not run: a denied channel (or its threads), outside the allowed
    limited = everywhere.with_values({"denied_channels": (OTHER,), "allowed_channels": (CHANNEL,
                                      OTHER)})  # fmt: skip
    assert not limited.auto_applies(OTHER, None)
    assert not limited.auto_applies(555, OTHER)
    assert not limited.auto_applies(THREAD_PARENT, None)
    assert limited.auto_applies(CHANNEL, None)


def test_channel_and_role_rules() -> None:
    s = GuildSettings(allowed_channels=(CHANNEL,), denied_channels=(OTHER,), allowed_roles=(7,))
    assert s.channel_allowed(CHANNEL, None) and s.channel_allowed(9, CHANNEL)
    assert not s.channel_allowed(THREAD_PARENT, None)
    assert not GuildSettings(denied_channels=(OTHER,)).channel_allowed(9, OTHER)
    assert GuildSettings(denied_channels=(OTHER,)).channel_allowed(9, CHANNEL)
    assert s.role_allowed([1, 7]) and not s.role_allowed([1]) and not s.role_allowed([])
    assert GuildSettings().role_allowed([])


def test_download_refusal_keeps_the_bots_wording() -> None:
    """The lines people have always read (the bot's own check said exactly these)."""
    s = GuildSettings(allowed_channels=(CHANNEL,), allowed_roles=(7,))
    assert s.download_refusal(OTHER, None, [7]) == "Downloads aren't enabled in this channel."
    assert s.download_refusal(OTHER, CHANNEL, [7]) is None  # a thread follows its parent
    assert s.download_refusal(CHANNEL, None, []) == (
        "You need one of the roles allowed to use downloads."
    )


def test_a_denied_channel_is_refused_with_the_channel_line() -> None:
    s = GuildSettings(denied_channels=(CHANNEL,))
    assert s.download_refusal(CHANNEL, None, []) == "Downloads aren't enabled in this channel."
    assert s.download_refusal(5, CHANNEL, []) == "Downloads aren't enabled in this channel."
    assert s.download_refusal(OTHER, None, []) is None


# --- text and documents ------------------------------------------------------------------------


def test_values_read_as_mentions_or_bare_ids() -> None:
    s = GuildSettings(auto_channels=(2, 1), allowed_roles=(5,))
    assert s.format_value("auto_channels") == "<#1> <#2>"
    assert s.format_value("allowed_roles") == "<@&5>"
    assert s.format_value("denied_channels") == "none"
    assert s.format_value("auto_platforms") == "twitter reddit instagram tiktok bluesky"
    assert "auto_channels: <#1> <#2>" in s.lines()
    assert describe_change("auto_channels", [], ["1"], mentions=False) == "auto_channels: none → 1"


def test_export_is_every_key_in_order_with_ids_as_strings_and_reads_back() -> None:
    s = GuildSettings(auto="channels", auto_channels=(2**63 + 5,), allowed_roles=(9,),
                      nsfw_spoiler="off", quality="best")  # fmt: skip
    document = s.export()
    assert list(document) == list(ISSUE_KEYS)
    assert document["auto_channels"] == [str(2**63 + 5)]
    text = json.dumps(document)
    assert GuildSettings().with_values(parse_document(read_document(text))) == s


def test_a_document_may_name_some_keys_with_ints_or_words() -> None:
    parsed = parse_document({"Quality": "480p", "auto_channels": [1, "<#2>"],
                             "auto_platforms": "reddit twitter", "nsfw_spoiler": False})  # fmt: skip
    assert parsed == {"quality": "480p", "auto_channels": (1, 2),
                      "auto_platforms": ("twitter", "reddit"), "nsfw_spoiler": "off"}  # fmt: skip


def test_a_bad_document_is_one_line_naming_every_problem() -> None:
    with pytest.raises(SettingsError) as caught:
        parse_document({"auto": "maybe", "colour": "red", "quality": 720,
                        "allowed_roles": ["x"], "sensitive": "spoiler"})  # fmt: skip
    line = caught.value.user_message
    assert "\n" not in line and line.startswith("Nothing was changed")
    for part in ("`colour`", "the keys are auto", "`auto` must be off, channels or everywhere",
                 "`quality` must be a string", "`x` is not a role"):  # fmt: skip
        assert part in line, (part, line)
    assert "`sensitive`" not in line  # a good value is not a problem


@pytest.mark.parametrize("document", [[], "auto", None, 3])
def test_a_document_that_is_not_an_object_is_refused(document: object) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_document(document)
    assert "JSON object" in caught.value.user_message
    assert ", ".join(ISSUE_KEYS) in caught.value.user_message


def test_text_that_is_not_json_is_refused_with_where() -> None:
    with pytest.raises(SettingsError) as caught:
        read_document('{"auto": "off",,}')
    assert "not valid JSON (line 1" in caught.value.user_message


def test_valid_values_names_the_platforms_of_the_registry() -> None:
    text = valid_values("auto_platforms")
    assert all(s.name in text for s in STRATEGIES)


def test_one_string_of_words_reads_as_words() -> None:
    assert parse_words("auto_channels", "<#3> 4") == (3, 4)
    assert parse_words("auto", "channels") == "channels"
