"""The one exception tree of boss-bot.

Everything the core raises on purpose is a :class:`BossBotError`. The edges (the Discord error
handler, the CLI) turn these into short user-facing lines using :attr:`BossBotError.user_message`
and :attr:`BossBotError.code`; nothing below the edges formats messages for people, and no edge
shows a traceback for one of these.

::

    BossBotError                      code                  meaning
    ├── ConfigurationError            config                a setting is missing or invalid
    │   └── ShardLeaseError           shard_taken           another bot process runs the shard (or another count)
    ├── SettingsError                 bad_setting           a per-server settings key or value is not valid
    ├── InvalidURLError               invalid_url           not a URL we may fetch (scheme, credentials, '-')
    │   └── BlockedURLError           blocked_url           resolves to a private/loopback/reserved address
    ├── UnsupportedURLError           unsupported_url       no strategy or tool can read it
    ├── UnsafePathError               unsafe_path           a write would land outside the request directory
    ├── DownloadError                 download_failed       the download did not produce media (retryable flag)
    │   ├── ExternalToolError         tool_failed           yt-dlp / gallery-dl / ffmpeg failed (tool, returncode, stderr)
    │   ├── DownloadTimeoutError      timeout               took longer than DOWNLOAD_TIMEOUT_SECONDS (retryable)
    │   ├── NetworkError              network               connection reset, DNS, 5xx, 429 (retryable)
    │   ├── FileTooLargeError         too_large             over MAX_FILE_SIZE_MB, stopped while streaming
    │   ├── MediaNotFoundError        not_found             404, deleted or removed
    │   ├── AccessDeniedError         access_denied         private, login required, age-gated
    │   ├── GeoBlockedError           geo_blocked           not available in the server's country
    │   ├── NoMediaFoundError         no_media              the page has nothing downloadable
    │   ├── ExtractorError            extractor_error       the tool's extractor could not read the site (site changed?)
    │   ├── SiteAPIError              site_api_error        the site's API answered 4xx (not 401/403/404/410/429)
    │   ├── CorruptMediaError         corrupt_media         truncated, or an image far too large to decode
    │   ├── MediaTooLongError         too_long              over MAX_DURATION_SECONDS (known before downloading)
    │   ├── DiskBudgetError           disk_budget           DISK_BUDGET_MB is used up (retryable)
    │   └── WorkerCrashedError        worker_crashed        a download worker process died (retryable)
    ├── CompressionError              compression_failed    media cannot be made to fit the budget
    ├── FileOverUploadLimitError      over_upload_limit     a file reached the batch planner over the limit (a bug)
    ├── UploadError                   upload_failed         posting a batch failed (permissions, channel gone, Discord down)
    │   └── UploadTooLargeError       upload_too_large      the destination refused a batch as too large (413 / 40005)
    └── RefusedError                  refused               policy says no (retry_after_seconds when it passes)
        ├── QueueFullError            queue_full            MAX_QUEUE_SIZE / MAX_QUEUED_PER_USER reached
        ├── QuotaExceededError        quota                 USER_RATE_LIMIT or GUILD_DAILY_QUOTA_MB used up
        ├── PlaceholderMediaError     placeholder           an empty file or a known placeholder image
        └── SensitiveMediaError       sensitive             marked sensitive, and this channel may not show it

Only :class:`DownloadError` subclasses carry ``retryable``; the download manager retries those
with exponential backoff and fails everything else at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike, fspath
from pathlib import PurePath


class BossBotError(Exception):
    """Base of every error boss-bot raises on purpose.

    ``user_message`` is what a person may see (short, no paths outside the request, no secrets);
    ``str(exc)`` may carry more detail for the logs.
    """

    code = "error"

    def __init__(self, message: str, *, user_message: str | None = None) -> None:
        super().__init__(message)
        self.user_message = user_message or message


class ConfigurationError(BossBotError):
    """A setting is missing or has an invalid value (names the environment variable)."""

    code = "config"


class ShardLeaseError(ConfigurationError):
    """Another bot process holds a lease on one of this process's shards, or runs the bot with
    another SHARD_COUNT: starting would answer those guilds twice (``shard_id``, ``holder``)."""

    code = "shard_taken"

    def __init__(self, message: str, *, shard_id: int, holder: str) -> None:
        super().__init__(message)
        self.shard_id = shard_id
        self.holder = holder


class SettingsError(BossBotError, ValueError):
    """A per-server settings key or value is not valid (``$settings set``, an import,
    ``bossctl guild``). ``user_message`` is one line naming the valid keys or values.

    A ValueError because it is bad input, never a failure of the bot; nothing was changed.
    """

    code = "bad_setting"


class InvalidURLError(BossBotError):
    """The text is not a URL boss-bot will fetch (bad scheme, credentials, leading '-', ...)."""

    code = "invalid_url"


class BlockedURLError(InvalidURLError):
    """The URL's host is, or resolves to, a private, loopback, link-local or reserved address."""

    code = "blocked_url"


