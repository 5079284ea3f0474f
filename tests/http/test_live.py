"""A real download, followed over HTTP: the SSE stream, the metrics it moves, its JSON logs."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest

from boss_bot.core.logs import configure_logging
from boss_bot.core.manager import DownloadManager
from tests.http.conftest import RO_TOKEN, RW_TOKEN, Api, auth
from tests.http.runner import MiniDispatcher
from tests.http.test_api import read_events_until
from tests.support.media_server import MediaServer

DISCORD_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.discord.token-value-xyz"


async def queue_download(api: Api, url: str) -> str:
    r = await api.client.post("/api/v1/downloads", json={"urls": [url]}, headers=auth())
    assert r.status_code == 202, r.text
    return r.json()["jobs"][0]["id"]


def metric_values(text: str) -> dict[str, float]:
    """``name{labels} value`` lines of the exposition format → {``name{labels}``: value}."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


async def test_sse_streams_progress_and_the_final_state_of_a_real_download(
    api: Api, media_server: MediaServer, make_manager: Callable[..., DownloadManager]
) -> None:
    dispatcher = MiniDispatcher(api.store, make_manager(), api.bus, api.services.telemetry)
    job_id = await queue_download(api, media_server.url("slow/clip.mp4"))  # ~2.4 s of drip
    async with api.client.stream("GET", f"/api/v1/jobs/{job_id}/events", headers=auth()) as s:
        lines = s.aiter_lines()
        (snapshot,) = await read_events_until(lines, "snapshot")
        assert snapshot["job"]["status"] == "queued"
        run = asyncio.create_task(dispatcher.run(job_id))
        events = await read_events_until(lines, "final")
    job = await asyncio.wait_for(run, 60)

    assert job.status == "succeeded"
    kinds = [e["type"] for e in events]
    assert kinds[0] == "stage" and events[0]["stage"] == "downloading"
    progress = [e for e in events if e["type"] == "progress" and e["status"] == "downloading"]
    assert len(progress) >= 2, kinds
    done = [e["downloaded_bytes"] for e in progress if e.get("downloaded_bytes") is not None]
    assert done == sorted(done) and done[-1] > 0
    assert any(e["type"] == "progress" and e["status"] == "finished" for e in events)
    final = events[-1]
    assert final["type"] == "final" and final["status"] == "succeeded"
    assert final["job"]["status"] == "succeeded"
    (file,) = final["job"]["files"]
    assert file["name"].endswith(".mp4") and file["archived"] is True
    assert file["path"] == f"generic/{file['name']}"  # relative to DOWNLOAD_DIR
    assert file["size_bytes"] == len(media_server.files["clip.mp4"].data)
    assert api.bus.subscriber_count() == 0  # the stream's subscription is gone

    detail = (await api.client.get(f"/api/v1/jobs/{job_id}", headers=auth(RO_TOKEN))).json()
    assert detail["status"] == "succeeded" and detail["files"] == final["job"]["files"]


async def test_metrics_rise_after_a_job(
    api: Api, media_server: MediaServer, make_manager: Callable[..., DownloadManager]
) -> None:
    dispatcher = MiniDispatcher(api.store, make_manager(), api.bus, api.services.telemetry)
    labels = '{method="api",outcome="success",platform="generic"}'
    before = metric_values((await api.client.get("/metrics")).text)
    first = await queue_download(api, media_server.url("photo.jpg"))
    await queue_download(api, media_server.url("image.png"))

    r = await api.client.get("/metrics")
    assert r.headers["content-type"].startswith("text/plain")
    mid = metric_values(r.text)
    assert mid['boss_queue_depth{status="queued"}'] == 2
    assert mid["boss_queue_oldest_age_seconds"] >= 0
    assert mid["boss_store_up"] == 1

    await dispatcher.run(first)
    after = metric_values((await api.client.get("/metrics")).text)
    assert after[f"boss_jobs_total{labels}"] == before.get(f"boss_jobs_total{labels}", 0) + 1
    bytes_key = 'boss_downloaded_bytes_total{platform="generic"}'
    assert after[bytes_key] > before.get(bytes_key, 0)
    count_key = 'boss_download_seconds_count{method="api",platform="generic"}'
    assert after[count_key] == before.get(count_key, 0) + 1
    assert after['boss_queue_depth{status="queued"}'] == 1
    assert after["boss_active_downloads"] == 0
    for _ in range(40):  # bounded: the loop-lag monitor samples every 0.5 s while served
        if after["boss_event_loop_lag_seconds_count"] >= 1:
            break
        await asyncio.sleep(0.1)
        after = metric_values((await api.client.get("/metrics")).text)
    assert after["boss_event_loop_lag_seconds_count"] >= 1  # the monitor runs while served
    assert any(k.startswith("boss_build_info{") for k in after)
    for name in (
        "boss_compression_seconds", "boss_upload_seconds", "boss_compression_ratio",
        "boss_uploaded_bytes", "boss_discord_upload_too_large", "boss_discord_retries",
        "boss_active_encodes",
    ):  # fmt: skip
        assert f"# HELP {name}" in r.text
    assert api.services.telemetry.value("boss_jobs_total", {"platform": "generic", "method": "api",
                                                "outcome": "success"}) >= 1  # fmt: skip


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Root logging as ``bossctl run`` sets it up (LOG_FORMAT=json), restored afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    yield stream
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    for h in handlers:
        if h not in root.handlers:
            root.addHandler(h)
    root.setLevel(level)


async def test_json_logs_of_a_job_carry_its_fields_and_never_a_secret(
    api: Api,
    media_server: MediaServer,
    make_manager: Callable[..., DownloadManager],
    api_settings: Callable[..., object],
    json_logs: io.StringIO,
) -> None:
    settings = api_settings(log_format="json", discord_token=DISCORD_TOKEN)
    configure_logging(settings, stream=json_logs, level="INFO")  # type: ignore[arg-type]
    dispatcher = MiniDispatcher(api.store, make_manager(), api.bus, api.services.telemetry)
    job_id = await queue_download(api, media_server.url("clip.mp4"))
    log = logging.getLogger("tests.http")
    log.info("outside any job")
    # What a careless library might log: the request's headers and the bot's token.
    logging.getLogger("tests.http.runner").warning(
        "headers %s token=%s", {"Authorization": f"Bearer {RW_TOKEN}"}, DISCORD_TOKEN
    )
    await dispatcher.run(job_id)

    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]  # one object each
    assert lines, "nothing was logged"
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line)
    in_job = [line for line in lines if line.get("job_id") == job_id]
    assert {line["message"] for line in in_job} >= {
        f"downloading {media_server.url('clip.mp4')}",
        "archived 1 file(s)",
    }
    for line in in_job:
        assert line["platform"] == "generic" and "guild_id" in line and line["stage"]
    assert {line["stage"] for line in in_job} >= {"downloading"}
    outside = next(line for line in lines if line["message"] == "outside any job")
    assert "job_id" not in outside
    text = json_logs.getvalue()
    for secret in (RW_TOKEN, RO_TOKEN, DISCORD_TOKEN):
        assert secret not in text
    assert "[REDACTED]" in text
