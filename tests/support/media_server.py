"""A local HTTP server for generated media, on 127.0.0.1, with ways to misbehave on purpose.

It runs in a thread (a plain ``ThreadingHTTPServer``), so it works from any event loop and any
test scope. Routes:

- ``/<name>``: a registered file (``server.add_file(name, path_or_bytes, content_type)``);
- ``/page/<name>``: a registered HTML page (``server.add_page``);
- ``/status/<code>[.ext]``: an empty response with that status;
- ``/slow/<name>``: the file, dripped in 16 KiB chunks every 0.2 s (bounded by the file size);
- ``/redirect?to=<path>``: a 302 to ``to``;
- ``/loop/<anything>``: a 302 to itself (a redirect loop);
- ``/endless/<name.ext>``: bytes with no Content-Length, until ENDLESS_LIMIT or the client leaves;
- ``/short/<name>``: the file with a Content-Length twice its size, then the connection closes;
- ``/gzip/<name>``: the file sent with ``Content-Encoding: gzip`` (register a gzip body);
- ``/ua-refuse/<word>/<name>``: 400 Bad Request when the User-Agent contains ``word``, else the
  file (one tool refused by the "site", the other served).

Every request is logged in ``server.requests`` (method, path) so tests can assert on traffic.
All loops are bounded by the data they send.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DRIP_CHUNK = 16 * 1024
DRIP_DELAY = 0.2
#: An "endless" response stops here at the latest (every test loop is bounded).
ENDLESS_LIMIT = 512 * 1024 * 1024


@dataclass
class _Resource:
    data: bytes
    content_type: str


class _QuietServer(ThreadingHTTPServer):
    """Clients hanging up mid-body (tools probing a URL, cancelled downloads) is normal here."""

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class MediaServer:
    def __init__(self) -> None:
        self.files: dict[str, _Resource] = {}
        self.requests: list[tuple[str, str]] = []
        self._httpd = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def add_file(self, name: str, content: bytes | Path, content_type: str) -> str:
        data = content.read_bytes() if isinstance(content, Path) else content
        self.files[name] = _Resource(data, content_type)
        return self.url(name)

    def add_page(self, name: str, html: str) -> str:
        self.files[f"page/{name}"] = _Resource(html.encode(), "text/html; charset=utf-8")
        return self.url(f"page/{name}")

    def start(self) -> MediaServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self._serve(head=True)

            def do_GET(self) -> None:
                self._serve(head=False)

            def _serve(self, *, head: bool) -> None:
                parts = urlsplit(self.path)
                path = parts.path.lstrip("/")
                server.requests.append((self.command, self.path))
                if path.startswith("status/"):
                    code = path.split("/", 1)[1].split(".", 1)[0]  # "status/503.mp4" → 503
                    self._send(int(code), b"", "text/plain", head)
                elif path == "redirect":
                    target = parse_qs(parts.query).get("to", ["/"])[0]
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif path.startswith("loop/"):
                    self.send_response(302)
                    self.send_header("Location", "/" + path)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif path.startswith("endless/"):
                    self._endless(head)
                elif path.startswith("short/") and (res := server.files.get(path.split("/", 1)[1])):
                    self.send_response(200)
                    self.send_header("Content-Type", res.content_type)
                    self.send_header("Content-Length", str(2 * len(res.data)))
                    self.end_headers()
                    if not head:
                        self.wfile.write(res.data)
                    self.close_connection = True
                elif path.startswith("gzip/") and (res := server.files.get(path)):
                    self.send_response(200)
                    self.send_header("Content-Type", res.content_type)
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(res.data)))
                    self.end_headers()
                    if not head:
                        self.wfile.write(res.data)
                elif path.startswith("ua-refuse/") and path.count("/") >= 2:
                    _, word, name = path.split("/", 2)
                    res = server.files.get(name)
                    if word in (self.headers.get("User-Agent") or "") or res is None:
                        self._send(400 if res else 404, b"refused", "text/plain", head)
                    else:
                        self._send(200, res.data, res.content_type, head)
                elif path.startswith("slow/"):
                    res = server.files.get(path.split("/", 1)[1])
                    if res is None:
                        self._send(404, b"not found", "text/plain", head)
                    else:
                        self._drip(res, head)
                elif (res := server.files.get(path)) is not None:
                    self._send(200, res.data, res.content_type, head)
                else:
                    self._send(404, b"not found", "text/plain", head)

            def _send(self, code: int, body: bytes, ctype: str, head: bool) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def _endless(self, head: bool) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "video/mp4")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                if head:
                    return
                chunk = bytes(range(256)) * 256  # 64 KiB
                try:
                    for _ in range(ENDLESS_LIMIT // len(chunk)):
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    return

            def _drip(self, res: _Resource, head: bool) -> None:
                self.send_response(200)
                self.send_header("Content-Type", res.content_type)
                self.send_header("Content-Length", str(len(res.data)))
                self.end_headers()
                if head:
                    return
                try:
                    for start in range(0, len(res.data), DRIP_CHUNK):
                        self.wfile.write(res.data[start : start + DRIP_CHUNK])
                        self.wfile.flush()
                        time.sleep(DRIP_DELAY)
                except (BrokenPipeError, ConnectionResetError):
                    return

        return Handler
