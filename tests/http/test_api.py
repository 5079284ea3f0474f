"""Every endpoint over real HTTP on a loopback port: auth, errors, intake, jobs, pagination,
cancel, platforms, stats, readiness and the OpenAPI document."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import jsonschema_rs
import pytest
from sqlalchemy import update

from boss_bot.core.jobs import JobRequest
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import open_store
from boss_bot.core.store.schema import JobRow
from boss_bot.core.strategies import STRATEGIES
from boss_bot.http import OPENAPI_URL, Services
from boss_bot.http.auth import api_user_id
from tests.http.conftest import RO_TOKEN, RW_TOKEN, Api, auth, serve
from tests.support.media_server import MediaServer
from tests.support.urls import platform_url

# --- helpers --------------------------------------------------------------------------------------


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    """The one error shape: ``{"error": {"code", "message"}}`` with a JSON content type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


async def enqueue(api: Api, n: int, platform: str = "generic") -> list[str]:
    ids = []
    for i in range(n):
        job = await api.store.queue.enqueue(
            JobRequest(url=platform_url(platform, i), user_id=1000 + i)
        )
        ids.append(job.id)
    return ids


# --- health, readiness, metrics -------------------------------------------------------------------


async def test_healthz(api: Api) -> None:
    r = await api.client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


async def test_readyz_flips_when_the_store_stops_and_comes_back(api: Api) -> None:
    r = await api.client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ready"
    assert set(r.json()["checks"]) == {"gateway", "store", "ffmpeg"}

    # Stop the store: close every pooled connection and take the database file away, so a
    # new connection cannot open it (SQLite's equivalent of a stopped server).
    data = api.services.settings.data_dir
    await api.store.engine.dispose()
    data.rename(data.with_name("data-away"))
    try:
        r = await api.client.get("/readyz")
        err = assert_error_like_readiness(r)
        assert "store unreachable" in err["message"]
        assert r.json()["checks"]["store"]["ok"] is False
        metrics = (await api.client.get("/metrics")).text
        assert "boss_store_up 0.0" in metrics
    finally:
        data.with_name("data-away").rename(data)
    r = await api.client.get("/readyz")
    assert r.status_code == 200, r.text

    api.gateway["up"] = False
    r = await api.client.get("/readyz")
    assert "gateway not connected" in assert_error_like_readiness(r)["message"]
    api.gateway["up"] = True
    assert (await api.client.get("/readyz")).status_code == 200


def assert_error_like_readiness(r: httpx.Response) -> dict:
    assert r.status_code == 503, r.text
    body = r.json()
    assert body["status"] == "not_ready" and body["error"]["code"] == "not_ready"
    return body["error"]


async def test_readyz_without_ffmpeg(api_settings: Callable[..., BossSettings]) -> None:
    settings = api_settings(ffmpeg_path="no-such-ffmpeg-here")
    store = await open_store(settings)
    try:
        async with serve(Services(settings=settings, store=store)) as served:
            r = await served.client.get("/readyz")
            assert "no-such-ffmpeg-here not found" in assert_error_like_readiness(r)["message"]
            assert "gateway" not in r.json()["checks"]  # a worker: no gateway to check
    finally:
        await store.close()


# --- auth -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/jobs", None),
        ("GET", "/api/v1/jobs/abc", None),
        ("POST", "/api/v1/jobs/abc/cancel", None),
        ("GET", "/api/v1/jobs/abc/events", None),
        ("POST", "/api/v1/downloads", {"urls": ["https://example.com/a"]}),
        ("GET", "/api/v1/platforms", None),
        ("GET", "/api/v1/stats", None),
    ],
)
async def test_every_api_route_needs_a_valid_token(
    api: Api, method: str, path: str, body: dict | None
) -> None:
    r = await api.client.request(method, path, json=body)
    assert_error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"
    r = await api.client.request(method, path, json=body, headers=auth("not-a-valid-token-xx"))
    assert_error(r, 401, "unauthorized")
    r = await api.client.request(method, path, json=body, headers={"Authorization": RW_TOKEN})
    assert_error(r, 401, "unauthorized")  # no "Bearer" scheme


