"""gallery-dl adapter: settings + options → gallery-dl config entries, and gallery-dl's per-file
metadata (its "kwdict") → :class:`MediaMetadata`.

gallery-dl is configured through a global config tree. We express one download as a list of
``(path, key, value)`` entries: the worker applies them with ``config.set`` after
``config.clear()`` (a worker runs one job at a time, so the global tree is the job's own), and
the CLI path passes the very same entries as ``-o path.key=<json>``. One list, two paths, no
drift between them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from boss_bot.core.coerce import opt_int, opt_str
from boss_bot.core.models import DownloadMethod, DownloadOptions, MediaFile, MediaMetadata
from boss_bot.core.sensitive import from_gallerydl_records
from boss_bot.core.settings import BossSettings

TOOL = "gallery-dl"
#: gallery-dl's exit status when no extractor matches the URL (``NoExtractorError``).
NO_EXTRACTOR_STATUS = 64
#: Suffix of the metadata sidecar the CLI path writes next to each file.
SIDECAR_SUFFIX = ".json"

ConfigEntry = tuple[tuple[str, ...], str, Any]


def config_entries(
    settings: BossSettings,
    options: DownloadOptions,
    dest: Path,
    *,
    category: str | None = None,
    category_options: Mapping[str, Any] | None = None,
) -> list[ConfigEntry]:
    """The config for one download into ``dest``, as ``(path, key, value)`` entries."""
    entries: list[ConfigEntry] = [
        ((), "base-directory", str(dest)),
        ((), "directory", []),  # files straight into the request dir, no site/user folders
        ((), "skip", False),
        ((), "filesize-max", str(settings.max_file_size_bytes)),
        ((), "timeout", 30.0),
        ((), "retries", 1),  # the download manager owns retries (with backoff)
        ((), "path-restrict", "auto"),
        ((), "mtime", False),
        (("downloader",), "progress", 0.5),
        (("downloader",), "mtime", False),
        (("output",), "mode", "pipe"),  # one finished path per line on stdout (CLI path)
        (("output",), "ansi", False),
        # directlink's default name starts with the host (and port): keep the server's name.
        (("extractor", "directlink"), "filename", "{filename}.{extension}"),
    ]
    if options.max_items:
        entries.append(((), "file-range", f"1-{options.max_items}"))
    if settings.gallery_dl_user_agent:
        entries.append(((), "user-agent", settings.gallery_dl_user_agent))
    if settings.gallery_dl_cookies_file:
        entries.append(((), "cookies", str(settings.gallery_dl_cookies_file)))
    elif settings.gallery_dl_cookies_from_browser:
        entries.append(((), "cookies", [settings.gallery_dl_cookies_from_browser]))
    if category and category_options:
        entries += [(("extractor", category), k, v) for k, v in category_options.items()]
    return entries


def cli_args(
    settings: BossSettings,
    entries: Iterable[ConfigEntry],
    url: str,
) -> list[str]:
    """A gallery-dl command line for the same config (no shell; ``--`` before the URL).

    ``--config-ignore`` keeps the machine's own config files out; ``GALLERY_DL_CONFIG_FILE`` is
    loaded explicitly when set. ``--write-metadata`` leaves a JSON sidecar per file, which is
    how this path reads metadata (never the human output). ``-O private=true`` keeps the
    ``_``-keys in it, as the API path's kwdict has them: ``_parent`` is how a file a child
    extractor saved (a reddit link post's imgur album) still carries the post's ``over_18``.
    """
    args = [sys.executable, "-m", "gallery_dl", "--config-ignore"]
    if settings.gallery_dl_config_file:
        args += ["-c", str(settings.gallery_dl_config_file)]
    for path, key, value in entries:
        args += ["-o", f"{'.'.join((*path, key))}={json.dumps(value)}"]
    return [*args, "--write-metadata", "-O", "private=true", "--", url]


def is_sidecar(path: Path) -> bool:
    """True for a ``<file>.<ext>.json`` metadata sidecar written by ``--write-metadata``."""
    return path.name.endswith(SIDECAR_SUFFIX) and path.with_name(path.name[:-5]).exists()


def read_sidecar(media: Path, *, remove: bool = False) -> dict[str, Any]:
    """The metadata sidecar of ``media`` (empty when there is none or it is unreadable).

    ``remove`` deletes the sidecar once read: a request directory holds only media.
    """
    side = media.with_name(media.name + SIDECAR_SUFFIX)
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if remove:
        side.unlink(missing_ok=True)
    return data if isinstance(data, dict) else {}


def _first(kw: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        value = kw.get(key)
        if isinstance(value, dict):  # e.g. author: {"name": ..., "nick": ...}
            value = value.get("name") or value.get("nick") or value.get("username")
        if value not in (None, "", [], {}):
            return value
    return None


def metadata_from_records(
    records: list[tuple[MediaFile, Mapping[str, Any]]],
    *,
    platform: str,
    url: str,
    method: DownloadMethod,
) -> MediaMetadata:
    """:class:`MediaMetadata` from ``(file, kwdict)`` pairs, one per downloaded file.

    Field names differ per site (``tweet_id``/``content`` on Twitter, ``title``/``selftext`` on
    Reddit, ``post_shortcode``/``description`` on Instagram); the first present one wins.
    ``sensitive`` when any file's flags say adult (:mod:`boss_bot.core.sensitive`).
    """
    kw: Mapping[str, Any] = records[0][1] if records else {}
    ident = _first(kw, "tweet_id", "post_shortcode", "shortcode", "id", "post_id", "filename")
    title = _first(kw, "title", "content", "description", "caption", "filename")
    return MediaMetadata(
        platform=platform,
        url=url,
        id=str(ident) if ident is not None else None,
        title=str(title)[:300] if title is not None else None,
        description=opt_str(_first(kw, "content", "description", "selftext", "caption")),
        author=opt_str(_first(kw, "author", "user", "username", "owner", "uploader")),
        files=[f for f, _ in records],
        platform_data={
            k: kw[k]
            for k in ("category", "subcategory", "date", "domain", "subreddit", "lang")
            if kw.get(k) is not None
        },
        download_method=method,
        tool=TOOL,
        like_count=opt_int(_first(kw, "favorite_count", "likes", "score", "like_count")),
        repost_count=opt_int(_first(kw, "retweet_count", "reblogs", "crossposts")),
        view_count=opt_int(_first(kw, "view_count", "views")),
        comment_count=opt_int(_first(kw, "reply_count", "num_comments", "comments")),
        sensitive=from_gallerydl_records(k for _, k in records),
    )
