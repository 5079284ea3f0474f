"""``GET /live/events`` over real HTTP: the HTML fragments the live pages swap in, fed by the
store and the event bus (a real download, through tests/http's MiniDispatcher, included)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable

import httpx

from boss_bot.core.manager import DownloadManager
from boss_bot.core.models import ProgressEvent
from tests.bot.pipeline_support import eventually
from tests.http.conftest import auth
from tests.http.runner import MiniDispatcher
from tests.support.media_server import MediaServer
from tests.web.conftest import Api, enqueue
from tests.web.seed import add_job

Event = tuple[str, str]


async def sse_events(response: httpx.Response) -> AsyncIterator[Event]:
    """(event name, data) of each message; comments (keep-alives) skipped."""
    name, data = "message", []
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield name, "\n".join(data)
            name, data = "message", []
        elif line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])


async def until(
    events: AsyncIterator[Event], check: Callable[[str, str], bool], timeout: float = 15
) -> tuple[str, str]:
    """The first event that passes ``check``; bounded by ``timeout``."""

    async def read() -> tuple[str, str]:
        async for name, data in events:
            if check(name, data):
                return name, data
        raise AssertionError("the stream ended first")

    return await asyncio.wait_for(read(), timeout)


def progress_of(html: str, job_id: str) -> tuple[float, float] | None:
    row = re.search(rf'<tr id="job-{job_id}".*?</tr>', html, re.S)
    if row is None:
        return None
    bar = re.search(r'<progress max="([0-9.]+)" value="([0-9.]+)">', row.group(0))
    return None if bar is None else (float(bar.group(2)), float(bar.group(1)))


async def test_the_first_update_holds_the_whole_table_then_only_what_changed(
    signed_in: Api,
) -> None:
    (queued,) = await enqueue(signed_in)
    bus = signed_in.bus
    async with signed_in.client.stream("GET", "/live/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = sse_events(stream)
        _, first = await until(events, lambda n, d: n == "update")
        assert '<tbody id="live-rows" hx-swap-oob="innerHTML">' in first
        assert f'<tr id="job-{queued.id}"' in first and 'id="live-counts"' in first

        # A job starts elsewhere (the store) and reports progress (the bus).
        await signed_in.store.queue.claim(queued.id)
        await until(events, lambda n, d: 'data-status="running"' in d)
        bus.stage(queued.id, "downloading")
        bus.progress(queued.id, ProgressEvent(status="downloading", downloaded_bytes=50,
                                              total_bytes=200, speed=1024.0))  # fmt: skip
        _, update = await until(events, lambda n, d: progress_of(d, queued.id) == (50, 200))
        assert "hx-swap-oob" in update and "live-rows" not in update  # just the row
        assert "50 B of 200 B · 1.0 KiB/s" in update
        counts = update  # the total speed changes in the same tick, or a later one
        if "1.0 KiB/s</dd>" not in counts:
            _, counts = await until(events, lambda n, d: "1.0 KiB/s</dd>" in d)
        assert '<dl id="live-counts" class="counts" hx-swap-oob="true">' in counts
        bus.stage(queued.id, "compressing", percent=40.0)
        await until(events, lambda n, d: progress_of(d, queued.id) == (40, 100))
        bus.stage(queued.id, "uploading", batch=2, batches=3)
        _, update = await until(events, lambda n, d: progress_of(d, queued.id) == (2, 3))
        assert "batch 2/3" in update

        # A new job: the table is sent whole again, with both rows.
        (later,) = await enqueue(signed_in)
        _, table = await until(events, lambda n, d: f'id="job-{later.id}"' in d)
        assert 'id="live-rows"' in table and f'id="job-{queued.id}"' in table

        # The first one ends: its row says so, and offers a retry instead of a cancel.
        await signed_in.store.queue.fail(queued.id, "private", "Private video")
        bus.final(queued.id, "failed")
        _, ended = await until(events, lambda n, d: 'data-status="failed"' in d)
        assert f'id="retry-{queued.id}"' in ended and f'id="cancel-{queued.id}"' not in ended
        assert "Private video" in ended
    await eventually(lambda: bus.subscriber_count() == 0)  # they left with the stream


async def test_a_real_download_moves_the_bar_and_finishes(
    signed_in: Api, media_server: MediaServer, make_manager: Callable[..., DownloadManager]
) -> None:
    dispatcher = MiniDispatcher(
        signed_in.store, make_manager(), signed_in.bus, signed_in.services.telemetry
    )
    r = await signed_in.client.post(
        "/api/v1/downloads", json={"urls": [media_server.url("slow/clip.mp4")]}, headers=auth()
    )
    job_id = r.json()["jobs"][0]["id"]
    async with signed_in.client.stream("GET", "/live/events") as stream:
        events = sse_events(stream)
        await until(events, lambda n, d: f'id="job-{job_id}"' in d)  # subscribed from here on
        run = asyncio.create_task(dispatcher.run(job_id))
        seen: list[float] = []
        while True:
            _, data = await until(events, lambda n, d: f'id="job-{job_id}"' in d, timeout=30)
            if (bar := progress_of(data, job_id)) is not None:
                seen.append(bar[0] / bar[1])
            if 'data-status="succeeded"' in data:
                break
        job = await asyncio.wait_for(run, 30)
    assert job.status == "succeeded"
    assert seen[-1] == 1 and len(set(seen)) >= 2 and seen == sorted(seen)


async def test_a_job_page_stream_ends_when_the_job_does(signed_in: Api) -> None:
    running = await add_job(signed_in.store, status="running", stage="downloading")
    async with signed_in.client.stream("GET", f"/live/events?job={running}") as stream:
        events = sse_events(stream)
        _, first = await until(events, lambda n, d: n == "update")
        assert first.startswith('<div id="job-live" hx-swap-oob="true">')
        assert 'data-status="running"' in first
        await signed_in.store.queue.complete(running)
        _, last = await until(events, lambda n, d: n == "update")
        assert 'data-status="succeeded"' in last
        name, _ = await until(events, lambda n, d: True)
        assert name == "end"  # the page's sse-close: the browser closes the stream cleanly
    async with signed_in.client.stream("GET", "/live/events?job=000000000000") as stream:
        assert [n async for n, _ in sse_events(stream)] == ["end"]  # no such job


async def test_the_stream_ends_when_the_session_does(signed_in: Api) -> None:
    sessions = signed_in.server.app.state.dashboard.sessions
    async with signed_in.client.stream("GET", "/live/events") as stream:
        events = sse_events(stream)
        await until(events, lambda n, d: n == "update")
        sessions.clock = lambda: 10**12  # the session has expired
        _, data = await until(events, lambda n, d: n == "end")
        assert data == "signed out"


async def test_the_stream_sends_keepalives_when_nothing_changes(signed_in: Api) -> None:
    async with signed_in.client.stream("GET", "/live/events") as stream:
        lines = stream.aiter_lines()

        async def keepalive() -> None:
            async for line in lines:
                if line == ": keepalive":
                    return

        await asyncio.wait_for(keepalive(), 10)  # every 0.5 s in these tests
