"""Fixtures for the fault tests: the bot world and media of tests/bot, and the gallery's bytes."""

from __future__ import annotations

import pytest

from tests.bot.conftest import GALLERY_SIZE, BotMedia, bot_media, make_world, world  # noqa: F401
from tests.faults.support import sha256
from tests.support.media_server import MediaServer


@pytest.fixture(scope="session")
def gallery_hashes(bot_media: BotMedia, media_server: MediaServer) -> list[str]:  # noqa: F811
    """sha256 of the 14 images behind ``bot_media.gallery_url``, in post order."""
    return [sha256(media_server.files[f"g{i:02d}.jpg"].data) for i in range(GALLERY_SIZE)]