async def test_read_only_token_reads_but_cannot_write(api: Api, media_server: MediaServer) -> None:
    (job_id,) = await enqueue(api, 1)
    ro = auth(RO_TOKEN)
    assert (await api.client.get("/api/v1/jobs", headers=ro)).status_code == 200
    assert (await api.client.get(f"/api/v1/jobs/{job_id}", headers=ro)).status_code == 200
    r = await api.client.post(
        "/api/v1/downloads", json={"urls": [media_server.url("clip.mp4")]}, headers=ro
    )
    assert "read-only" in assert_error(r, 403, "forbidden")["message"]
    assert_error(await api.client.post(f"/api/v1/jobs/{job_id}/cancel", headers=ro), 403)
    assert (await api.store.queue.get(job_id)).status == "queued"  # type: ignore[union-attr]
    assert await api.store.queue.counts() == {"queued": 1}


async def test_no_tokens_configured_refuses_everything(
    api_settings: Callable[..., BossSettings],
) -> None:
    settings = api_settings(api_tokens=None)
    store = await open_store(settings)
    try:
        async with serve(Services(settings=settings, store=store)) as served:
            r = await served.client.get("/api/v1/jobs", headers=auth())
            assert "no API_TOKENS" in assert_error(r, 401, "unauthorized")["message"]
            assert (await served.client.get("/healthz")).status_code == 200
    finally:
        await store.close()


# --- errors ---------------------------------------------------------------------------------------


async def test_errors_are_json_with_the_right_status(api: Api) -> None:
    assert_error(await api.client.get("/nope"), 404, "not_found")
    assert_error(await api.client.get("/api/v1/jobs/abcdef", headers=auth()), 404, "not_found")
    assert_error(await api.client.delete("/api/v1/jobs", headers=auth()), 405)
    assert_error(await api.client.put("/healthz"), 405, "method_not_allowed")
    err = assert_error(
        await api.client.get("/api/v1/jobs?limit=0", headers=auth()), 422, "validation_error"
    )
    assert "limit" in err["message"]
    assert_error(await api.client.get("/api/v1/jobs?status=bogus", headers=auth()), 422)
    err = assert_error(await api.client.get("/api/v1/jobs?statuss=queued", headers=auth()), 422)
    assert "statuss" in err["message"]
    assert_error(await api.client.get("/api/v1/stats?days=-1", headers=auth()), 422)
    r = await api.client.post(
        "/api/v1/downloads",
        content=b"{not json",
        headers={**auth(), "content-type": "application/json"},
    )
    assert_error(r, 422, "validation_error")
    r = await api.client.post("/api/v1/downloads", json={"urls": []}, headers=auth())
    assert_error(r, 422, "validation_error")
    r = await api.client.post(
        "/api/v1/downloads", json={"urls": ["https://a.example/x"], "extra": 1}, headers=auth()
    )
    assert_error(r, 422, "validation_error")
    r = await api.client.post(
        "/api/v1/downloads",
        json={"urls": ["https://a.example/x"], "options": {"quality": "8k"}},
        headers=auth(),
    )
    assert_error(r, 422, "validation_error")
    assert_error(await api.client.get("/api/v1/jobs?cursor=!!", headers=auth()), 422)
    r = await api.client.get("/api/v1/jobs?cursor=bm90LW91cnM", headers=auth())  # "not-ours"
    assert_error(r, 400, "invalid_cursor")


