"""``GET /live/events``: the dashboard's live updates, one Server-Sent Events stream per tab.

Why one stream per page rather than the API's stream per job: a browser opens at most six
HTTP/1.1 connections to a host, so a page following ten jobs with ten ``EventSource``s would
stall. This stream follows every job the page shows, from the same sources as the API's SSE:
the event bus (``stage`` and ``progress`` events, subscribed per job) and the store (status,
stage, new jobs; read every :data:`POLL_SECONDS`, which also covers jobs run by other processes).

What it sends is HTML for htmx's SSE extension: each ``update`` event holds out-of-band
fragments (``hx-swap-oob``) that replace parts of the page by id: a whole table body when the
set or order of rows changed, else only the rows that changed, and the counts. The first event
after (re)connecting always holds the whole table, so a page that missed events catches up. A
fragment is sent only when its HTML changed, at most every :data:`TICK_SECONDS`. The stream
ends with an ``end`` event (the page's ``sse-close``) when the job a job page follows has
ended or the session has expired; otherwise it lasts until the client leaves or the server
stops (``app.state.closing``). A comment line every SSE keep-alive interval keeps proxies
from closing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from boss_bot.core.events import EventBus, Subscription
from boss_bot.core.jobs import ACTIVE_STATUSES, FINAL_STATUSES, QUEUED, Job
from boss_bot.http.web import queries
from boss_bot.http.web.context import Dashboard
from boss_bot.http.web.jobpage import file_views, served, timeline
from boss_bot.http.web.session import Session
from boss_bot.http.web.views import LiveState, job_view

TICK_SECONDS = 0.25
POLL_SECONDS = 0.5


def sse_event(name: str, html: str = "") -> bytes:
    """One SSE message; HTML over several lines becomes several ``data:`` lines."""
    lines = html.splitlines() or [""]
    return (f"event: {name}\n" + "".join(f"data: {line}\n" for line in lines) + "\n").encode()


class Following:
    """Bus subscriptions to a changing set of jobs, drained without waiting."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self._open: dict[str, tuple[Any, Subscription]] = {}

    async def keep(self, job_ids: set[str]) -> None:
        for job_id in job_ids - set(self._open):
            manager = self.bus.subscribe(job_id)
            self._open[job_id] = (manager, await manager.__aenter__())
        for job_id in set(self._open) - job_ids:
            manager, _ = self._open.pop(job_id)
            await manager.__aexit__(None, None, None)

    async def drain(self) -> list[dict[str, Any]]:
        events = []
        for _, sub in list(self._open.values()):
            while (event := await sub.get(timeout=0)) is not None:
                events.append(event)
        return events

    async def close(self) -> None:
        await self.keep(set())


class LiveFeed:
    """One tab's stream: the live page (``job_id`` None) or one job's page."""

    def __init__(
        self,
        web: Dashboard,
        session: Callable[[], Session | None],
        job_id: str | None = None,
        *,
        tick: float = TICK_SECONDS,
        poll: float = POLL_SECONDS,
    ) -> None:
        self.web = web
        self.session = session
        self.job_id = job_id
        self.tick = tick
        self.poll = poll
        self.live: dict[str, LiveState] = {}
        self._following = Following(web.services.bus)
        self._sent: dict[str, str] = {}
        self._order: list[str] | None = None
        self._data: Any = None
        self._files: Any = None
        self._ended = False

    async def stream(self, closing: asyncio.Event) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        keepalive = self.web.services.sse_keepalive_seconds
        next_poll = 0.0
        last_sent = loop.time()
        try:
            while not closing.is_set():
                session = self.session()
                if session is None:
                    yield sse_event("end", "signed out")
                    return
                if loop.time() >= next_poll:
                    await self._read_store()
                    next_poll = loop.time() + self.poll
                for event in await self._following.drain():
                    self.live.setdefault(str(event.get("job_id")), LiveState()).apply(event)
                html = self._changes(session)
                if html:
                    yield sse_event("update", html)
                    last_sent = loop.time()
                elif loop.time() - last_sent >= keepalive:
                    yield b": keepalive\n\n"
                    last_sent = loop.time()
                if self._ended:
                    yield sse_event("end", "finished")
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(closing.wait(), self.tick)
        finally:
            await self._following.close()

    async def _read_store(self) -> None:
        store = self.web.services.store
        if self.job_id is None:
            live = await queries.live_jobs(store)
            self._data = (live, await queries.counts(store))
            follow = {j.id for j in live.jobs if j.status in ACTIVE_STATUSES}
        else:
            job = await store.queue.get(self.job_id)
            previous: Job | None = self._data[0] if self._data else None
            if job is not None and (previous is None or previous.status != job.status):
                files = await store.history.files(job.id)
                self._files = (files, await queries.metric(store, job.id))
            position = await store.queue.position(job.id) if job and job.status == QUEUED else None
            self._data = (job, position)
            follow = {job.id} if job is not None and job.status in ACTIVE_STATUSES else set()
        await self._following.keep(follow)
        for gone in set(self.live) - follow:
            del self.live[gone]

    def _changes(self, session: Session) -> str:
        if self._data is None:
            return ""
        if self.job_id is not None:
            return self._job_changes(session)
        live, counts = self._data
        now = time.time()
        writer = not session.read_only
        views = [
            job_view(
                j,
                self.web.people,
                live=self.live.get(j.id),
                position=live.positions.get(j.id),
                now=now,
                writer=writer,
            )
            for j in live.jobs
        ]
        pages = self.web.pages
        rows = {v.id: pages.macro("_live.html", "row", v, session) for v in views}
        parts = []
        order = [v.id for v in views]
        if order != self._order:
            parts.append(pages.macro("_live.html", "rows_oob", views, live.more, session))
            self._order = order
        else:
            parts += [
                pages.macro("_live.html", "row", v, session, oob=True)
                for v in views
                if rows[v.id] != self._sent.get(v.id)
            ]
        speed = sum(state.speed_now(now) for state in self.live.values())
        rows["#counts"] = pages.macro("_live.html", "counts", counts, speed, oob=True)
        if rows["#counts"] != self._sent.get("#counts"):
            parts.append(rows["#counts"])
        self._sent = rows
        return "\n".join(parts)

    def _job_changes(self, session: Session) -> str:
        job, position = self._data
        if job is None:
            self._ended = True
            return ""
        files, metric = self._files or ([], None)
        view = job_view(
            job,
            self.web.people,
            live=self.live.get(job.id),
            position=position,
            writer=not session.read_only,
        )
        html = self.web.pages.macro(
            "_job.html",
            "body",
            view,
            session,
            files=file_views(files, self.web.services.settings.download_dir),
            steps=timeline(job, metric),
            served=served(job, metric),
            oob=True,
        )
        self._ended = job.status in FINAL_STATUSES
        if html == self._sent.get("#job"):
            return ""
        self._sent["#job"] = html
        return html


__all__ = ["POLL_SECONDS", "TICK_SECONDS", "LiveFeed", "sse_event"]
