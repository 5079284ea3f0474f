"""What a request asks for (:class:`JobRequest`), and how it survives a restart.

The one typed request: the bot, the CLI, the HTTP API and the pipeline build it, and the store
maps it to its row and back (:func:`~boss_bot.core.store.request_of`). Everything needed to run
it again (download options, whether to post, one file per message, force) is persisted, so a
job recovered after a crash or retried from the CLI runs exactly as first asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from boss_bot.core.errors import BossBotError
from boss_bot.core.models import DownloadOptions
from boss_bot.core.strategies import strategy_for
from boss_bot.core.urls import normalise_url

#: What to do with media its source marks as sensitive (adult), decided by the edge from where
#: it will be posted: post it as is (an age-restricted channel with ``nsfw_spoiler=off``), post
#: it behind spoilers, or not post it at all (``sensitive=block`` outside such a channel).
SensitiveAction = Literal["post", "spoiler", "block"]
SENSITIVE_ACTIONS: tuple[SensitiveAction, ...] = ("post", "spoiler", "block")
#: What to do with a file over the upload limit (links need PUBLIC_BASE_URL): compress it
#: (then split, then link what still cannot fit), post the original as a link, or both.
TooBig = Literal["compress", "link", "both"]
TOO_BIG_MODES: tuple[TooBig, ...] = ("compress", "link", "both")


@dataclass(frozen=True)
class InteractionReply:
    """Where a request made through a Discord interaction (a slash command, "Download media")
    is answered: the interaction's follow-up webhook, until its token expires.

    Stored with the job, so a restarted bot or a worker can still answer it; after
    ``expires_at`` the answer goes to the user's DMs instead. The token is a credential for
    15 minutes: it is kept out of reprs, and out of the job's ``options`` (which the API shows).
    """

    application_id: int
    token: str = field(repr=False)
    #: UNIX time after which Discord refuses the webhook.
    expires_at: float
    #: The interaction's ``attachment_size_limit``: the per-file limit of its follow-ups.
    file_limit: int

    def to_json(self) -> dict[str, object]:
        return {"application_id": str(self.application_id), "token": self.token,
                "expires_at": self.expires_at, "file_limit": self.file_limit}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, object]) -> InteractionReply:
        return cls(int(str(data["application_id"])), str(data["token"]),
                   float(str(data["expires_at"])), int(str(data["file_limit"])))  # fmt: skip


@dataclass(frozen=True)
class JobRequest:
    """One link someone asked for, and how. Ids are plain ints: no Discord type in the core."""

    url: str
    user_id: int
    kind: str = "download"
    guild_id: int | None = None
    channel_id: int | None = None
    message_id: int | None = None
    options: DownloadOptions = field(default_factory=DownloadOptions)
    #: Post the files (False: keep them in the archive only).
    upload: bool = True
    #: Post each file in its own message(s) (playlists: one video per message).
    one_file_per_message: bool = False
    #: Skip the "already posted here" check.
    force: bool = False
    priority: int = 0
    #: Asked by automatic mode (a pasted link, no command): the edge answers quietly, with
    #: reactions on the original message and the media as a reply to it.
    auto: bool = False
    #: Post every file behind a spoiler (the link was written ``||like this||``).
    spoiler: bool = False
    #: What to do if the media turns out to be marked sensitive (see :data:`SensitiveAction`).
    #: Spoilers unless the edge says otherwise: never shown openly by default.
    on_sensitive: SensitiveAction = "spoiler"
    #: Asked through an interaction: answered through it (then by DM), not in a channel.
    reply: InteractionReply | None = field(default=None, repr=False)
    #: A file over the limit: the server's ``too_big`` setting where it is posted.
    too_big: TooBig = "compress"

    @property
    def platform(self) -> str:
        return platform_of(self.url)

    @property
    def media_key(self) -> str:
        return media_key_for(self.url, self.options)


def platform_of(url: str) -> str:
    try:
        return strategy_for(url).name
    except BossBotError:
        return "unknown"


def media_key_for(url: str, options: DownloadOptions | None = None) -> str:
    """The canonical media key for dedup: ``platform:id`` when the strategy knows the item,
    else the normalised URL. Options that change *what* is posted (audio only, a playlist's
    length) make a different key; quality does not (the same clip in another resolution is
    still the same clip for "already posted here")."""
    try:
        key = strategy_for(url).media_key(url)
    except BossBotError:
        key = None
    if key is None:
        try:
            key = normalise_url(url)
        except BossBotError:
            key = url.strip()
    if options is not None:
        if options.audio_only:
            key += "|audio"
        if options.playlist:
            key += f"|playlist:{options.max_items or 'all'}"
    return key[:300]


__all__ = ["JobRequest", "media_key_for", "platform_of"]
