"""``GET|HEAD /f/{token}/{filename}``: the files kept for links (:mod:`boss_bot.core.links`).

Only a valid, unexpired signed token names a file; everything else is a bare 404 (a forged or
expired token says nothing about why). Byte ranges (players seek), HEAD, the file's content
type and a safe ``Content-Disposition`` come from Starlette's ``FileResponse``. There is no
listing: this route is the only way in, one file per token. Requests are rate-limited per
client address.
"""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, PlainTextResponse

router = APIRouter(include_in_schema=False)

NOT_FOUND = PlainTextResponse("Not Found", status_code=404)


@router.api_route("/f/{token}/{filename}", methods=["GET", "HEAD"])
async def kept_file(request: Request, token: str, filename: str) -> Response:
    app = request.app
    links = app.state.services.links
    if links is None:
        return NOT_FOUND
    client = request.client.host if request.client is not None else "unknown"
    wait = app.state.link_limiter.check(client)
    if wait is not None:
        return PlainTextResponse(
            "Too Many Requests", status_code=429, headers={"Retry-After": str(wait)}
        )
    path = links.resolve(token)
    if path is None or path.name != filename:
        return PlainTextResponse("Not Found", status_code=404)
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(
        path,
        media_type=media_type,
        filename=path.name,
        content_disposition_type="inline",
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
