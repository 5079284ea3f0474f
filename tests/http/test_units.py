"""The small parts on their own: API_TOKENS parsing, the event bus, log redaction and job
context, the embedded server's start/stop."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from boss_bot.core.errors import ConfigurationError
from boss_bot.core.events import EventBus
from boss_bot.core.logs import (
    REDACTED,
    JobContextFilter,
    RedactingFilter,
    TextFormatter,
    cookie_values,
    job_context,
    json_formatter,
    secrets_from_settings,
    set_stage,
)
from boss_bot.core.models import ProgressEvent
from boss_bot.core.settings import BossSettings, load_settings, masked, parse_api_tokens
from boss_bot.http.auth import TokenBook, api_user_id
from boss_bot.http.server import HttpServer, start_http_server

# --- API_TOKENS -----------------------------------------------------------------------------------


def test_api_tokens_parse_names_scopes_and_refuse_bad_entries() -> None:
    clients = parse_api_tokens(
        " ci:aaaaaaaaaaaaaaaa , grafana:bbbbbbbbbbbbbbbb:ro,x:cccccccccccccccc:rw"
    )
    assert [(c.name, c.read_only) for c in clients] == [
        ("ci", False), ("grafana", True), ("x", False)
    ]  # fmt: skip
    assert "aaaa" not in repr(clients)
    for bad in ("tokenonly-aaaaaaaaaaaa", "a:short", "a:b:c:d", "a:aaaaaaaaaaaaaaaa,a:bbbbbbbbbbbbbbbb",
                "bad name:aaaaaaaaaaaaaaaa", "a:aaaa aaaa aaaa aaaa"):  # fmt: skip
        with pytest.raises(ValueError) as info:
            parse_api_tokens(bad)
        assert "aaaaaaaaaaaaaaaa" not in str(info.value)


def test_bad_api_tokens_stop_start_up_without_showing_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("API_TOKENS", "ci:sekrit")
    with pytest.raises(ConfigurationError) as info:
        load_settings(_env_file=None)
    assert "API_TOKENS" in str(info.value) and "sekrit" not in str(info.value)
    monkeypatch.setenv("API_TOKENS", "ci:sekrit-long-enough-token")
    settings = load_settings(_env_file=None)
    assert "sekrit" not in repr(settings) and masked(settings.api_tokens).startswith("****")


def test_token_book_matches_in_constant_shape() -> None:
    book = TokenBook(parse_api_tokens("a:aaaaaaaaaaaaaaaa,b:bbbbbbbbbbbbbbbb:ro"))
    assert book.match("aaaaaaaaaaaaaaaa").name == "a"  # type: ignore[union-attr]
    assert book.match("bbbbbbbbbbbbbbbb").read_only is True  # type: ignore[union-attr]
    assert book.match("aaaaaaaaaaaaaaa") is None and book.match("") is None
    assert book.match("ü" * 20) is None
    assert api_user_id("a") == api_user_id("a") < 0 and api_user_id("a") != api_user_id("b")


# --- the event bus --------------------------------------------------------------------------------


async def test_bus_bounded_queues_drop_oldest_progress_never_the_final() -> None:
    bus = EventBus(queue_size=3)
    async with bus.subscribe("j1") as sub, bus.subscribe("j2") as other:
        for i in range(10):
            bus.progress("j1", ProgressEvent(status="downloading", downloaded_bytes=i))
        bus.final("j1", "succeeded")
        got = [e async for e in sub]
        assert [e.get("downloaded_bytes") for e in got[:-1]] == [7, 8, 9]
        assert got[-1]["type"] == "final" and got[-1]["status"] == "succeeded"
        assert sub.dropped == 7
        assert other.pending() == 0  # another job's subscriber saw nothing
    assert bus.subscriber_count() == 0


async def test_late_subscriber_gets_the_final_event_at_once() -> None:
    bus = EventBus()
    bus.stage("j", "downloading", position=None)
    bus.final("j", "failed", error="not_found")
    async with bus.subscribe("j") as sub:
        event = await asyncio.wait_for(sub.get(), 1)
    assert event["type"] == "final" and event["error"] == "not_found"
    assert "position" not in bus.final_event("j")  # type: ignore[operator]


async def test_publish_never_blocks_and_get_times_out() -> None:
    bus = EventBus(queue_size=1)
    async with bus.subscribe("j") as sub:
        for _ in range(1000):
            bus.stage("j", "downloading")
        assert sub.pending() == 1
        await sub.get(timeout=0)
        assert await sub.get(timeout=0.01) is None


# --- logs -----------------------------------------------------------------------------------------


def _record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("x", logging.INFO, __file__, 1, msg, args, exc_info)


def test_redaction_by_value_everywhere_in_a_record() -> None:
    f = RedactingFilter(["supersecretvalue", "tiny"])
    try:
        raise RuntimeError("failed with supersecretvalue in it")
    except RuntimeError as exc:
        rec = _record("got %s and %r", "supersecretvalue", {"k": "supersecretvalue"}, exc=exc)
    rec.extra_field = "x-supersecretvalue-y"
    assert f.filter(rec)
    text = logging.Formatter().format(rec)
    assert "supersecretvalue" not in text and REDACTED in text and "RuntimeError" in text
    assert rec.extra_field == f"x-{REDACTED}-y"
    rec = _record("Authorization: Bearer abcdefghijklmnopqrstuvwxyz and Bot xyzxyzxyzxyzxyzxyz1")
    f.filter(rec)
    assert rec.getMessage() == f"Authorization: Bearer {REDACTED} and Bot {REDACTED}"
    rec = _record("tiny values are words, not secrets")
    f.filter(rec)
    assert rec.getMessage() == "tiny values are words, not secrets"


def test_secrets_from_settings_include_cookie_values_and_db_password(
    make_settings: Callable[..., BossSettings], tmp_path: Path
) -> None:
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(
        "# Netscape HTTP Cookie File\n"
        ".example.com\tTRUE\t/\tTRUE\t0\tsessionid\tcookie-value-123456\n"
        "#HttpOnly_.example.com\tTRUE\t/\tTRUE\t0\tauth\thttponly-cookie-value\n"
        ".example.com\tTRUE\t/\tFALSE\t0\tlang\ten\n"
    )
    assert cookie_values(cookies) == ["cookie-value-123456", "httponly-cookie-value"]
    assert cookie_values(tmp_path / "missing.txt") == []
    settings = make_settings(
        discord_token="discord-token-value", api_tokens="a:aaaaaaaaaaaaaaaa",
        database_url="postgresql+asyncpg://boss:db%2Fpass-word@127.0.0.1/x",
        ytdlp_cookies_file=cookies,
    )  # fmt: skip
    found = set(secrets_from_settings(settings))
    assert {
        "discord-token-value",
        "aaaaaaaaaaaaaaaa",
        "db/pass-word",
        "cookie-value-123456",
    } <= found


async def test_job_fields_follow_the_job_and_not_other_tasks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(JobContextFilter())
    handler.setFormatter(json_formatter())
    log = logging.getLogger("tests.http.units")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:

        async def job(job_id: str, stage: str) -> None:
            with job_context(job_id, guild_id=7, platform="generic", stage="queued"):
                await asyncio.sleep(0)
                set_stage(stage)
                await asyncio.sleep(0)
                log.info("in %s", job_id)

        await asyncio.gather(job("a", "downloading"), job("b", "uploading"))
        log.info("after")
    finally:
        log.removeHandler(handler)
        log.propagate = True
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    by_msg = {line["message"]: line for line in lines}
    assert by_msg["in a"]["job_id"] == "a" and by_msg["in a"]["stage"] == "downloading"
    assert by_msg["in b"]["job_id"] == "b" and by_msg["in b"]["stage"] == "uploading"
    assert by_msg["in a"]["guild_id"] == 7 and by_msg["in a"]["platform"] == "generic"
    assert "job_id" not in by_msg["after"]


def test_text_format_appends_the_job() -> None:
    rec = _record("hello")
    with job_context("abc", platform="youtube", stage="compressing"):
        JobContextFilter().filter(rec)
    line = TextFormatter().format(rec)
    assert line.endswith("x: hello [job=abc platform=youtube stage=compressing]")


# --- the embedded server --------------------------------------------------------------------------


async def test_server_port_in_use_is_a_clear_error_and_stop_is_idempotent() -> None:
    from fastapi import FastAPI

    app = FastAPI()
    app.state.closing = asyncio.Event()
    server: HttpServer = await start_http_server(app, "127.0.0.1", 0)
    try:
        with pytest.raises(OSError, match=f"127.0.0.1:{server.port}"):
            HttpServer(app, "127.0.0.1", server.port)
    finally:
        await server.stop()
    await server.stop()


async def test_start_if_enabled_serves_only_when_enabled(
    make_settings: Callable[..., BossSettings], caplog: pytest.LogCaptureFixture
) -> None:
    import httpx

    from boss_bot.core.store import open_store
    from boss_bot.http import start_if_enabled

    store = await open_store(make_settings())
    try:
        assert await start_if_enabled(make_settings(), store) is None
        settings = make_settings(http_enabled=True, http_port=0)
        with caplog.at_level(logging.INFO, logger="boss_bot.http"):
            server = await start_if_enabled(settings, store, gateway_connected=lambda: True)
        assert server is not None
        said = [r.getMessage() for r in caplog.records if r.name == "boss_bot.http"]
        assert said == [f"dashboard: {server.url}/ cannot be signed in to: API_TOKENS is empty"]
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
                assert (await client.get("/healthz")).status_code == 200
                assert (await client.get("/readyz")).json()["checks"]["gateway"]["ok"] is True
        finally:
            await server.stop()
        caplog.clear()
        signed = make_settings(http_enabled=True, http_port=0, api_tokens="ops:" + "t" * 32)
        with caplog.at_level(logging.INFO, logger="boss_bot.http"):
            server = await start_if_enabled(signed, store)
        assert server is not None
        await server.stop()
        said = [r.getMessage() for r in caplog.records if r.name == "boss_bot.http"]
        assert said == [f"dashboard: {server.url}/ (sign in with a token from API_TOKENS)"]
    finally:
        await store.close()


async def test_publish_stage_maps_the_pipelines_stages() -> None:
    from dataclasses import dataclass

    from boss_bot.core.events import publish_stage

    @dataclass(frozen=True)
    class Stage:  # the shape of core.pipeline.Stage
        name: str
        job_id: str
        position: int | None = None
        percent: float | None = None

    bus = EventBus()
    async with bus.subscribe("j") as sub:
        publish_stage(Stage("queued", "j", position=2), bus)
        publish_stage(Stage("compressing", "j", percent=40.0), bus)
        publish_stage(Stage("interrupted", "j"), bus)
        publish_stage(Stage("done", "j"), bus)
        got = [e async for e in sub]
    assert [(e["type"], e.get("stage", e.get("status"))) for e in got] == [
        ("stage", "queued"), ("stage", "compressing"), ("stage", "interrupted"),
        ("final", "succeeded"),
    ]  # fmt: skip
    assert got[0]["position"] == 2 and got[1]["percent"] == 40.0 and "percent" not in got[0]
