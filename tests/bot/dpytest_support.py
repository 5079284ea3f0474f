"""Small fixes that make dpytest 0.7.0 usable with discord.py 2.7.1.

dpytest's ``FakeHttp.send_message`` reads the text from ``params.payload``. When a message has
files, discord.py 2.7 sends ``payload=None`` and puts the text into the multipart
``payload_json`` part instead, so dpytest records such messages with no content. The patch
rebuilds the payload from ``payload_json``. dpytest also finds the channel by reading its
caller's local variable ``channel`` (``_get_higher_locs``), so the wrapper keeps one.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import discord.http as dhttp
from discord.ext.test.backend import FakeHttp

_original_send_message = FakeHttp.send_message


async def _send_message(
    self: FakeHttp, channel_id: int, *, params: dhttp.MultipartParameters
) -> dict[str, Any]:
    # Read by dpytest's _get_higher_locs(1) inside the original: must be a local named channel.
    channel = sys._getframe(1).f_locals.get("channel")  # noqa: F841
    if params.payload is None and params.multipart:
        for part in params.multipart:
            if part.get("name") == "payload_json":
                params = dhttp.MultipartParameters(
                    payload=json.loads(part["value"]),
                    multipart=params.multipart,
                    files=params.files,
                )
                break
    return await _original_send_message(self, channel_id, params=params)


def install() -> None:
    """Idempotent."""
    FakeHttp.send_message = _send_message  # type: ignore[method-assign]
