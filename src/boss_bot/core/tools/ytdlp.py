"""yt-dlp adapter: settings + options → ``YoutubeDL`` params or CLI arguments, and yt-dlp's info
dict → :class:`MediaMetadata`.

Both paths produce the same info dict (the API returns it; the CLI prints it with
``--print after_move:%()j``), so one parser serves both. Hooks (callables) are added by the worker,
because params cross a process boundary as JSON.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from boss_bot.core.coerce import opt_float, opt_int, opt_str
from boss_bot.core.models import DownloadMethod, DownloadOptions, MediaFile, MediaMetadata
from boss_bot.core.sensitive import from_ytdlp_info
from boss_bot.core.settings import BossSettings

TOOL = "yt-dlp"
#: Prefixes that mark our machine-readable lines in the CLI's stdout.
PROGRESS_PREFIX = "BOSSPROG "
INFO_PREFIX = "BOSSINFO "

#: Output names: yt-dlp sanitises fields itself; ``.80B`` caps bytes. We re-sanitise afterwards.
OUTTMPL_SINGLE = "%(title).80B [%(id).40B].%(ext)s"
OUTTMPL_PLAYLIST = "%(playlist_index)03d %(title).70B [%(id).40B].%(ext)s"

#: Size ladder: prefer a format that already fits the budget at these heights, before re-encode.
LADDER = (2160, 1440, 1080, 720, 480, 360)
#: Share of a size budget given to the video stream when a merged format is chosen.
_VIDEO_SHARE = 0.88

#: Keys of the info dict worth keeping in ``platform_data`` (the full dict is huge).
_KEEP_KEYS = (
    "extractor", "extractor_key", "webpage_url", "upload_date", "timestamp", "channel",
    "channel_id", "uploader_id", "playlist_id", "playlist_title", "playlist_count", "format_id",
    "width", "height", "fps", "vcodec", "acodec", "ext", "tags", "categories", "is_live",
    "age_limit", "resolution",
)  # fmt: skip


def _height(quality: str) -> int | None:
    return None if quality == "best" else int(quality.rstrip("p"))


def format_selector(options: DownloadOptions) -> str:
    """yt-dlp ``-f`` selector.

    With a size budget, formats whose *known* size already fits are tried first, down a
    720p → 480p → 360p ladder from the requested height, so a fitting file needs no re-encode.
    Then the best format at the requested height, then anything.
    """
    budget = options.size_budget_bytes
    if options.audio_only:
        fits = [f"ba[filesize<{budget}]", f"ba[filesize_approx<{budget}]"] if budget else []
        return "/".join([*fits, "ba[ext=m4a]", "ba", "b"])
    top = _height(options.quality)
    parts: list[str] = []
    if budget:
        v_budget = int(budget * _VIDEO_SHARE)
        a_budget = budget - v_budget
        for h in [x for x in LADDER if top is None or x <= top]:
            parts += [
                f"b[height<={h}][filesize<{budget}]",
                f"bv*[height<={h}][filesize<{v_budget}]+ba[filesize<{a_budget}]",
                f"b[height<={h}][filesize_approx<{budget}]",
            ]
    cap = f"[height<={top}]" if top else ""
    parts += [f"bv*{cap}+ba", f"b{cap}", "bv*+ba", "b"]
    return "/".join(parts)


def api_params(
    settings: BossSettings,
    options: DownloadOptions,
    dest: Path,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``YoutubeDL`` params (JSON-serialisable) for one download into ``dest``."""
    params: dict[str, Any] = {
        "paths": {"home": str(dest), "temp": str(dest)},
        "outtmpl": {"default": OUTTMPL_PLAYLIST if options.playlist else OUTTMPL_SINGLE},
        "format": format_selector(options),
        "format_sort": ["vcodec:h264", "acodec:aac", "ext"] if not options.audio_only else [],
        "noplaylist": not options.playlist,
        "max_filesize": settings.max_file_size_bytes,
        "socket_timeout": 30,
        "retries": 1,  # the download manager owns retries (with backoff)
        "fragment_retries": 3,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "color": {"stdout": "no_color", "stderr": "no_color"},
        "windowsfilenames": True,
        "trim_file_name": 150,
        "updatetime": False,
        "overwrites": True,
        "check_formats": False,
    }
    if not options.audio_only:
        params["merge_output_format"] = "mp4"
    else:
        params["postprocessors"] = [
            {"key": "FFmpegExtractAudio", "preferredcodec": "m4a", "nopostoverwrites": False}
        ]
    if extra:  # platform defaults first; what this request asked for wins below
        params.update(extra)
    params["noplaylist"] = not options.playlist
    if options.playlist and options.max_items:
        params["playlistend"] = options.max_items
    if settings.ytdlp_cookies_file:
        params["cookiefile"] = str(settings.ytdlp_cookies_file)
    if "/" in settings.ffmpeg_path:
        params["ffmpeg_location"] = settings.ffmpeg_path
    return params