async def test_body_too_large_is_413_json(api: Api) -> None:
    limit = api.services.settings.http_max_body_bytes
    big = {"urls": ["https://example.com/" + "a" * limit]}
    r = await api.client.post("/api/v1/downloads", json=big, headers=auth())
    assert "larger than" in assert_error(r, 413, "payload_too_large")["message"]

    async def chunks():  # no Content-Length: chunked, refused once past the limit
        for _ in range(limit // 1024 + 2):
            yield b" " * 1024

    r = await api.client.post(
        "/api/v1/downloads",
        content=chunks(),
        headers={**auth(), "content-type": "application/json"},
    )
    assert_error(r, 413, "payload_too_large")
    assert await api.store.queue.counts() == {}
    # Without a token the answer is the same 413: the body is refused before anything else.
    r = await api.client.post("/api/v1/downloads", json=big)
    assert_error(r, 413, "payload_too_large")


# --- intake ---------------------------------------------------------------------------------------


async def test_post_downloads_creates_persisted_download_only_jobs(
    api: Api, media_server: MediaServer
) -> None:
    good = media_server.url("clip.mp4")
    r = await api.client.post(
        "/api/v1/downloads",
        json={
            "urls": [good, "http://user:pw@example.com/x", "http://1.2.3.4.5/x", good],
            "kind": "download-only",
            "options": {"quality": "720p", "audio_only": False},
        },
        headers=auth(),
    )
    assert r.status_code == 202, r.text
    body = r.json()
    assert [j["status"] for j in body["jobs"]] == ["queued", "queued"]
    assert [j["position"] for j in body["jobs"]] == [1, 2]
    assert [x["error"]["code"] for x in body["refused"]] == ["invalid_url", "invalid_url"]
    assert "username or password" in body["refused"][0]["error"]["message"]
    r = await api.client.post(
        "/api/v1/downloads", json={"urls": ["ftp://example.com/x"]}, headers=auth()
    )
    assert "body.urls.0" in assert_error(r, 422, "validation_error")["message"]
    job = await api.store.queue.get(body["jobs"][0]["id"])
    assert job is not None
    assert job.kind == "download-only" and job.user_id == api_user_id("ci") < 0
    assert job.options["upload"] is False
    assert job.options["download"] == {"quality": "720p"}

    r = await api.client.get(f"/api/v1/jobs/{job.id}", headers=auth())
    detail = r.json()
    assert detail["status"] == "queued" and detail["position"] == 1 and detail["files"] == []
    assert detail["user_id"] == str(api_user_id("ci"))


async def test_intake_refusals_map_to_statuses(
    api_settings: Callable[..., BossSettings], media_server: MediaServer
) -> None:
    # The SSRF guard: loopback is refused when private networks are not allowed.
    settings = api_settings(allow_private_network_urls=False, user_rate_limit=2)
    store = await open_store(settings)
    try:
        async with serve(Services(settings=settings, store=store)) as served:
            r = await served.client.post(
                "/api/v1/downloads",
                json={"urls": [media_server.url("clip.mp4"), "http://[::1]:80/x"]},
                headers=auth(),
            )
            err = assert_error(r, 422, "blocked_url")
            assert [d["error"]["code"] for d in err["details"]] == ["blocked_url"] * 2
            # Quotas: USER_RATE_LIMIT=2 per window, counted per API client.
            for _ in range(2):
                await store.queue.enqueue(
                    JobRequest(url="https://example.com/x", user_id=api_user_id("ci"))
                )
            r = await served.client.post(
                "/api/v1/downloads", json={"urls": ["https://93.184.215.14/x"]}, headers=auth()
            )
            assert_error(r, 429, "quota")
            assert int(r.headers["retry-after"]) > 0
    finally:
        await store.close()


async def test_queue_limits_apply(
    api_settings: Callable[..., BossSettings], media_server: MediaServer
) -> None:
    settings = api_settings(max_queued_per_user=1)
    store = await open_store(settings)
    try:
        async with serve(Services(settings=settings, store=store)) as served:
            urls = [media_server.url("clip.mp4"), media_server.url("photo.jpg")]
            r = await served.client.post("/api/v1/downloads", json={"urls": urls}, headers=auth())
            assert r.status_code == 202
            assert len(r.json()["jobs"]) == 1
            assert r.json()["refused"][0]["error"]["code"] == "queue_full"
            r = await served.client.post(
                "/api/v1/downloads", json={"urls": urls[:1]}, headers=auth()
            )
            assert_error(r, 429, "queue_full")
    finally:
        await store.close()


# --- jobs -----------------------------------------------------------------------------------------


async def test_cursor_pagination_walks_every_job_exactly_once(api: Api) -> None:
    ids = await enqueue(api, 23, platform="generic")
    ids += await enqueue(api, 4, platform="youtube")
    # Ties on created_at must not skip or repeat jobs: give eight of them the same timestamp.
    async with api.store.engine.begin() as conn:
        await conn.execute(update(JobRow).where(JobRow.id.in_(ids[5:13])).values(created_at=1.5e9))
    await api.store.queue.cancel(ids[0])

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(20):  # bounded walk
        params: dict[str, Any] = {"limit": 5}
        if cursor:
            params["cursor"] = cursor
        page = (await api.client.get("/api/v1/jobs", params=params, headers=auth())).json()
        assert len(page["items"]) <= 5
        seen += [j["id"] for j in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        # New jobs created mid-walk appear before the cursor: they do not disturb it.
        await enqueue(api, 1, platform="reddit")
    assert cursor is None
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen)) == 27
    stamps = [(j.created_at, j.id) for j in [await api.store.queue.get(i) for i in seen]]  # type: ignore[union-attr]
    assert stamps == sorted(stamps, reverse=True)  # newest first, id breaks ties

    page = (await api.client.get("/api/v1/jobs?platform=youtube&limit=200", headers=auth())).json()
    assert {j["id"] for j in page["items"]} == set(ids[23:]) and page["next_cursor"] is None
    page = (await api.client.get("/api/v1/jobs?status=cancelled", headers=auth())).json()
    assert [j["id"] for j in page["items"]] == [ids[0]]
    page = (await api.client.get("/api/v1/jobs?status=active&limit=200", headers=auth())).json()
    assert ids[0] not in {j["id"] for j in page["items"]}
    queued = [j for j in page["items"] if j["status"] == "queued"]
    assert all(isinstance(j["position"], int) for j in queued)


