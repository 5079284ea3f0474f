"""Is downloaded media marked sensitive (for adults)? Decided here, once, from what the tools
already return, so the API path, the CLI path and every platform agree.

Only flags the sites themselves set are read (no guessing from titles, tags or site names). A
value this module does not know counts as *not* sensitive: an unknown rating never blocks, and a
new adult value is one line in a table below. Everything is a pure function of plain dicts (yt-dlp's
info dict, gallery-dl's per-file kwdicts), so recorded tool output tests it directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from boss_bot.core.coerce import opt_int

#: yt-dlp's ``age_limit`` from which media is for adults only.
ADULT_AGE = 18

#: Ratings (gallery-dl's ``rating``, normalised: lower case, spaces and ``_`` as ``-``) meaning
#: adult content. Discord wants nudity and sexual content in age-restricted channels, so the
#: middle tiers that allow nudity (questionable, mature) count too.
ADULT_RATINGS = frozenset({
    "e", "explicit",  # danbooru, gelbooru, moebooru, e621, sankaku, shimmie2, *booru; ao3
    "q", "questionable",  # the same boorus' middle tier: nudity, erotic themes
    "sketchy", "unsafe",  # szurubooru (sketchy is its renamed "questionable")
    "a", "adult",  # newgrounds ("rated-a"), furaffinity, fantia, realbooru
    "m", "mature",  # newgrounds ("rated-m"), furaffinity, ao3: nudity allowed
    "r-18", "r18", "r-18g", "r18g", "18+",  # pixiv (x_restrict 1 and 2)
    "ecchi",  # iwara: its R-18 tier
    "erotica", "pornographic",  # mangadex contentRating
    "nsfw",
})  # fmt: skip

#: Ratings known to mean "not for adults only", listed so the decision is visibly deliberate:
#: ``s`` is "safe" on moebooru/e621/gelbooru_v01 and "sensitive" (suggestive, no nudity) on
#: danbooru since 2022; neither needs an age-restricted channel. Numbers (exhentai's, mangaread's,
#: wikifeet's star ratings, kagane's average) are scores, not age ratings, and are ignored.
SAFE_RATINGS = frozenset({
    "g", "general", "s", "safe", "sensitive", "t", "teen", "suggestive", "r15", "sfw",
    "general-audiences", "teen-and-up-audiences", "not-rated", "?",
})  # fmt: skip

#: Bluesky label values for adult media: the global moderation labels behind its adult-content
#: setting (``porn``, ``sexual``, ``nudity``, ``graphic-media``; ``gore`` is the legacy name).
#: yt-dlp's Bluesky extractor maps all but ``nudity`` to ``age_limit`` 18; nudity counts here.
ADULT_LABELS = frozenset({"porn", "sexual", "nudity", "graphic-media", "gore"})

_TRUE_TEXT = frozenset({"true", "yes", "1"})
#: How deep gallery-dl's parent metadata (a reddit post around an imgur/redgifs child) is read.
_MAX_PARENT_DEPTH = 3


def from_ytdlp_info(info: Mapping[str, Any]) -> bool:
    """True when yt-dlp marks the media, or any entry of a playlist, as for adults.

    Reads:

    - ``age_limit`` ≥ 18. yt-dlp's twitter extractor sets 18 for ``possibly_sensitive``, reddit
      for ``over_18``, bluesky for the labels porn/sexual/graphic-media, youtube for
      ``isFamilySafe: false``, and the generic extractor for a page carrying the RTA label
      (``<meta name="rating" content="RTA-5042-1996-1400-1577-RTA">``, or its "Proudly Labeled
      RTA" / "at least N years old" / 2257 markers), as do the adult sites' own extractors.
    - ``tags``, for Bluesky only (``extractor_key`` "Bluesky"): yt-dlp fills them with the post's
      label values, and ``nudity`` is a Bluesky adult label yt-dlp leaves out of ``age_limit``.
    - ``entries``, recursively: one adult entry marks the whole download.
    """
    if (opt_int(info.get("age_limit")) or 0) >= ADULT_AGE:
        return True
    if str(info.get("extractor_key") or "").lower() == "bluesky":
        tags = info.get("tags")
        if isinstance(tags, list) and any(_norm(t) in ADULT_LABELS for t in tags):
            return True
    entries = info.get("entries")
    if isinstance(entries, list):
        return any(from_ytdlp_info(e) for e in entries if isinstance(e, Mapping))
    return False


def from_gallerydl_records(kwdicts: Iterable[Mapping[str, Any]]) -> bool:
    """True when any downloaded file's gallery-dl metadata marks it as for adults.

    Reads, per file:

    - ``sensitive`` (twitter): the tweet's ``possibly_sensitive``.
    - ``sensitive_flags`` (twitter, per media): any of Nudity / Sensitive / Violence, the warning
      Twitter puts in front of that media.
    - ``over_18`` (reddit): the post's NSFW flag (also set for every post of an NSFW subreddit),
      and the same flag on the crossposted original (``crosspost_parent_list``).
    - ``rating`` (boorus, pixiv, newgrounds, furaffinity, mangadex, iwara, ao3, …): a string, or a
      list of them (ao3), adult when in :data:`ADULT_RATINGS`.
    - ``labels`` (bluesky): the post's labels (a list of ``{"val": …}``, a ``neg`` one cancelling
      its value) or its self-labels (``{"values": [{"val": …}]}``, which gallery-dl merges over
      the list for a self-labelled post), adult when in :data:`ADULT_LABELS`; and the labels on
      ``author`` that apply to the whole account (``uri`` is the account's DID; a label on the
      profile record only covers the avatar and banner).
    - ``_parent`` / ``parent``: gallery-dl's copy of the parent's metadata for a file a child
      extractor downloaded (a reddit link post to an imgur album), read the same way.

    TikTok and Instagram give no such flag in either tool (neither site allows adult media).
    """
    return any(_kwdict_sensitive(kw, 0) for kw in kwdicts if isinstance(kw, Mapping))


def _kwdict_sensitive(kw: Mapping[str, Any], depth: int) -> bool:
    if _flag(kw.get("sensitive")) or _flag(kw.get("over_18")):
        return True
    flags = kw.get("sensitive_flags")
    if isinstance(flags, list | tuple) and any(flags):
        return True
    crossposts = kw.get("crosspost_parent_list")
    if isinstance(crossposts, list) and any(
        isinstance(c, Mapping) and _flag(c.get("over_18")) for c in crossposts
    ):
        return True
    if _adult_rating(kw.get("rating")) or _adult_labels(kw.get("labels")):
        return True
    author = kw.get("author")
    if isinstance(author, Mapping) and _adult_labels(author.get("labels"), account_only=True):
        return True
    if depth < _MAX_PARENT_DEPTH:
        for key in ("_parent", "parent"):
            parent = kw.get(key)
            if isinstance(parent, Mapping) and _kwdict_sensitive(parent, depth + 1):
                return True
    return False


def _flag(value: Any) -> bool:
    """A site's boolean flag: True, or its text form; never a number or a dict."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in _TRUE_TEXT


def _norm(value: Any) -> str:
    return re.sub(r"[\s_]+", "-", value.strip().lower()) if isinstance(value, str) else ""


def _adult_rating(value: Any) -> bool:
    values = value if isinstance(value, list | tuple) else [value]
    return any(_norm(v) in ADULT_RATINGS for v in values)


def _adult_labels(labels: Any, *, account_only: bool = False) -> bool:
    """Bluesky labels: a list of label objects, or a self-labels object with ``values``."""
    if isinstance(labels, Mapping):  # com.atproto.label.defs#selfLabels
        labels = labels.get("values")
    if not isinstance(labels, list):
        return False
    active: set[str] = set()
    cancelled: set[str] = set()
    for label in labels:
        if not isinstance(label, Mapping):
            continue
        if account_only and not str(label.get("uri") or "").startswith("did:"):
            continue
        (cancelled if label.get("neg") is True else active).add(_norm(label.get("val")))
    return bool((active - cancelled) & ADULT_LABELS)
