"""`/settings` and `$settings …`: a server's admins see and change the bot's settings there.

Everything here needs Manage Server (or the bot owner), reading included: the values are
harmless, but the audit names who changed what, and the permission report is for the people who
can fix it. Only in a server (a DM gets one line). Every change goes through
:class:`~boss_bot.core.guilds.GuildSettingsService`, so it is validated (a bad key or value is
one line naming the valid ones, a :class:`~boss_bot.core.errors.SettingsError` answered by
:mod:`boss_bot.bot.errors`), recorded (who, when, old, new) and seen by every process at once.

`/settings` opens the panel (:mod:`._panel`); the prefix group is the same operations as text,
plus export and import of a JSON document.
"""

from __future__ import annotations

import io
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from boss_bot.bot.errors import NotAllowedError
from boss_bot.bot.exts.settings._pages import PAGES
from boss_bot.bot.exts.settings._panel import PANEL_ITEMS, REFUSAL, may_configure, show
from boss_bot.bot.exts.settings._render import (
    ALL_GOOD,
    as_text,
    audit_lines,
    fit,
    permission_lines,
    settings_embed,
    strangers,
)
from boss_bot.bot.installs import server_only
from boss_bot.core.errors import SettingsError
from boss_bot.core.guilds import KEYS, describe_change, display, spec, write_document
from boss_bot.core.guilds.document import MAX_DOCUMENT_BYTES
from boss_bot.core.guilds.values import quoted

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot
    from boss_bot.core.guilds import GuildSettings

#: Changes listed by `$settings`.
MAX_CHANGES = 5
SUBCOMMANDS = "`set`, `reset`, `export` or `import`"
#: Attachments `import` reads without asking: JSON, or text that may be JSON.
JSON_TYPES = ("application/json", "text/plain")


