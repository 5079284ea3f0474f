"""Liveness, readiness and Prometheus metrics (no auth: probes and scrapers, on a loopback or
internal address by default; they reveal counts, never jobs or URLs)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from boss_bot.core.telemetry import CONTENT_TYPE
from boss_bot.http.models import Check, ErrorDetail, Health, Readiness
from boss_bot.http.services import Services

router = APIRouter(tags=["operations"])


def _services(request: Request) -> Services:
    return request.app.state.services


@router.get("/healthz", response_model=Health, summary="Liveness")
async def healthz() -> Health:
    """200 while the process serves requests (its event loop is not stuck)."""
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness",
    responses={503: {"model": Readiness, "description": "Not ready; `error` says why."}},
)
async def readyz(request: Request) -> JSONResponse:
    """200 only when the gateway is connected (bot processes), the store answers and ffmpeg
    is installed; otherwise 503 naming what is wrong."""
    services = _services(request)
    checks: dict[str, Check] = {}
    if services.gateway_connected is not None:
        up = bool(services.gateway_connected())
        checks["gateway"] = Check(ok=up, detail="connected" if up else "not connected")
    try:
        store_ok = await asyncio.wait_for(
            services.store.ping(), timeout=services.probe_timeout_seconds
        )
    except TimeoutError:
        store_ok = False
    checks["store"] = Check(ok=store_ok, detail="reachable" if store_ok else "unreachable")
    has_ffmpeg = await asyncio.to_thread(services.has_ffmpeg)
    checks["ffmpeg"] = Check(
        ok=has_ffmpeg,
        detail="found" if has_ffmpeg else f"{services.settings.ffmpeg_path} not found",
    )
    failing = [f"{name} {c.detail}" for name, c in checks.items() if not c.ok]
    if failing:
        body = Readiness(
            status="not_ready",
            checks=checks,
            error=ErrorDetail(code="not_ready", message="; ".join(failing)),
        )
        return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=503)
    return JSONResponse(Readiness(status="ready", checks=checks).model_dump(exclude_none=True))


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE.split(";")[0]: {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    """The text exposition format; queue depth and oldest queued age are read from the store
    now, so every process sharing the store reports the same queue."""
    services = _services(request)
    await services.telemetry.collect_store(services.store, timeout=services.probe_timeout_seconds)
    return Response(services.telemetry.render(), media_type=CONTENT_TYPE)