def cli_args(
    settings: BossSettings,
    options: DownloadOptions,
    dest: Path,
    url: str,
    extra: Mapping[str, Any] | None = None,
) -> list[str]:
    """The same download as :func:`api_params`, as a yt-dlp command line (no shell).

    Machine output only: progress as JSON lines (``--progress-template``) and the final info
    dict per file (``--print after_move:%()j``). ``--`` ends options so the URL can never be
    read as one.
    """
    p = api_params(settings, options, dest, extra)
    args = [
        sys.executable, "-m", "yt_dlp",
        "--ignore-config", "--no-colors", "--newline", "--progress",
        "--progress-template", f"download:{PROGRESS_PREFIX}%(progress)j",
        "--print", f"after_move:{INFO_PREFIX}%()j", "--no-quiet",
        "-P", f"home:{dest}", "-P", f"temp:{dest}",
        "-o", p["outtmpl"]["default"],
        "-f", p["format"],
        "--max-filesize", str(p["max_filesize"]),
        "--socket-timeout", str(p["socket_timeout"]),
        "--retries", str(p["retries"]),
        "--fragment-retries", str(p["fragment_retries"]),
        "--windows-filenames", "--trim-filenames", str(p["trim_file_name"]),
        "--no-mtime", "--force-overwrites", "--no-check-formats",
        "--yes-playlist" if options.playlist else "--no-playlist",
    ]  # fmt: skip
    if p["format_sort"]:
        args += ["-S", ",".join(p["format_sort"])]
    if "merge_output_format" in p:
        args += ["--merge-output-format", p["merge_output_format"]]
    if options.audio_only:
        args += ["-x", "--audio-format", "m4a"]
    if "playlistend" in p:
        args += ["--playlist-end", str(p["playlistend"])]
    if "cookiefile" in p:
        args += ["--cookies", p["cookiefile"]]
    if "ffmpeg_location" in p:
        args += ["--ffmpeg-location", p["ffmpeg_location"]]
    if p.get("proxy"):
        args += ["--proxy", p["proxy"]]
    if p.get("match_filter"):
        args += ["--match-filters", p["match_filter"]]
    return [*args, "--", url]


def requested_files(info: Mapping[str, Any]) -> list[Path]:
    """Final file paths recorded in an info dict (single video or playlist)."""
    entries = info.get("entries")
    infos = [e for e in entries if e] if entries else [info]
    paths: list[Path] = []
    for entry in infos:
        downloads = entry.get("requested_downloads") or [entry]
        for d in downloads:
            fp = d.get("filepath") or d.get("_filename")
            if fp:
                paths.append(Path(fp))
    return paths


def slim_info(info: Mapping[str, Any]) -> dict[str, Any]:
    """Drop the bulky parts (formats, thumbnails, subtitles) before sending an info dict across.

    Everything else stays, ``age_limit`` and ``tags`` included: core/sensitive.py reads them.
    """
    drop = {"formats", "thumbnails", "subtitles", "automatic_captions", "requested_formats",
            "http_headers", "heatmap", "chapters", "_format_sort_fields", "fragments"}  # fmt: skip
    out = {k: v for k, v in info.items() if k not in drop}
    if info.get("entries"):
        out["entries"] = [slim_info(e) for e in info["entries"] if e]
    if out.get("requested_downloads"):
        out["requested_downloads"] = [
            {k: v for k, v in d.items() if k not in drop} for d in out["requested_downloads"]
        ]
    return out


def metadata_from_info(
    info: Mapping[str, Any],
    files: list[MediaFile],
    *,
    platform: str,
    url: str,
    method: DownloadMethod,
    quality: str | None = None,
) -> MediaMetadata:
    """:class:`MediaMetadata` from a yt-dlp info dict (a video or a playlist); ``sensitive`` when
    it or any entry is for adults (:func:`~boss_bot.core.sensitive.from_ytdlp_info`)."""
    entries = [e for e in (info.get("entries") or []) if e]
    first = entries[0] if entries else info
    duration = (
        sum(float(e.get("duration") or 0) for e in entries) or None
        if entries
        else opt_float(info.get("duration"))
    )
    height = first.get("height")
    return MediaMetadata(
        platform=platform,
        url=url,
        id=opt_str(info.get("id")),
        title=opt_str(info.get("title") or info.get("playlist_title")),
        description=opt_str(info.get("description")),
        author=opt_str(info.get("uploader") or info.get("channel") or first.get("uploader")),
        duration=duration,
        files=files,
        thumbnail=opt_str(info.get("thumbnail") or first.get("thumbnail")),
        platform_data={k: info[k] for k in _KEEP_KEYS if info.get(k) is not None}
        | ({"entries": len(entries)} if entries else {}),
        download_method=method,
        tool=TOOL,
        quality=quality or (f"{height}p" if height else None),
        like_count=opt_int(info.get("like_count")),
        repost_count=opt_int(info.get("repost_count")),
        view_count=opt_int(info.get("view_count")),
        comment_count=opt_int(info.get("comment_count")),
        sensitive=from_ytdlp_info(info),
    )
