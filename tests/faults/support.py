"""Helpers for the fault tests: a bot as a real process, a gate that holds uploads at the
Discord double, process-tree and file checks.

The gate is a :class:`~tests.discord_double.rest.RestApi` subclass installed on a double before
it starts. It holds a multipart ``POST /channels/{id}/messages`` chosen by channel and order,
in one of two places:

* ``before`` the double reads the body: a big upload stalls with the client part-way through
  writing it (the socket buffers are full). When the gate opens (the test has killed the bot
  by then) the connection is dropped, so the double's read fails ("Connection lost") and no
  message is stored: the upload never arrived.
* ``after`` the double stored the message, before it answers: Discord has the post, the bot
  never hears so. The answer goes out when the gate opens, to a dead client.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Literal

import psutil
from aiohttp import web

from boss_bot.core.paths import is_partial
from tests.bot.pipeline_support import eventually
from tests.discord_double import DiscordDouble, StoredMessage
from tests.discord_double.rest import RestApi

START_TIMEOUT = 60.0
READY_LINE = "connected as boss-bot"
#: How long an upload may be held (the gate never holds a request forever).
HOLD_TIMEOUT = 60.0


class UploadGate:
    """Which uploads to hold: ``hold(channel_id, nth, where)`` holds the nth upload to that
    channel ``before`` the double reads it or ``after`` it stored it (see the module doc)."""

    def __init__(self) -> None:
        self.rules: dict[int, tuple[int, str]] = {}
        self.seen: Counter[int] = Counter()
        self.held: dict[int, asyncio.Event] = {}
        self.opened = asyncio.Event()

    def hold(self, channel_id: int, nth: int, where: Literal["before", "after"]) -> None:
        self.rules[channel_id] = (nth, where)
        self.held[channel_id] = asyncio.Event()

    async def wait_held(self, channel_id: int, timeout: float = 30.0) -> None:
        await asyncio.wait_for(self.held[channel_id].wait(), timeout)

    def open(self) -> None:
        self.opened.set()

    def where(self, request: web.Request) -> str | None:
        """Count this upload; where to hold it, if it is one to hold."""
        channel_id = int(request.match_info["channel_id"])
        self.seen[channel_id] += 1
        nth, where = self.rules.get(channel_id, (0, ""))
        return where if nth == self.seen[channel_id] else None

    async def wait(self, request: web.Request) -> None:
        self.held[int(request.match_info["channel_id"])].set()
        await asyncio.wait_for(self.opened.wait(), HOLD_TIMEOUT)


class GatedRestApi(RestApi):
    def __init__(self, double: DiscordDouble, gate: UploadGate) -> None:
        super().__init__(double)
        self.gate = gate

    async def create_message(self, request: web.Request) -> web.Response:
        where = self.gate.where(request) if request.content_type == "multipart/form-data" else None
        if where == "before":
            await self.gate.wait(request)
            if request.transport is not None:
                request.transport.abort()  # what the dead client sent never arrives whole
            await eventually(lambda: request.transport is None, 10, 0.01)
        response = await super().create_message(request)
        if where == "after":
            await self.gate.wait(request)
        return response


def gated_double(gate: UploadGate) -> DiscordDouble:
    """A double (not started yet) whose message posts pass through ``gate``."""
    double = DiscordDouble()
    double.rest = GatedRestApi(double, gate)
    return double


# --- the bot as a process -----------------------------------------------------------------


def bot_env(tmp_path: Path, double: DiscordDouble, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {
        **keep,
        "DISCORD_TOKEN": double.token,
        "DISCORD_API_BASE_URL": double.api_base,
        "DISCORD_GATEWAY_URL": double.gateway_url,
        "DOWNLOAD_DIR": str(tmp_path / "dl"),
        "DATA_DIR": str(tmp_path / "data"),
        "ALLOW_PRIVATE_NETWORK_URLS": "true",
        "MAX_CONCURRENT_DOWNLOADS": "1",  # one warm worker: a faster start on 2 cores
        "LOG_LEVEL": "INFO",
        **extra,
    }


async def start_bot(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as sink:  # a file, not a pipe: a chatty bot can never block on it
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "boss_bot", "run", env=env, stdout=sink, stderr=sink,
        )  # fmt: skip


async def kill_bot(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await asyncio.wait_for(proc.wait(), 30)


async def wait_ready(log: Path, times: int) -> None:
    """The bot logged its ``on_ready`` (guilds in its cache: commands are heard) ``times``."""
    await eventually(
        lambda: log.read_text(errors="replace").count(READY_LINE) >= times, START_TIMEOUT, 0.1
    )


def process_tree(pid: int) -> list[psutil.Process]:
    """The process and every descendant (workers, ffmpeg, tools) as psutil handles, which
    remember their start time, so a reused pid is never mistaken for a survivor."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def survivors(tree: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for p in tree:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
        except psutil.NoSuchProcess:
            continue
    return alive


async def all_gone(tree: list[psutil.Process], timeout: float = 20.0) -> None:
    """Wait (bounded) until no process of ``tree`` is alive; fail naming the survivors."""
    with contextlib.suppress(TimeoutError):
        await eventually(lambda: not survivors(tree), timeout, 0.05)
    left = []
    for p in survivors(tree):
        with contextlib.suppress(psutil.Error):
            left.append((p.pid, " ".join(p.cmdline())[:120]))
    assert left == [], f"outlived their bot: {left}"


def find_children(pid: int, name: str, *needles: str) -> list[psutil.Process]:
    """Live descendants of ``pid`` called ``name`` whose command line has every needle."""
    found = []
    with contextlib.suppress(psutil.NoSuchProcess):
        for child in psutil.Process(pid).children(recursive=True):
            try:
                cmd = " ".join(child.cmdline())
                if child.name() == name and all(n in cmd for n in needles):
                    found.append(child)
            except psutil.Error:
                continue
    return found


# --- files and messages -------------------------------------------------------------------


def partials(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and is_partial(p)] if root.exists() else []


def sha256(data: bytes | Path) -> str:
    return hashlib.sha256(data.read_bytes() if isinstance(data, Path) else data).hexdigest()


def decode_errors(path: Path) -> str:
    """Everything ffmpeg complains about while decoding every frame of ``path`` ("" = clean)."""
    run = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-xerror", "-i", str(path), "-f", "null", "-"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return run.stderr.strip() or ("" if run.returncode == 0 else f"exit {run.returncode}")


def media_duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(path)],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return float(out.stdout.strip())


def status_reply(double: DiscordDouble, channel_id: int, asked: int) -> StoredMessage | None:
    """The bot's status message answering the user message ``asked``."""
    return next(
        (
            m
            for m in double.bot_messages(channel_id)
            if m.reference and int(m.reference["message_id"]) == asked and "Job `" in m.content
        ),
        None,
    )


def ended(message: StoredMessage) -> bool:
    """The status message shows an outcome (done, failed or cancelled)."""
    return any(line[:1] in ("✅", "❌", "🚫") for line in message.content.split("\n"))


def posts(double: DiscordDouble, channel_id: int) -> list[StoredMessage]:
    return [m for m in double.bot_messages(channel_id) if m.attachments]
