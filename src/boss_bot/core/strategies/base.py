"""`Strategy`: what boss-bot knows about one platform, as plain data.

A strategy answers routing questions only: does this URL belong to the platform, which tool
reads it, what options that tool gets, and what stable key identifies the media. It does not
download anything and imports neither yt-dlp nor gallery-dl, so routing stays cheap in the
bot's process; the download workers look a strategy up by :attr:`Strategy.name`.

Matching works on the *host* of a normalised URL (see :func:`boss_bot.core.urls.host_of`),
exact or subdomain, never on a regex over the whole URL: that is what keeps
``x.com.evil.example``, ``notyoutube.com`` and ``https://twitter.com@evil.example/`` out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from boss_bot.core.urls import host_of

#: ``auto`` (generic only): the worker asks gallery-dl for an extractor, else uses yt-dlp's
#: generic extractor.
Tool = Literal["gallery-dl", "yt-dlp", "auto"]


def _no_options() -> Mapping[str, Any]:
    return MappingProxyType({})


def host_pattern(*domains: str) -> re.Pattern[str]:
    """A regex that fullmatches these domains and their subdomains, nothing else.

    ``host_pattern("x.com")`` matches ``x.com`` and ``mobile.x.com`` but not ``fixupx.com``
    or ``x.com.evil.example``: a subdomain must end in ``.`` + the domain.
    """
    names = "|".join(re.escape(d) for d in domains)
    return re.compile(rf"(?:[a-z0-9_-]+\.)*(?:{names})")


@dataclass(frozen=True, eq=False)
class Strategy:
    """One platform. Instances are module-level singletons, compared by identity.

    ``patterns`` are tried in order with ``re.match`` against ``host + path [+ "?" + query]``
    of the canonical URL (no scheme, port or user part). Each has exactly one named group
    that can match; its value is the media id, and its name says what kind of id it is:
    ``id`` gives ``"<name>:<value>"`` (a post or video), any other name ``k`` gives
    ``"<name>:<k>:<value>"`` (``youtube:playlist:PL...``), so ids of different kinds never
    collide in a dedup table. A pattern may also capture ``owner`` for ids that are unique
    only within one account: the value is then ``<owner>/<id>`` (a Bluesky post's record key
    belongs to its author's repository).
    """

    name: str
    display_name: str
    tool: Tool
    hosts: re.Pattern[str]
    patterns: tuple[re.Pattern[str], ...] = ()
    #: Hosts whose media another tool reads better (reddit: v.redd.it -> yt-dlp).
    tool_by_host: tuple[tuple[re.Pattern[str], Tool], ...] = ()
    #: URL shapes (``re.match``, as ``patterns``) only another tool reads (tiktok: embeds).
    tool_by_path: tuple[tuple[re.Pattern[str], Tool], ...] = ()
    #: Mirror/embed-fixer hosts rewritten to the real one by :meth:`canonical_url`.
    host_aliases: Mapping[str, str] = field(default_factory=_no_options)
    #: gallery-dl extractor options for this platform's category (``extractor.<category>``).
    gallery_dl_options: Mapping[str, Any] = field(default_factory=_no_options)
    #: Extra ``yt_dlp.YoutubeDL`` parameters (CLI path: their command-line equivalents).
    ytdlp_options: Mapping[str, Any] = field(default_factory=_no_options)

    def __post_init__(self) -> None:
        # Callers may pass plain dicts; store read-only views so the singleton can't drift.
        for name in ("host_aliases", "gallery_dl_options", "ytdlp_options"):
            value = getattr(self, name)
            if not isinstance(value, MappingProxyType):
                object.__setattr__(self, name, MappingProxyType(dict(value)))

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # Pickle by name: worker processes get the registry's own singleton back.
        from boss_bot.core.strategies.registry import strategy_by_name

        return strategy_by_name, (self.name,)

    def matches(self, url: str) -> bool:
        """True when ``url`` is an http(s) URL whose host is one of this platform's hosts."""
        host = host_of(url)
        return host is not None and self.hosts.fullmatch(host) is not None

    def canonical_url(self, url: str) -> str:
        """``url`` with a mirror host (``vxtwitter.com``) replaced by the real one.

        Other URLs come back unchanged. The mirrors exist to fix Discord embeds; the tools
        and the dedup key want the real site.
        """
        host = host_of(url)
        if host is None:
            return url
        target = self._alias_for(host)
        if target is None:
            return url
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, target, parts.path, parts.query, parts.fragment))

    def tool_for(self, url: str) -> Tool:
        """The tool that reads this URL: a host or path override, else the platform's tool."""
        host = host_of(url) or ""
        for pattern, tool in self.tool_by_host:
            if pattern.fullmatch(host):
                return tool
        if self.tool_by_path and self.matches(url):
            subject = self._subject(url)
            for pattern, tool in self.tool_by_path:
                if pattern.match(subject):
                    return tool
        return self.tool

    def media_key(self, url: str) -> str | None:
        """A stable ``platform:id`` for dedup, or None when the URL names no single item."""
        if not self.matches(url):
            return None
        subject = self._subject(url)
        for pattern in self.patterns:
            m = pattern.match(subject)
            found = {k: v for k, v in m.groupdict().items() if v} if m else {}
            owner = found.pop("owner", None)
            if found:
                kind, value = next(iter(found.items()))
                if owner:
                    value = f"{owner}/{value}"
                return f"{self.name}:{value}" if kind == "id" else f"{self.name}:{kind}:{value}"
        return None

    def _subject(self, url: str) -> str:
        """``host + path [+ "?" + query]`` of the canonical URL: what the patterns read."""
        canonical = self.canonical_url(url)
        parts = urlsplit(canonical)
        subject = f"{host_of(canonical)}{parts.path}"
        return f"{subject}?{parts.query}" if parts.query else subject

    def _alias_for(self, host: str) -> str | None:
        """The real host for a mirror host or any subdomain of one (``d.fxtwitter.com``)."""
        labels = host.split(".")
        for i in range(len(labels) - 1):
            if (target := self.host_aliases.get(".".join(labels[i:]))) is not None:
                return target
        return None