class Settings(commands.Cog):
    """This server's settings (Manage Server or the bot owner)."""

    def __init__(self, bot: BossBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        # The panel's components, answered on any panel, whichever process rendered it.
        self.bot.add_dynamic_items(*PANEL_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*PANEL_ITEMS)

    async def cog_check(self, ctx: commands.Context[BossBot]) -> bool:  # type: ignore[override]
        if ctx.guild is None:
            raise commands.NoPrivateMessage()
        if await may_configure(self.bot, ctx.author):
            return True
        raise NotAllowedError(REFUSAL)

    # --- the panel ------------------------------------------------------------------------

    @app_commands.command(name="settings", description="Change how the bot works in this server")
    @server_only()
    async def panel(self, interaction: discord.Interaction) -> None:
        """Open this server's settings panel (only you see it)."""
        if interaction.guild is None:
            await interaction.response.send_message("That only works in a server.", ephemeral=True)
            return
        if not await may_configure(self.bot, interaction.user):
            await interaction.response.send_message(REFUSAL, ephemeral=True)
            return
        settings = await self.bot.guild_settings.get(interaction.guild.id)
        await show(interaction, PAGES[0], settings, first=True)

    # --- the prefix commands --------------------------------------------------------------

    @commands.group(name="settings", invoke_without_command=True, usage="")
    async def settings(self, ctx: commands.Context[BossBot], *, rest: str = "") -> None:
        """This server's settings, what the bot lacks for them here, the last changes.

        `settings set <key> <value…>`, `settings reset [key|all]`, `settings export`, `settings
        import` (the exported file attached). Manage Server or the bot owner; `/settings` opens
        a panel.
        """
        if rest.strip():  # a word that is no subcommand (a typo must not pass for a read)
            word = rest.split()[0]
            raise SettingsError(
                f"unknown settings subcommand {word!r}",
                user_message=f"`{ctx.clean_prefix}settings` takes {SUBCOMMANDS}, "
                f"not {quoted(word)}.",
            )
        guild = self._guild(ctx)
        service = self.bot.guild_settings
        rules = await service.get(guild.id)
        embed = settings_embed(guild, rules, service.defaults)
        lacking = permission_lines(guild, ctx.channel, rules)
        embed.add_field(
            name="The bot lacks", value=fit(lacking) if lacking else ALL_GOOD, inline=False
        )
        changes = await service.changes(guild.id, MAX_CHANGES)
        embed.add_field(
            name="Recent changes",
            inline=False,
            value=fit(audit_lines(changes)) if changes else "None yet.",
        )
        embed.set_footer(
            text=f"Change them with /settings or {ctx.clean_prefix}settings set "
            "<key> <value> (reset <key>, export, import)."
        )
        me = guild.me
        if me is not None and not ctx.channel.permissions_for(me).embed_links:  # type: ignore[union-attr]
            await ctx.send(as_text(embed))
            return
        await ctx.send(embed=embed)

    @settings.command(name="set")
    async def set_(self, ctx: commands.Context[BossBot], key: str = "", *, value: str = "") -> None:
        """Change one setting: `settings set <key> <value…>` (`none` clears a list)."""
        if not key:
            raise SettingsError(
                "no settings key", user_message=f"Name a setting: the keys are {', '.join(KEYS)}."
            )
        name = spec(key).name
        guild = self._guild(ctx)
        before = (await self.bot.guild_settings.get(guild.id)).value(name)
        after = await self.bot.guild_settings.set(
            guild.id, name, [value] if value else [], by=ctx.author.id
        )
        if after.value(name) == before:
            await ctx.send(f"`{name}` is already {display(name, before)}.")
        else:
            await ctx.send(f"Set {describe_change(name, before, after.value(name))}.")

    @settings.command(name="reset")
    async def reset(self, ctx: commands.Context[BossBot], key: str | None = None) -> None:
        """Put one setting (or every one: no key, or `all`) back to its default."""
        name = None if key is None or key.lower() == "all" else spec(key).name
        guild = self._guild(ctx)
        before = await self.bot.guild_settings.get(guild.id)
        after = await self.bot.guild_settings.reset(guild.id, name, by=ctx.author.id)
        if name is not None:
            old, new = before.value(name), after.value(name)
            if old == new:
                await ctx.send(f"`{name}` already has its default: {display(name, new)}.")
            else:
                await ctx.send(f"Reset {describe_change(name, old, new)}.")
            return
        changed = _changed(before, after)
        if not changed:
            await ctx.send("Every setting already has its default.")
        else:
            await ctx.send(f"Reset every setting to its default ({', '.join(changed)} changed).")

    @settings.command(name="export")
    async def export(self, ctx: commands.Context[BossBot]) -> None:
        """This server's settings as a JSON file (for `settings import` here or elsewhere)."""
        guild = self._guild(ctx)
        data = write_document(await self.bot.guild_settings.export(guild.id)).encode()
        file = discord.File(io.BytesIO(data), filename=f"boss-bot-settings-{guild.id}.json")
        await ctx.send(
            f"The settings of **{discord.utils.escape_markdown(guild.name)}**. "
            f"`{ctx.clean_prefix}settings import` with this file attached applies them.",
            file=file,
        )

    @settings.command(name="import")
    async def import_(self, ctx: commands.Context[BossBot]) -> None:
        """Apply the JSON file attached (as `settings export` wrote it, or part of it)."""
        guild = self._guild(ctx)
        data = await _read_attachment(ctx)
        before = await self.bot.guild_settings.get(guild.id)
        after = await self.bot.guild_settings.import_(guild.id, data, by=ctx.author.id)
        changed = _changed(before, after)
        text = (
            f"Imported: {', '.join(changed)} changed."
            if changed
            else "Imported: nothing to change, every key was already so."
        )
        unknown = strangers(guild, after)
        if unknown:
            text += f" Not in this server (check them): {unknown}."
        await ctx.send(text)

    @staticmethod
    def _guild(ctx: commands.Context[BossBot]) -> discord.Guild:
        if ctx.guild is None:  # cog_check refuses DMs first
            raise commands.NoPrivateMessage()
        return ctx.guild


def _changed(before: GuildSettings, after: GuildSettings) -> list[str]:
    return [k for k in KEYS if before.value(k) != after.value(k)]


async def _read_attachment(ctx: commands.Context[BossBot]) -> bytes:
    """The import's document: the command's attachment (or, when it has none, that of the
    message it replies to). Refused in one line: none, too big, not JSON, unreadable."""
    attachments = list(ctx.message.attachments)
    reference = ctx.message.reference
    if (
        not attachments
        and reference is not None
        and isinstance(reference.resolved, discord.Message)
    ):
        attachments = list(reference.resolved.attachments)
    how = f"attach the `.json` file `{ctx.clean_prefix}settings export` made."
    if not attachments:
        raise SettingsError("no attachment to import", user_message=f"Nothing was changed: {how}")
    attachment = next((a for a in attachments if _is_json(a)), attachments[0])
    name = quoted(attachment.filename)
    if not _is_json(attachment):
        raise SettingsError(
            "import attachment is not JSON",
            user_message=f"Nothing was changed: {name} is not JSON; {how}",
        )
    if attachment.size > MAX_DOCUMENT_BYTES:
        raise SettingsError(
            "import attachment too large",
            user_message=f"Nothing was changed: {name} is over "
            f"{MAX_DOCUMENT_BYTES // 1024} KiB; a settings file is a few KiB.",
        )
    try:
        return await attachment.read()
    except discord.HTTPException as exc:
        raise SettingsError(
            f"could not read the import attachment: {exc}",
            user_message="Nothing was changed: I could not read the attachment; try again.",
        ) from None


def _is_json(attachment: discord.Attachment) -> bool:
    suffix = PurePosixPath(attachment.filename).suffix.lower()
    kind = (attachment.content_type or "").split(";")[0].strip().lower()
    return suffix == ".json" or kind in JSON_TYPES or (not kind and suffix in ("", ".txt"))
