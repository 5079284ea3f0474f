"""When one tool fails, does the next tool get the URL? Decided here, in one place.

Each platform has an ordered list of tools (``<PLATFORM>_TOOLS``); the download manager tries
them in order (:mod:`boss_bot.core.manager.chain`), each API-direct then CLI. After a tool
failed, :func:`decide` reads the error (already classified by :mod:`.errors_map`) and says:

=========================================================  ==========
error                                                      decision
=========================================================  ==========
extractor error (``ExtractorError``)                       next_tool
the site's API answered 4xx (``SiteAPIError``)             next_tool
a crash: the worker died, or the tool exited unclassified  next_tool
unsupported URL: the tool has no extractor for it          next_tool
no media found, from a tool that does not own the site     next_tool
no media found, from the site's own extractor              stop
private / login required, removed / 404, geo-blocked       stop
over the size or duration limit, egress guard, corrupt,    stop
placeholder media                                          stop
network, 5xx, 429, timeout, disk budget (transient)        retry
=========================================================  ==========

``retry`` ends the chain too: the retry loop around it runs the whole chain again with backoff.
A tool *owns* a URL when its extractor for it is made for the site, not a catch-all (gallery-dl's
``directlink``, yt-dlp's ``generic``). Pure: no I/O, and neither tool is imported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, NamedTuple

from boss_bot.core.errors import (
    BossBotError,
    DownloadError,
    ExternalToolError,
    ExtractorError,
    NoMediaFoundError,
    SiteAPIError,
    UnsupportedURLError,
    WorkerCrashedError,
)

GALLERY_DL = "gallery-dl"
YT_DLP = "yt-dlp"
AUTO = "auto"
TOOLS = (GALLERY_DL, YT_DLP)

Decision = Literal["next_tool", "stop", "retry"]
#: How one tool's try is recorded: it served, it could not read the URL (counts against the
#: tool), the site gave a definitive answer, or a transient one (neither counts against it).
Verdict = Literal["success", "failed", "definitive", "transient"]
VERDICTS: tuple[Verdict, ...] = ("success", "failed", "definitive", "transient")
_VERDICT: dict[Decision, Verdict] = {
    "next_tool": "failed",
    "stop": "definitive",
    "retry": "transient",
}
#: Extractors that take any URL of a kind rather than one site's.
CATCH_ALL: Mapping[str, frozenset[str]] = {
    GALLERY_DL: frozenset({"directlink", "generic", "recursive", "ytdl", "noop"}),
    YT_DLP: frozenset({"generic"}),
}

#: Which extractor each tool has for one URL (``None``: it has none); see the worker's probe.
Extractors = Mapping[str, str | None]


class ToolAttempt(NamedTuple):
    """One tool's try in a download's chain (API and CLI together): recorded per job."""

    tool: str
    #: ``success`` or the error's code.
    outcome: str
    verdict: Verdict

    @classmethod
    def served(cls, tool: str) -> ToolAttempt:
        return cls(tool, "success", "success")

    @classmethod
    def failed(cls, tool: str, error: BossBotError, decision: Decision) -> ToolAttempt:
        return cls(tool, error.code, _VERDICT[decision])


def owns(tool: str, extractor: str | None) -> bool:
    """Whether ``extractor`` (gallery-dl's ``category:subcategory``, yt-dlp's ``IE_NAME``) is
    made for the site, so its "no media" is the site's answer rather than a shrug."""
    if not extractor:
        return False
    return extractor.split(":")[0].lower() not in CATCH_ALL.get(tool, frozenset())


def decide(error: BaseException, *, owner: bool) -> Decision:
    """What the chain does after a tool failed with ``error`` (see the module's table).

    ``owner``: the tool's extractor is made for the site (only "no media found" asks).
    """
    if isinstance(error, WorkerCrashedError):
        return "next_tool"  # a crash, though retryable: another tool first
    if isinstance(error, UnsupportedURLError | ExtractorError | SiteAPIError):
        return "next_tool"
    if isinstance(error, NoMediaFoundError):
        return "stop" if owner else "next_tool"
    if isinstance(error, DownloadError) and error.retryable:
        return "retry"
    if type(error) in (DownloadError, ExternalToolError):
        return "next_tool"  # the tool exited without a failure errors_map could classify
    return "stop"


def ordered(order: Sequence[str], preferred: str | None) -> tuple[str, ...]:
    """The configured order, with the strategy's tool for this URL shape first when allowed.

    ``preferred`` is a URL-shape override (``v.redd.it`` → yt-dlp), never the platform's own
    tool: the operator's order wins over the platform default.
    """
    order = tuple(order)
    if order == (AUTO,) or preferred is None or preferred not in order:
        return order
    return (preferred, *(t for t in order if t != preferred))


def resolve_auto(direct_av: bool, extractors: Extractors | None) -> tuple[str, ...]:
    """``auto``: gallery-dl when it has an extractor for the URL, else yt-dlp; then the other.

    Direct audio/video links go to yt-dlp first (durations, formats, progress). Unknown
    extractors (the probe could not run): gallery-dl first, as before there was a probe.
    """
    if direct_av:
        return (YT_DLP, GALLERY_DL)
    if extractors is None or extractors.get(GALLERY_DL):
        return (GALLERY_DL, YT_DLP)
    return (YT_DLP, GALLERY_DL)


def may_follow(tool: str, extractors: Extractors | None, *, generic: bool) -> bool:
    """Whether ``tool`` is worth trying after another failed: it has an extractor for the URL
    (for a named platform, one made for the site). Unknown extractors: try it."""
    if extractors is None:
        return True
    found = extractors.get(tool)
    return found is not None if generic else owns(tool, found)


def planned(
    order: Sequence[str],
    preferred: str | None,
    *,
    direct_av: bool,
    extractors: Extractors | None,
    generic: bool,
) -> tuple[str, ...]:
    """The whole chain for one URL when its extractors are known (the chain itself learns them
    only when it needs them): the first tool, then each later one that :func:`may_follow`."""
    tools = ordered(order, preferred)
    if tools == (AUTO,):
        tools = resolve_auto(direct_av, extractors)
    return (tools[0], *(t for t in tools[1:] if may_follow(t, extractors, generic=generic)))


def telling(errors: Sequence[tuple[BossBotError, bool]]) -> BossBotError:
    """The error to report when every tool moved on: the one that says most about the media.

    First what a tool learnt about the site or the media (an extractor error, the API's 4xx,
    anything classified), then "no media" from a tool that does not own the site (its message
    still says why: an empty file, a web page), and only then "unsupported" or a crash; among
    equals, the last. ``(error, owner)`` pairs, in the order the tools ran.
    """

    def rank(pair: tuple[BossBotError, bool]) -> int:
        error, owner = pair
        if isinstance(error, UnsupportedURLError | WorkerCrashedError) or type(error) in (
            DownloadError,
            ExternalToolError,
        ):
            return 0
        return 1 if isinstance(error, NoMediaFoundError) and not owner else 2

    best = max(range(len(errors)), key=lambda i: (rank(errors[i]), i))
    return errors[best][0]


__all__ = [
    "AUTO",
    "CATCH_ALL",
    "GALLERY_DL",
    "TOOLS",
    "VERDICTS",
    "YT_DLP",
    "Decision",
    "Extractors",
    "ToolAttempt",
    "Verdict",
    "decide",
    "may_follow",
    "ordered",
    "owns",
    "planned",
    "resolve_auto",
    "telling",
]
