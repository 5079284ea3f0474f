"""The egress guard: a small forward proxy on 127.0.0.1 that every download tool goes through.

Checking a URL before the download is not enough against SSRF: the tools follow redirects, and
they resolve names again (DNS rebinding). So when private addresses are not allowed, yt-dlp and
gallery-dl (API workers and CLI alike) are given this proxy, and the check runs at *connection*
time, for every request, redirects included: the proxy resolves the host, refuses if any address
is private/loopback/link-local/reserved (``urls.is_forbidden_address``), and connects to the
address it checked, so the answer cannot change between check and use.

Each download uses its own proxy credentials (``http://<job>:boss@127.0.0.1:port``), so a refusal is
attributed to the job that caused it and reported to its user as a blocked redirect, not as the
tool's confusing "403" or "tunnel failed".

Plain ``http://`` requests are forwarded (absolute-form → origin-form, ``Connection: close``);
``https://`` uses ``CONNECT`` and is tunnelled byte for byte (no TLS interception).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import logging
import secrets
import socket
from collections import defaultdict
from collections.abc import Collection
from urllib.parse import urlsplit

from boss_bot.core.urls import is_forbidden_address

log = logging.getLogger(__name__)

_MAX_HEAD = 64 * 1024
_PIPE_CHUNK = 256 * 1024
CONNECT_TIMEOUT = 15.0


class EgressGuard:
    """Start with :meth:`start`; give tools :meth:`proxy_for`; read refusals with :meth:`blocked`.

    ``allow`` lists ``(host, port)`` pairs that skip the address check (an operator's internal
    media host, or a test server on 127.0.0.1).
    """

    def __init__(self, *, allow: Collection[tuple[str, int]] = ()) -> None:
        self._allow = {(h.lower().strip("[]"), p) for h, p in allow}
        self._server: asyncio.Server | None = None
        self._blocked: dict[str, list[str]] = defaultdict(list)
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self) -> EgressGuard:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, limit=_MAX_HEAD)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    def proxy_for(self, job: str) -> str:
        """The proxy URL for one download; its user part tags the job."""
        return f"http://{job}:boss@127.0.0.1:{self.port}"  # clients send auth only with a password

    def new_job_tag(self) -> str:
        return f"dl{secrets.token_hex(6)}"

    def blocked(self, job: str) -> list[str]:
        """Destinations refused for this job (``host:port (reason)``), oldest first."""
        return list(self._blocked.get(job, ()))

    def forget(self, job: str) -> None:
        self._blocked.pop(job, None)

    # -- connection handling ---------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except Exception:
            log.exception("egress guard failed on a connection")
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = [*lines[0].split(" ", 2), "", ""][:3]
        headers = [ln for ln in lines[1:] if ln]
        job = _job_from(headers)
        if method.upper() == "CONNECT":
            host, _, port_text = target.rpartition(":")
            port = int(port_text) if port_text.isdigit() else 443
            upstream = await self._open(job, host, port, writer)
            if upstream is None:
                return
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await _pipe_both(reader, writer, *upstream)
            return
        parts = urlsplit(target)
        if parts.scheme != "http" or not parts.hostname:
            await _refuse(writer, 400, "absolute http:// URL or CONNECT expected")
            return
        port = parts.port or 80
        upstream = await self._open(job, parts.hostname, port, writer)
        if upstream is None:
            return
        up_reader, up_writer = upstream
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        kept = [h for h in headers if not h.lower().startswith(("proxy-", "connection:"))]
        request = [f"{method} {path} {version or 'HTTP/1.1'}", *kept, "Connection: close", "", ""]
        up_writer.write("\r\n".join(request).encode("latin-1"))
        await up_writer.drain()
        # One request per proxy connection: tell the client not to reuse it (the upstream side
        # was asked to close), or its next request would land on a closed socket.
        try:
            response = await up_reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            await _refuse(writer, 502, "bad response from upstream")
            up_writer.close()
            return
        status, *resp_headers = response.decode("latin-1").split("\r\n")
        kept_resp = [
            h for h in resp_headers
            if h and not h.lower().startswith(("connection:", "keep-alive:", "proxy-connection:"))
        ]  # fmt: skip
        head_out = [status, *kept_resp, "Connection: close", "Proxy-Connection: close", "", ""]
        writer.write("\r\n".join(head_out).encode("latin-1"))
        await _pipe_both(reader, writer, up_reader, up_writer)

    async def _open(
        self, job: str, host: str, port: int, writer: asyncio.StreamWriter
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """Resolve, check every address, connect to a checked one; or refuse with 403."""
        host = host.strip("[]").lower()
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError:
            await _refuse(writer, 502, f"cannot resolve {host}")
            return None
        addresses = [str(info[4][0]) for info in infos]
        if (host, port) not in self._allow:
            bad = [a for a in addresses if is_forbidden_address(ipaddress.ip_address(a))]
            if bad or not addresses:
                reason = f"{host}:{port} ({bad[0] if bad else 'no address'})"
                self._blocked[job].append(reason)
                log.warning("egress guard refused %s for %s", reason, job)
                await _refuse(writer, 403, "boss-bot: destination not allowed")
                return None
        last: OSError | None = None
        for address in addresses:
            try:
                return await asyncio.wait_for(
                    asyncio.open_connection(address, port, limit=_PIPE_CHUNK), CONNECT_TIMEOUT
                )
            except (OSError, TimeoutError) as exc:
                last = exc if isinstance(exc, OSError) else OSError(str(exc))
        await _refuse(writer, 502, f"cannot connect to {host}:{port}: {last}")
        return None


def _job_from(headers: list[str]) -> str:
    for h in headers:
        name, _, value = h.partition(":")
        if name.strip().lower() == "proxy-authorization":
            scheme, _, token = value.strip().partition(" ")
            if scheme.lower() == "basic":
                with contextlib.suppress(ValueError):
                    return base64.b64decode(token).decode().split(":", 1)[0] or "anonymous"
    return "anonymous"


async def _refuse(writer: asyncio.StreamWriter, status: int, text: str) -> None:
    body = text.encode()
    reason = {400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway"}[status]
    writer.write(
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    with contextlib.suppress(ConnectionError):
        await writer.drain()


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while chunk := await src.read(_PIPE_CHUNK):
            dst.write(chunk)
            await dst.drain()
    finally:
        with contextlib.suppress(Exception):
            dst.write_eof() if dst.can_write_eof() else dst.close()


async def _pipe_both(
    client_r: asyncio.StreamReader,
    client_w: asyncio.StreamWriter,
    up_r: asyncio.StreamReader,
    up_w: asyncio.StreamWriter,
) -> None:
    try:
        await asyncio.gather(_pipe(client_r, up_w), _pipe(up_r, client_w))
    finally:
        up_w.close()
        with contextlib.suppress(Exception):
            await up_w.wait_closed()
