"""Discord's upload limits, as named constants in one place.

Every Discord-specific number the upload path needs lives here, so that when Discord moves a
limit there is exactly one line to change and nothing else hard-codes a size.

These are the *advertised* limits, and they do change: the documented default per-file limit went
from 25 MiB down to 10 MiB, and an increase to 20 MiB was announced in 2026. So the bot treats
them as a starting point, not a promise. When an upload is refused with HTTP 413 / JSON code
40005 the real limit is lower than advertised; the bot then records that lower limit for the
guild at run time, recompresses and retries once (see issue 4, "Upload limits, done right").

Sizes are in bytes; ``MiB`` is 2**20, which is what Discord (and ``discord.Guild.filesize_limit``)
means by "MB".
"""

from __future__ import annotations

from typing import Final

MiB: Final = 1 << 20
"""One mebibyte. Discord's "10 MB" is 10 MiB = 10_485_760 bytes."""

# --- Per message -------------------------------------------------------------------------------

MAX_ATTACHMENTS_PER_MESSAGE: Final = 10
"""At most this many files in one message; an 11th gets HTTP 400 / code 50035."""

MAX_MESSAGE_CONTENT: Final = 2000
"""Characters of text in one message (captions must be cut to fit)."""

# --- Per file ----------------------------------------------------------------------------------

DEFAULT_FILE_LIMIT: Final = 10 * MiB
"""Per-file limit of a guild without boosts (tiers 0 and 1)."""

DM_FILE_LIMIT: Final = 10 * MiB
"""Per-file limit in direct messages (no guild, so no boost tier)."""

FILE_LIMIT_BY_PREMIUM_TIER: Final[dict[int, int]] = {
    0: 10 * MiB,
    1: 10 * MiB,
    2: 50 * MiB,
    3: 100 * MiB,
}
"""Per-file limit by ``guild.premium_tier``; the same table discord.py's ``filesize_limit`` uses."""

MAX_PREMIUM_TIER: Final = max(FILE_LIMIT_BY_PREMIUM_TIER)

# --- Error codes -------------------------------------------------------------------------------

HTTP_BAD_REQUEST: Final = 400
HTTP_PAYLOAD_TOO_LARGE: Final = 413
"""An attachment (or the whole request) is over the real limit."""
HTTP_TOO_MANY_REQUESTS: Final = 429
"""Rate limited. discord.py already waits and retries; the bot must not retry on top of it."""
RETRIED_SERVER_ERRORS: Final = frozenset({500, 502, 504, 524})
"""Server errors discord.py retries by itself (after 1, 3, 5, … s, five tries)."""

JSON_REQUEST_ENTITY_TOO_LARGE: Final = 40005
"""JSON ``code`` sent with a 413: "Request entity too large"."""
JSON_INVALID_FORM_BODY: Final = 50035
"""JSON ``code`` sent with a 400, e.g. for more than :data:`MAX_ATTACHMENTS_PER_MESSAGE` files."""


def file_limit_for_tier(tier: int) -> int:
    """Advertised per-file upload limit, in bytes, for a guild at boost ``tier``.

    A tier above the highest one known gets the highest known limit (a higher tier has never
    meant a lower limit, and the 413 fallback catches it if that ever changes). A negative tier
    is a caller bug.
    """
    if tier < 0:
        raise ValueError(f"premium tier must be >= 0, got {tier}")
    return FILE_LIMIT_BY_PREMIUM_TIER[min(tier, MAX_PREMIUM_TIER)]