class UnsupportedURLError(BossBotError):
    """No strategy or tool can read this URL."""

    code = "unsupported_url"


class UnsafePathError(BossBotError):
    """A path would land outside the request's own directory."""

    code = "unsafe_path"


class DownloadError(BossBotError):
    """A download did not produce media.

    ``retryable`` is True for transient causes (network, 5xx, timeouts, a crashed worker): the
    manager retries those with backoff. Everything else fails at once with its reason.
    """

    code = "download_failed"
    default_retryable = False

    def __init__(
        self,
        message: str,
        *,
        retryable: bool | None = None,
        user_message: str | None = None,
    ) -> None:
        super().__init__(message, user_message=user_message)
        self.retryable = self.default_retryable if retryable is None else retryable


class ExternalToolError(DownloadError):
    """An external tool failed. Carries the command (as a list) for the logs, never for users."""

    code = "tool_failed"

    def __init__(
        self,
        tool: str,
        returncode: int | None,
        stderr: str,
        *,
        command: Sequence[str] = (),
        retryable: bool | None = None,
        user_message: str | None = None,
    ) -> None:
        self.tool = tool
        self.returncode = returncode
        self.stderr = stderr
        self.command = list(command)
        last = _last_line(stderr)
        super().__init__(
            f"{tool} failed (exit {returncode}): {last}",
            retryable=retryable,
            user_message=user_message or f"{tool} could not download this: {last}",
        )


class DownloadTimeoutError(DownloadError):
    """The download took longer than its timeout and was killed."""

    code = "timeout"
    default_retryable = True


class NetworkError(DownloadError):
    """A transient network or server failure (connection, DNS, 5xx, 429)."""

    code = "network"
    default_retryable = True


class FileTooLargeError(DownloadError):
    """The media is over MAX_FILE_SIZE_MB; the download was stopped while streaming."""

    code = "too_large"


class MediaNotFoundError(DownloadError):
    """404, deleted or removed media."""

    code = "not_found"


class AccessDeniedError(DownloadError):
    """Private media, or the site wants a login (cookies) or age verification."""

    code = "access_denied"


class GeoBlockedError(DownloadError):
    """The site does not serve this media in the bot's country."""

    code = "geo_blocked"


class NoMediaFoundError(DownloadError):
    """The page was fetched but has nothing downloadable on it."""

    code = "no_media"


class ExtractorError(DownloadError):
    """The tool's extractor for the site failed to read what the site sent (the site changed,
    or the tool is out of date). Another tool may still read it: the chain moves on."""

    code = "extractor_error"


class SiteAPIError(DownloadError):
    """The site's API refused the tool's request with a 4xx other than the definitive ones
    (401/403: private, 404/410: removed, 429: slow down). Often one tool's way of asking
    broke while another's still works: the chain moves on."""

    code = "site_api_error"


class CorruptMediaError(DownloadError):
    """The file is truncated or otherwise unusable, or an image too large to decode safely."""

    code = "corrupt_media"


class MediaTooLongError(DownloadError):
    """Longer than MAX_DURATION_SECONDS, refused before downloading."""

    code = "too_long"


