"""Run external tools as asyncio subprocesses: no shell, a clean environment, a timeout, and a
cancel that kills the whole process group (the tool and anything it spawned, such as the ffmpeg
that yt-dlp starts to merge formats).

Modelled on Red-DiscordBot's subprocess wrapper: the command is an argument list, the environment
is rebuilt from an allow-list (so ``DISCORD_TOKEN`` and friends never reach a tool), and a failure
is a typed :class:`~boss_bot.core.errors.ExternalToolError` that carries the command.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from boss_bot.core.errors import ExternalToolError

log = logging.getLogger(__name__)

#: Environment variables a tool may inherit. Everything else (tokens, cookies paths of other
#: tools, cloud credentials) is dropped.
_ENV_ALLOW = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "SSL_CERT_FILE")

#: Tools create files 0600 and directories 0700: downloads are the requester's, nobody else's.
PRIVATE_UMASK = 0o077

#: How long a tool gets between SIGTERM and SIGKILL.
KILL_GRACE_SECONDS = 2.0

#: stderr kept for error messages (the tail matters, not the whole log).
_STDERR_KEEP = 64 * 1024

LineCallback = Callable[[str], None]

#: The tool is started through util-linux's ``setpriv --pdeathsig KILL`` when it is there
#: (Linux): it sets PR_SET_PDEATHSIG and execs the tool in place (same pid, same process group),
#: so the tool gets SIGKILL when the bot dies, even by SIGKILL. Without it a crashed bot leaves
#: its tools running in their own sessions, and ffmpeg ignores SIGPIPE: an orphaned encode runs
#: to its end. (A ``preexec_fn`` calling prctl would do the same, but forces fork() instead of
#: vfork(): ~10-20 ms with the event loop blocked for every tool a 100-300 MB bot starts.)
_pdeathsig: tuple[str, ...] | None = None


def _die_with_parent() -> tuple[str, ...]:
    """The argv prefix that ties a tool's life to ours, or () where that is not available."""
    global _pdeathsig
    if _pdeathsig is None:
        _pdeathsig = ()
        setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
        if setpriv is not None:  # util-linux < 2.33 has no --pdeathsig
            prefix = (setpriv, "--pdeathsig", "KILL", "--")
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                probe = subprocess.run([*prefix, setpriv, "--version"], timeout=10,
                                       capture_output=True, check=False)  # fmt: skip
                if probe.returncode == 0:
                    _pdeathsig = prefix
    return _pdeathsig


def _resolve(program: str, env: Mapping[str, str], cwd: Path | None) -> str | None:
    """Where ``program`` is, as exec would find it; None when it is missing."""
    if os.sep not in program:
        return shutil.which(program, path=env.get("PATH", os.defpath))
    path = Path(cwd or ".") / program  # an absolute program replaces the left side
    return program if path.is_file() and os.access(path, os.X_OK) else None


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment for a child tool: the allow-list plus ``extra``."""
    env = {k: v for k in _ENV_ALLOW if (v := os.environ.get(k)) is not None}
    env.setdefault("LANG", "C.UTF-8")
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    if extra:
        env.update(extra)
    return env


@dataclass(frozen=True)
class ToolResult:
    """What a finished tool left behind."""

    command: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


async def kill_process_group(proc: asyncio.subprocess.Process, grace: float = KILL_GRACE_SECONDS):
    """SIGTERM the process group, then SIGKILL it if it has not exited after ``grace`` seconds.

    The group id is the child's pid because every child starts in its own session. Killing the
    group after the leader exited still reaches grandchildren left in it.
    """
    pgid = proc.pid
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)
        try:
            await asyncio.wait_for(proc.wait(), timeout=wait)
        except TimeoutError:
            continue
        # The leader is gone; make sure no straggler in its group survives it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        return


async def _pump(
    stream: asyncio.StreamReader, sink: list[str], on_line: LineCallback | None, keep: int | None
) -> None:
    size = 0
    while True:
        raw = await stream.readline()
        if not raw:
            return
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if on_line is not None:
            try:
                on_line(line)
            except Exception:  # a progress consumer must never break the tool run
                log.exception("line callback failed")
        sink.append(line)
        size += len(line) + 1
        if keep is not None:
            while size > keep and len(sink) > 1:
                size -= len(sink.pop(0)) + 1


async def run_tool(
    command: Sequence[str],
    *,
    tool: str,
    timeout: float | None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    on_stdout_line: LineCallback | None = None,
    on_stderr_line: LineCallback | None = None,
    check: bool = True,
    stdin_data: bytes | None = None,
) -> ToolResult:
    """Run ``command`` and wait for it, killing its process group on timeout or cancellation.

    Raises ``TimeoutError`` when ``timeout`` passes (the caller turns it into its own error),
    ``asyncio.CancelledError`` when cancelled, and :class:`ExternalToolError` for a non-zero
    exit when ``check`` is set. In every case the process group is dead before this returns.
    """
    cmd = tuple(str(c) for c in command)
    env = dict(env) if env is not None else clean_env()
    argv = cmd
    if prefix := _die_with_parent():
        program = _resolve(cmd[0], env, cwd)
        if program is None:
            raise ExternalToolError(tool, None, f"{cmd[0]} not found", command=cmd)
        argv = (*prefix, program, *cmd[1:])
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if stdin_data is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=str(cwd) if cwd else None,
            env=env,
            start_new_session=True,
            umask=PRIVATE_UMASK,  # files the tools write are 0600, directories 0700
        )
    except FileNotFoundError as exc:
        raise ExternalToolError(tool, None, f"{cmd[0]} not found", command=cmd) from exc

    out: list[str] = []
    err: list[str] = []
    assert proc.stdout is not None and proc.stderr is not None

    async def _communicate() -> int:
        if stdin_data is not None and proc.stdin is not None:
            proc.stdin.write(stdin_data)
            await proc.stdin.drain()
            proc.stdin.close()
        await asyncio.gather(
            _pump(proc.stdout, out, on_stdout_line, None),
            _pump(proc.stderr, err, on_stderr_line, _STDERR_KEEP),
        )
        return await proc.wait()

    try:
        returncode = await asyncio.wait_for(_communicate(), timeout=timeout)
    except BaseException:
        # Timeout, cancellation or a bug: the tool must not outlive this call.
        await asyncio.shield(kill_process_group(proc))
        raise
    # The leader exited on its own; reap any grandchild still in its group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)

    result = ToolResult(cmd, returncode, "\n".join(out), "\n".join(err))
    if check and returncode != 0:
        raise ExternalToolError(tool, returncode, result.stderr, command=cmd)
    return result
