"""The tool chain: a platform's tools tried in order until one serves the URL.

When a site changes, one tool's extractor usually breaks before the other's (issue 16). Inside
one attempt (:mod:`.attempt`: egress tag, retries around it), this module runs the tools of
``<PLATFORM>_TOOLS`` for the URL in order, each with the step it is handed (API-direct, then
that tool's CLI), and after a failure asks :func:`~boss_bot.core.tools.fallback.decide` whether
the next tool may fix it. A later tool is tried only when it has an extractor for the URL (for
a named platform, one made for the site). Every tool's try is recorded as a
:class:`~boss_bot.core.tools.fallback.ToolAttempt`, so a job's metrics say which tool failed.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from boss_bot.core import paths
from boss_bot.core.errors import BossBotError, NoMediaFoundError, UnsupportedURLError
from boss_bot.core.manager.context import is_direct_av
from boss_bot.core.tools.fallback import (
    AUTO,
    Extractors,
    ToolAttempt,
    decide,
    may_follow,
    ordered,
    owns,
    resolve_auto,
    telling,
)

if TYPE_CHECKING:
    from boss_bot.core.manager.context import AttemptContext
    from boss_bot.core.manager.probe import ToolProbe
    from boss_bot.core.models import MediaMetadata
    from boss_bot.core.settings import BossSettings
    from boss_bot.core.strategies import Strategy

# The package's logger (not this module's): log lines read as they always have.
log = logging.getLogger(__package__)

#: One tool's download (API-direct, then its CLI), for ``ctx.tool``.
Step = Callable[["AttemptContext"], Awaitable["MediaMetadata"]]
#: Turns a tool's failure into the error that really happened (the egress guard's refusal).
Refine = Callable[[BossBotError], BossBotError]
Record = Callable[[ToolAttempt], None]


def url_override(strategy: Strategy, url: str) -> str | None:
    """The tool a URL shape is routed to instead of the platform's (``v.redd.it``: yt-dlp)."""
    shape = strategy.tool_for(url)
    return shape if shape not in (strategy.tool, AUTO) else None


class ToolChain:
    """The tools for one URL, and what the chain learns about them while it runs."""

    def __init__(self, settings: BossSettings, ctx: AttemptContext, probe: ToolProbe) -> None:
        self.settings = settings
        self.ctx = ctx
        self.probe = probe
        self.generic = ctx.strategy.name == "generic"
        self._extractors: Extractors | None = None
        self._probed = False

    async def extractors(self) -> Extractors | None:
        """Which extractor each tool has for the URL (asked once here; the probe remembers)."""
        if not self._probed:
            self._probed = True
            self._extractors = await self.probe.extractors(self.ctx.url)
        return self._extractors

    async def tools(self) -> tuple[tuple[str, ...], bool]:
        """The tools in order, and whether ``auto`` stayed unresolved (no worker answered)."""
        strategy, url = self.ctx.strategy, self.ctx.url
        order = ordered(self.settings.tool_order(strategy.name), url_override(strategy, url))
        if order != (AUTO,):
            return order, False
        direct = is_direct_av(url)
        extractors = None if direct else await self.extractors()
        return resolve_auto(direct, extractors), not direct and extractors is None

    async def owner(self, tool: str) -> bool:
        """Whether ``tool``'s extractor is made for the site (unknown: a named platform's is)."""
        extractors = await self.extractors()
        if extractors is None:
            return not self.generic
        return owns(tool, extractors.get(tool))


async def run_chain(
    settings: BossSettings,
    ctx: AttemptContext,
    probe: ToolProbe,
    step: Step,
    record: Record,
    refine: Refine,
) -> MediaMetadata:
    """The first tool that serves ``ctx.url``; ``fallback_tool`` says whether it was not the
    first. Raises the error that stopped the chain, or (all moved on) the most telling one."""
    chain = ToolChain(settings, ctx, probe)
    tools, unresolved = await chain.tools()
    first = tools[0]
    errors: list[tuple[BossBotError, bool]] = []
    for index, tool in enumerate(tools):
        if index and not may_follow(tool, await chain.extractors(), generic=chain.generic):
            continue
        try:
            meta = await step(dataclasses.replace(ctx, tool=tool))
        except BossBotError as exc:
            error = refine(exc)
            paths.clear_directory(ctx.work)
            if unresolved and index == 0 and isinstance(error, UnsupportedURLError):
                first = tools[1]  # auto, unprobed: gallery-dl has no extractor, so not its turn
                continue
            owner = isinstance(error, NoMediaFoundError) and await chain.owner(tool)
            decision = decide(error, owner=owner)
            record(ToolAttempt.failed(tool, error, decision))
            if decision != "next_tool":
                if error is exc:
                    raise
                raise error from None
            errors.append((error, owner))
            log.warning("%s could not download %s (%s: %s); on to the next tool, if any",
                        tool, ctx.url, error.code, error)  # fmt: skip
            continue
        record(ToolAttempt.served(tool))
        if tool != first:
            log.info("%s served %s after %s failed", tool, ctx.url, first)
        return meta.model_copy(update={"fallback_tool": tool != first})
    if not errors:  # defensive: the first tool always runs
        raise NoMediaFoundError(f"no tool could read {ctx.url}")
    raise telling(errors)


__all__ = ["Record", "Refine", "Step", "ToolChain", "run_chain", "url_override"]
