"""Turn a tool's error text into the right :mod:`boss_bot.core.errors` class.

yt-dlp and gallery-dl report failures as text (``ERROR: [generic] ... HTTP Error 404``); both
paths (API and CLI) end up here, so one table decides what is retryable and what users read.
"""

from __future__ import annotations

import re

from boss_bot.core.errors import (
    AccessDeniedError,
    BossBotError,
    DownloadError,
    ExtractorError,
    FileTooLargeError,
    GeoBlockedError,
    MediaNotFoundError,
    MediaTooLongError,
    NetworkError,
    NoMediaFoundError,
    SiteAPIError,
    UnsupportedURLError,
)
from boss_bot.core.tools import ytdlp

#: What users read when a link has no media a tool could save.
NO_MEDIA_MESSAGE = "I found no downloadable media on that link."

# (pattern, class, user message). First match wins; order from most to least specific.
# The recorded failures in tests/data/recorded/failures/ (both tools, both paths) pin each rule.
_RULES: tuple[tuple[re.Pattern[str], type[DownloadError] | None, str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), cls, msg)
    for p, cls, msg in (
        (r"max[-_ ]?filesize|filesize-max|larger than|too large|exceeds? .*limit",
         FileTooLargeError, "The file is larger than this bot accepts."),
        (r"Did not get any data blocks",
         NoMediaFoundError, "The link gave an empty file, not media."),
        (r"redirect error that would lead to an infinite loop|too many redirects|"
         r"redirect loop detected|TooManyRedirects|"
         r"Exceeded \d+ redirects",
         NoMediaFoundError, "The link redirects in a loop and never reaches the media."),
        (r"does not pass filter \(duration",
         MediaTooLongError, "That is longer than this bot downloads."),
        (r"geo[- ]?restrict|available in your country|geo[- ]?block|"
         r"HTTP Error 451|Unavailable For Legal Reasons",
         GeoBlockedError, "This media is not available in the bot's region."),
        (r"private video|this (video|post|account) is private|login required|sign in|"
         r"requires authentication|use --cookies|HTTP Error 40[13]|"
         r"\b40[13]\b.*(forbidden|unauthori[sz]ed)|"
         r"AuthorizationError|AuthenticationError|AuthRequired|needed to access|"
         r"age[- ]restricted|confirm your age",
         AccessDeniedError, "This media is private or needs a login."),
        (r"HTTP Error 404|\b404\b|not found|NotFoundError|has been removed|no longer available|"
         r"video unavailable|deleted|does not exist|HTTP Error 410|\b410 Gone|"
         r"\b(tweet|post|video|media)(?: #\d+)? (?:is )?unavailable",
         MediaNotFoundError, "The media was not found (deleted, removed or a wrong link)."),
        (r"Unsupported URL|No suitable extractor|NoExtractorError",
         UnsupportedURLError, "I don't know how to download from that link."),
        (r"no video formats found|no media found|nothing to download|No video could be found|"
         r"Requested format is not available|no (images|files) found|HTML response",
         NoMediaFoundError, "I found no downloadable media on that page."),
        # A 4xx other than the ones above (429 is "slow down", below): the site refused how
        # this tool asked. Before the network rule, which takes gallery-dl's HttpError.
        (r"HTTP Error 4(?!29)\d\d\b|'4(?!29)\d\d [^']*' for '|"
         r"(?:\]|ERROR:)\s*4(?!29)\d\d [A-Z][A-Za-z ]+\(|API request failed(?! \(5\d\d)",
         SiteAPIError, "The site refused the request; try again later."),
        # The tool's extractor choked on what the site sent: the site changed, or the tool is
        # out of date (yt-dlp asks for a bug report, gallery-dl reports an unexpected error).
        (r"please report this issue|An unexpected error occurred|Unable to extract|"
         r"An extractor error has occurred|Failed to parse JSON data",
         ExtractorError, "The download tool could not read that page (the site may have "
         "changed); try again later."),
        (r"HTTP Error 5\d\d|\b5\d\d\b.*(server|gateway|unavailable)|"
         r"HTTP Error 429|Too Many Requests|"
         r"timed? ?out|Connection (reset|refused|aborted)|Temporary failure in name resolution|"
         r"Remote end closed|IncompleteRead|ConnectionError|RemoteDisconnected|EOF occurred|"
         r"incomplete|Read timed out|HttpError|bytes read, \d+ more expected",
         NetworkError, "The site did not answer properly; try again in a moment."),
    )
)  # fmt: skip


def classify(tool: str, text: str) -> DownloadError | UnsupportedURLError:
    """The error a failure message means. Unknown text is a non-retryable ``DownloadError``."""
    line = _headline(text)
    for pattern, cls, user_message in _RULES:
        if pattern.search(text):
            if cls is UnsupportedURLError:
                return UnsupportedURLError(f"{tool}: {line}", user_message=user_message)
            assert cls is not None
            return cls(f"{tool}: {line}", user_message=user_message)
    return DownloadError(f"{tool}: {line}", user_message=f"{tool} could not download this: {line}")


def from_output(tool: str, text: str, code: str | None = None) -> BossBotError:
    """The error for a failed run: a worker's reply ``code`` first, then the tool's own text.

    Both paths end here (a worker's error reply, a CLI's stderr), so they fail the same way.
    """
    if code == "too_large":
        return FileTooLargeError(
            f"{tool}: over the size limit", user_message="The file is larger than this bot accepts."
        )
    error = classify(tool, text)
    if tool == ytdlp.TOOL and isinstance(error, UnsupportedURLError):
        # yt-dlp's generic extractor is the last resort: "unsupported" means the page has no
        # media it can find, which is what the user needs to hear.
        return NoMediaFoundError(str(error), user_message=NO_MEDIA_MESSAGE)
    return error


def _headline(text: str) -> str:
    """The most telling line: the last ``ERROR:`` line, else the last non-empty one."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower()]
    line = (errors or lines or ["no error output"])[-1]
    line = re.sub(r"^ERROR:\s*", "", line)
    return line if len(line) <= 300 else line[:299] + "…"
