"""API_TOKENS: who may call the HTTP API, parsed and checked.

Beside the settings because a malformed API_TOKENS is refused at start-up (the HTTP settings'
validator parses it); :mod:`boss_bot.http.auth` uses the parsed clients.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ApiClient:
    """One API_TOKENS entry: who (``name``, shown in logs and job records), the secret, scope."""

    name: str
    token: str = field(repr=False)
    read_only: bool = False


_API_TOKEN_CHARS = re.compile(r"[A-Za-z0-9._~+/=-]{16,256}")
_API_NAME_CHARS = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def parse_api_tokens(text: str) -> list[ApiClient]:
    """``"ci:abc…,grafana:def…:ro"`` → clients. Names must be unique; the message never
    contains a token (it may end up in a log or on a terminal)."""
    clients: list[ApiClient] = []
    for i, entry in enumerate(p.strip() for p in text.split(",")):
        if not entry:
            continue
        parts = entry.split(":")
        read_only = False
        if len(parts) == 3 and parts[2] in ("ro", "rw"):
            read_only = parts[2] == "ro"
            parts = parts[:2]
        if len(parts) != 2:
            raise ValueError(f"entry {i + 1}: expected name:token or name:token:ro")
        name, token = parts
        if not _API_NAME_CHARS.fullmatch(name):
            raise ValueError(f"entry {i + 1}: the name must be 1-64 of [A-Za-z0-9_.-]")
        if not _API_TOKEN_CHARS.fullmatch(token):
            raise ValueError(
                f"entry {i + 1} ({name}): the token must be 16-256 of [A-Za-z0-9._~+/=-]"
            )
        if any(c.name == name for c in clients):
            raise ValueError(f"entry {i + 1}: the name {name!r} is used twice")
        clients.append(ApiClient(name=name, token=token, read_only=read_only))
    return clients
