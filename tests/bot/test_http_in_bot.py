"""The HTTP API inside the running bot: queued over HTTP, run by the bot's own dispatcher,
followed live over SSE, visible in /metrics and /readyz."""

from __future__ import annotations

import socket

import httpx

from tests.bot.conftest import BotMedia, MakeWorld
from tests.http.test_api import read_events_until

TOKEN = "ops-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_api_download_runs_in_the_bot_and_streams_progress(
    make_world: MakeWorld, bot_media: BotMedia
) -> None:
    port = free_port()
    async with make_world(http_enabled=True, http_port=port, api_tokens=f"ops:{TOKEN}") as world:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text  # gateway connected, store, ffmpeg
            posted = await client.post(
                "/api/v1/downloads",
                json={"urls": [bot_media.photo_url], "kind": "download-only"},
                headers=auth,
            )
            assert posted.status_code == 202, posted.text
            [job_id] = [j["id"] for j in posted.json()["jobs"]]
            async with client.stream(
                "GET", f"/api/v1/jobs/{job_id}/events", headers=auth
            ) as stream:
                events = await read_events_until(stream.aiter_lines(), "final")
            assert events[-1]["status"] == "succeeded", events[-1]
            metrics = (await client.get("/metrics")).text
            assert 'boss_jobs_total{method="api",outcome="success",platform="generic"}' in metrics
        saved = world.settings.download_dir / "generic" / "unknown" / "photo-photo.jpg"
        assert saved.is_file()
        assert world.double.bot_messages(world.tier0.default_channel_id) == []  # no Discord post
