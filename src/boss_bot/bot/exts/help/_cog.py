"""`help`: the commands, one line each, or one command's usage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

if TYPE_CHECKING:
    from boss_bot.bot.client import BossBot


def command_line(prefix: str, command: commands.Command[object, ..., object]) -> str:
    signature = f" {command.signature}" if command.signature else ""
    summary = (command.short_doc or "").strip()
    return f"`{prefix}{command.qualified_name}{signature}`: {summary}"


class Help(commands.Cog):
    """Help."""

    def __init__(self, bot: BossBot) -> None:
        self.bot = bot

    @commands.hybrid_command(name="help")
    @app_commands.describe(command="A command name for its details")
    async def help(self, ctx: commands.Context[BossBot], command: str | None = None) -> None:
        """Show the commands, or how to use one."""
        prefix = self.bot.settings.command_prefix
        if command:
            found = self.bot.get_command(command.removeprefix(prefix))
            if found is None or found.hidden:
                await ctx.send(f"No command `{command}`.")
                return
            await ctx.send(f"{command_line(prefix, found)}\n{found.help or ''}".strip())
            return
        lines = []
        for cog_name, cog in sorted(self.bot.cogs.items()):
            cmds = [c for c in cog.get_commands() if not c.hidden]
            if not cmds:
                continue
            lines.append(f"**{cog_name}**")
            lines += [command_line(prefix, c) for c in sorted(cmds, key=lambda c: c.name)]
        lines.append(
            "Most commands also work as slash commands, e.g. `/download`; "
            "`/settings` opens the settings panel."
        )
        await ctx.send("\n".join(lines))