async def test_cancel_a_queued_job(api: Api) -> None:
    (job_id,) = await enqueue(api, 1)
    async with api.client.stream("GET", f"/api/v1/jobs/{job_id}/events", headers=auth()) as stream:
        lines = stream.aiter_lines()
        events = await read_events_until(lines, "snapshot")
        assert events[-1]["job"]["status"] == "queued"
        r = await api.client.post(f"/api/v1/jobs/{job_id}/cancel", headers=auth())
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        final = (await read_events_until(lines, "final"))[-1]
    assert final["status"] == "cancelled" and final["job"]["status"] == "cancelled"
    job = await api.store.queue.get(job_id)
    assert job is not None and job.cancelled_by == api_user_id("ci")
    r = await api.client.post(f"/api/v1/jobs/{job_id}/cancel", headers=auth())
    assert "already cancelled" in assert_error(r, 409, "conflict")["message"]
    assert_error(await api.client.post("/api/v1/jobs/nosuchjob/cancel", headers=auth()), 404)


async def test_events_of_a_finished_job_end_at_once(api: Api) -> None:
    (job_id,) = await enqueue(api, 1)
    await api.store.queue.fail(job_id, "not_found", "Gone.")
    async with asyncio.timeout(10):
        async with api.client.stream("GET", f"/api/v1/jobs/{job_id}/events", headers=auth()) as s:
            assert s.headers["content-type"].startswith("text/event-stream")
            events = await read_events_until(s.aiter_lines(), "final")
    assert [e["type"] for e in events] == ["snapshot", "final"]
    assert events[-1]["job"]["error"] == {"code": "not_found", "message": "Gone."}


async def test_platforms_and_stats(api: Api) -> None:
    body = (await api.client.get("/api/v1/platforms", headers=auth())).json()
    assert [p["name"] for p in body["platforms"]] == [s.name for s in STRATEGIES]
    assert body["platforms"][0]["flag"] == "TWITTER_USE_API_CLIENT"
    assert body["api_fallback_to_cli"] is True
    stats = (await api.client.get("/api/v1/stats?days=3&platform=generic", headers=auth())).json()
    assert stats["count"] == 0 and stats["days"] == 3 and stats["platform"] == "generic"


# --- the OpenAPI document -------------------------------------------------------------------------


async def test_openapi_document_is_generated_and_valid(api: Api) -> None:
    from schemathesis.specs.openapi.definitions import OPENAPI_31

    r = await api.client.get(OPENAPI_URL)
    assert r.status_code == 200
    doc = r.json()
    assert doc == api.server.app.openapi()  # FastAPI's, from the models; not hand-written
    jsonschema_rs.validator_for(OPENAPI_31).validate(doc)
    for name in doc["components"]["schemas"]:  # each model compiles as a JSON Schema
        ref = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
        jsonschema_rs.Draft202012Validator(ref)
    paths = doc["paths"]
    assert set(paths) == {
        "/healthz", "/readyz", "/metrics", "/api/v1/downloads", "/api/v1/jobs",
        "/api/v1/jobs/{job_id}", "/api/v1/jobs/{job_id}/cancel", "/api/v1/jobs/{job_id}/events",
        "/api/v1/platforms", "/api/v1/stats",
    }  # fmt: skip
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "202" in paths["/api/v1/downloads"]["post"]["responses"]
    assert "text/event-stream" in json.dumps(paths["/api/v1/jobs/{job_id}/events"])


# --- SSE parsing ----------------------------------------------------------------------------------


async def read_events_until(lines: Any, kind: str, limit: int = 10_000) -> list[dict]:
    """Parse SSE lines into event dicts until one of ``kind`` arrives (bounded)."""
    events: list[dict] = []
    name = None
    async with asyncio.timeout(30):
        for _ in range(limit):
            line = await anext(lines)
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = json.loads(line.removeprefix("data: "))
                assert data["type"] == name
                events.append(data)
                if name == kind:
                    return events
    raise AssertionError(f"no {kind} event in {limit} lines")
