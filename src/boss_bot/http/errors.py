"""Every error the API returns is ``{"error": {"code", "message"}}`` with the right status.

That includes FastAPI's own answers (404 for an unknown path, 405, 422 for a bad body or
query) and the core's :class:`~boss_bot.core.errors.BossBotError` tree, whose ``code`` and
``user_message`` are reused as they are, so a client sees the same reasons a Discord user
would. Anything unexpected is a 500 with code ``internal`` and no details (those go to the log).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from boss_bot.core.errors import (
    BossBotError,
    InvalidURLError,
    PlaceholderMediaError,
    QueueFullError,
    QuotaExceededError,
    RefusedError,
    SettingsError,
    UnsupportedURLError,
)

log = logging.getLogger(__name__)

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal",
    503: "unavailable",
}


class ApiError(Exception):
    """An error the API raises on purpose: status, stable code, message for people."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.details = details


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict:
    detail: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        detail["details"] = details
    return {"error": detail}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    details: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def status_for(exc: BossBotError) -> int:
    """The HTTP status of a core error: what the client should change, or that it must wait."""
    if isinstance(exc, QueueFullError | QuotaExceededError):
        return 429
    if isinstance(exc, InvalidURLError | UnsupportedURLError | PlaceholderMediaError):
        return 422
    if isinstance(exc, SettingsError):
        return 422
    if isinstance(exc, RefusedError):
        return 403
    return 500  # a download or configuration error reaching the API is the server's problem


def retry_headers(exc: BossBotError) -> dict[str, str] | None:
    wait = getattr(exc, "retry_after_seconds", None)
    if wait is None or not math.isfinite(wait):
        return None
    return {"Retry-After": str(max(1, math.ceil(wait)))}


def api_error_of(exc: BossBotError) -> ApiError:
    return ApiError(status_for(exc), exc.code, exc.user_message, headers=retry_headers(exc))


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors()[:20]:
        loc = ".".join(str(p) for p in err.get("loc", ()))
        out.append({"loc": loc, "message": str(err.get("msg", "invalid"))})
    return out


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the one JSON shape."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(
            exc.status, exc.code, exc.message, headers=exc.headers, details=exc.details
        )

    @app.exception_handler(BossBotError)
    async def _boss_error(_request: Request, exc: BossBotError) -> JSONResponse:
        err = api_error_of(exc)
        if err.status >= 500:
            log.error("request failed: %s: %s", exc.code, exc)
        return error_response(err.status, err.code, err.message, headers=err.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODES_BY_STATUS.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, code, message, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        first = details[0] if details else {"loc": "request", "message": "invalid"}
        message = f"{first['loc']}: {first['message']}"
        return error_response(422, "validation_error", message, details=details)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error in an API request", exc_info=exc)
        return error_response(500, "internal", "Internal error; see the server log.")