class DiskBudgetError(DownloadError):
    """The request directories hold DISK_BUDGET_MB already; the download was stopped."""

    code = "disk_budget"
    default_retryable = True


class WorkerCrashedError(DownloadError):
    """A download worker process died mid-job; the job may be retried on a fresh worker."""

    code = "worker_crashed"
    default_retryable = True


class CompressionError(BossBotError):
    """The media cannot be made to fit the byte budget (or is not decodable media)."""

    code = "compression_failed"


class FileOverUploadLimitError(BossBotError, ValueError):
    """A file is bigger than a message may carry; compress or split it before planning.

    A ValueError because reaching the planner with such a file is the caller's bug; a
    BossBotError so the error handler still turns it into a short reply, never a traceback.
    """

    code = "over_upload_limit"

    def __init__(self, path: str | PathLike[str], size_bytes: int, limit_bytes: int) -> None:
        self.path = fspath(path)
        self.size_bytes = size_bytes
        self.limit_bytes = limit_bytes
        super().__init__(
            f"{self.path!s} is {size_bytes} bytes, over the upload limit of {limit_bytes} bytes",
            user_message=f"{PurePath(self.path).name} is too large to upload.",
        )


class UploadError(BossBotError):
    """Posting a batch failed for a reason other than its size (permissions, Discord down).

    Raised by the edge's uploader (the bot turns discord.py's HTTP errors into these) so the
    pipeline can keep the downloaded files in the archive without knowing about Discord.
    """

    code = "upload_failed"


class UploadTooLargeError(UploadError):
    """The destination refused a batch as too large (HTTP 413 / JSON code 40005).

    The pipeline learns a lower per-file limit from it, refits the files and retries once.
    """

    code = "upload_too_large"


class RefusedError(BossBotError):
    """Policy refuses the request. ``retry_after_seconds`` says when asking again may work."""

    code = "refused"

    def __init__(
        self,
        message: str,
        *,
        user_message: str | None = None,
        retry_after_seconds: float | None = None,
    ) -> None:
        super().__init__(message, user_message=user_message)
        self.retry_after_seconds = retry_after_seconds


class QueueFullError(RefusedError):
    """The queue is full overall or for this user."""

    code = "queue_full"


class QuotaExceededError(RefusedError):
    """A per-user rate limit or a per-guild daily byte quota is used up."""

    code = "quota"


class PlaceholderMediaError(RefusedError):
    """The download is an empty file or a known placeholder, not the media."""

    code = "placeholder"


class SensitiveMediaError(RefusedError):
    """The media is marked sensitive (adult) and the server's rules keep it out of this
    channel (``sensitive=block`` outside an age-restricted channel). Its files are not kept."""

    code = "sensitive"


def _last_line(text: str, limit: int = 300) -> str:
    """The last non-empty line of a tool's stderr: usually the one that says why."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    line = lines[-1] if lines else "no error output"
    return line if len(line) <= limit else line[: limit - 1] + "…"


#: Error classes by their stable ``code`` (worker processes send codes, not pickled exceptions).
ERRORS_BY_CODE: dict[str, type[BossBotError]] = {
    cls.code: cls
    for cls in (
        BossBotError,
        ConfigurationError,
        SettingsError,
        InvalidURLError,
        BlockedURLError,
        UnsupportedURLError,
        UnsafePathError,
        DownloadError,
        DownloadTimeoutError,
        NetworkError,
        FileTooLargeError,
        MediaNotFoundError,
        AccessDeniedError,
        GeoBlockedError,
        NoMediaFoundError,
        ExtractorError,
        SiteAPIError,
        CorruptMediaError,
        MediaTooLongError,
        DiskBudgetError,
        WorkerCrashedError,
        CompressionError,
        FileOverUploadLimitError,
        UploadError,
        UploadTooLargeError,
        RefusedError,
        QueueFullError,
        QuotaExceededError,
        PlaceholderMediaError,
        SensitiveMediaError,
    )
}
