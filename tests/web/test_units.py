"""The dashboard's pure parts: progress from bus events, chart geometry, sessions, the sign-in
limiter, safe redirects and links, the timeline."""

from __future__ import annotations

import dataclasses

import pytest

from boss_bot.core.jobs import Job
from boss_bot.core.settings import ApiClient
from boss_bot.http.auth import Caller, api_user_id
from boss_bot.http.web import charts
from boss_bot.http.web.context import local_path, with_notice
from boss_bot.http.web.jobpage import safe_link, timeline
from boss_bot.http.web.limiter import SignInLimiter
from boss_bot.http.web.live import sse_event
from boss_bot.http.web.queries import MetricFacts
from boss_bot.http.web.session import Sessions
from boss_bot.http.web.views import LiveState, People, progress_of

NOW = 1_800_000_000.0
RW = ApiClient(name="ci", token="rw-token-0123456789abcdef", read_only=False)
RO = ApiClient(name="viewer", token="ro-token-0123456789abcdef", read_only=True)


def job(**fields: object) -> Job:
    base = {
        "id": "abc", "url": "https://example.com/x", "user_id": 1, "kind": "download",
        "status": "running", "stage": "downloading", "platform": "generic", "guild_id": None,
        "channel_id": None, "message_id": None, "status_message_id": None, "media_key": None,
        "options": {}, "priority": 0, "attempts": 1, "resumed": False, "error_code": None,
        "error_message": None, "work_dir": None, "posted_batches": 0, "cancelled_by": None,
        "created_at": NOW - 100, "started_at": NOW - 65, "finished_at": None,
    }  # fmt: skip
    base.update(fields)
    return Job(**base)  # type: ignore[arg-type]


def test_progress_while_downloading_compressing_and_uploading() -> None:
    state = LiveState()
    state.apply({"type": "stage", "stage": "downloading", "at": NOW})
    p = progress_of(job(), state, NOW)
    assert (p.label, p.bar, p.value, p.elapsed) == ("downloading", True, None, "running 1 min 05 s")
    state.apply({"type": "progress", "status": "downloading", "downloaded_bytes": 512,
                 "total_bytes": 2048, "speed": 100.0, "at": NOW})  # fmt: skip
    p = progress_of(job(), state, NOW)
    assert (p.value, p.maximum, p.detail, p.percent_text) == (
        512,
        2048,
        "512 B of 2.0 KiB · 100 B/s",
        "25%",
    )
    assert state.speed_now(NOW + 1) == 100.0 and state.speed_now(NOW + 60) == 0.0  # stale
    state.apply({"type": "progress", "status": "finished", "at": NOW})
    assert progress_of(job(), state, NOW).value == 2048
    state.apply({"type": "stage", "stage": "compressing", "percent": 0.0, "at": NOW})
    assert state.done is None  # a new stage starts from nothing
    state.apply({"type": "progress", "status": "compressing", "downloaded_bytes": 30,
                 "total_bytes": 120, "at": NOW})  # fmt: skip
    p = progress_of(job(stage="compressing"), state, NOW)
    assert (p.value, p.maximum, p.detail) == (25.0, 100.0, "25%")
    state.apply({"type": "stage", "stage": "uploading", "batch": 1, "batches": 4, "at": NOW})
    p = progress_of(job(status="uploading", stage="uploading"), state, NOW)
    assert (p.value, p.maximum, p.detail) == (1, 4, "batch 1/4")
    assert state.speed_now(NOW) == 0.0  # only downloads count towards the speed


def test_progress_without_bus_events_and_of_ended_jobs() -> None:
    """Another process runs the job: the store's stage is all there is."""
    p = progress_of(job(stage="compressing"), None, NOW)
    assert (p.label, p.bar, p.value) == ("compressing", True, None)
    p = progress_of(job(status="queued", stage="queued", started_at=None), None, NOW, position=3)
    assert (p.label, p.bar, p.detail, p.elapsed) == (
        "queued",
        False,
        "#3 in the queue",
        "waiting 1 min 40 s",
    )
    p = progress_of(job(status="succeeded", finished_at=NOW - 5), None, NOW)
    assert (p.label, p.value, p.maximum, p.elapsed) == ("done", 1.0, 1.0, "took 1 min 00 s")
    p = progress_of(job(status="failed", finished_at=NOW, error_message="x" * 500), None, NOW)
    assert p.label == "failed" and p.detail == "x" * 200 and not p.bar


def test_people_are_labelled_by_api_client_name_or_user_id() -> None:
    people = People([RW, RO])
    assert people.label(api_user_id("viewer")) == "API: viewer"
    assert people.label(api_user_id("gone")) == "API client"
    assert people.label(1234) == "user 1234"


def test_sessions_round_trip_and_refuse_tampering_expiry_and_removed_tokens() -> None:
    clock = {"now": NOW}
    sessions = Sessions([RW, RO], hours=1, clock=lambda: clock["now"])
    value, session = sessions.issue(RO.token, Caller("viewer", True))
    assert sessions.read(value) == session and session.read_only
    assert RO.token not in value
    payload, signature = value.split(".")
    for bad in (f"{payload}.{signature[::-1]}", f"{payload[:-1]}A.{signature}", f"{value}.x", ""):
        assert sessions.read(bad) is None
    assert sessions.read(None) is None
    other_key = Sessions([RW, dataclasses.replace(RO, token="another-token-0123456789")], 1)
    assert other_key.read(value) is None  # the tokens changed: every session ends
    demoted = Sessions([RW, RO, ApiClient("more", "more-token-0123456789ab", False)], 1)
    assert demoted.read(value) is None  # (any change of API_TOKENS changes the key)
    clock["now"] += 3600
    assert sessions.read(value) is None  # expired
    a, _ = sessions.issue(RW.token, Caller("ci", False))
    b, _ = sessions.issue(RW.token, Caller("ci", False))
    assert sessions.read(a).csrf != sessions.read(b).csrf  # type: ignore[union-attr]


def test_the_limiter_doubles_waits_forgets_and_stays_bounded() -> None:
    clock = {"now": 0.0}
    limiter = SignInLimiter(free=2, max_wait=8, forget_after=100, max_addresses=3,
                            clock=lambda: clock["now"])  # fmt: skip
    for _ in range(2):
        assert limiter.retry_after("a") is None
        limiter.failed("a")
    waits = []
    for _ in range(6):
        waits.append(limiter.retry_after("a"))
        clock["now"] += limiter.wait_seconds("a")
        limiter.failed("a")
    assert waits == [1, 2, 4, 8, 8, 8]  # doubling, capped
    clock["now"] += 100
    assert limiter.failures("a") == 0 and limiter.retry_after("a") is None  # forgotten
    for address in "bcdef":
        limiter.failed(address)
    assert len(limiter) == 3 and limiter.failures("b") == 0 and limiter.failures("f") == 1
    limiter.succeeded("f")
    assert limiter.failures("f") == 0


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/history?q=x", "/history?q=x"), ("/jobs/abc", "/jobs/abc"), (None, "/"), ("", "/"),
        ("//evil.example", "/"), ("https://evil.example/", "/"), ("/\\evil", "/"),
        ("jobs", "/"), ("/\x00x", "/"), ("javascript:alert(1)", "/"),
    ],
)  # fmt: skip
def test_redirects_stay_on_the_site(target: str | None, expected: str) -> None:
    assert local_path(target) == expected


def test_notices_replace_earlier_ones() -> None:
    assert with_notice("/history?q=a&notice=x&job=y", "retried", "abc") == (
        "/history?q=a&notice=retried&job=abc"
    )


def test_only_http_links_and_only_discord_message_links() -> None:
    assert safe_link("https://example.com/a") == "https://example.com/a"
    assert safe_link("javascript:alert(1)") is None and safe_link("data:text/html,x") is None
    discord = ("discord.com",)
    assert safe_link("https://discord.com/channels/1/2/3", discord) is not None
    assert safe_link("https://evil.example/channels/1/2/3", discord) is None
    assert safe_link(None) is None and safe_link("http://[::1") is None


def test_the_timeline_shows_recorded_times_and_phase_lengths_only() -> None:
    done = job(status="succeeded", finished_at=NOW, attempts=2, resumed=True, posted_batches=1)
    m = MetricFacts(job_id="abc", platform="generic", outcome="success", method="api",
                    download_seconds=4.0, bytes_downloaded=2048, compression_seconds=None,
                    compression_ratio=None, compressed_files=0, upload_seconds=1.5,
                    bytes_uploaded=1024, created_at=NOW)  # fmt: skip
    steps = timeline(done, m)
    assert [s.label for s in steps] == [
        "queued",
        "started",
        "downloading",
        "uploading",
        "succeeded",
    ]
    assert [s.at for s in steps] == [NOW - 100, NOW - 65, None, None, NOW]
    assert [s.seconds for s in steps] == [None, None, 4.0, 1.5, None]
    assert "waited 35 s" in steps[1].note and "attempt 2" in steps[1].note
    assert "resumed" in steps[1].note and "API path" in steps[2].note
    running = timeline(job(), None)
    assert [s.label for s in running] == ["queued", "started", "now: downloading"]
    never = timeline(job(status="cancelled", started_at=None, finished_at=NOW), None)
    assert [s.label for s in never] == ["queued", "cancelled"]
    assert never[-1].note == "before it started"


def test_chart_geometry() -> None:
    assert [charts.nice_max(v) for v in (0, 0.3, 1, 3, 7, 12, 99, 101)] == [
        1,
        0.5,
        1,
        5,
        10,
        20,
        100,
        200,
    ]
    assert charts.nice_bytes(3 * 1024**2) == 5 * 1024**2 and charts.nice_bytes(700) == 1000
    c = charts.stacked_bars("j", "Jobs", ["d1", "d2"], {"a": [1, 0], "b": [3, 2]}, str)
    assert len(c.rects) == 3 and not c.empty
    tallest = max(c.rects, key=lambda r: r.y + r.h)
    top_of_day1 = min(r.y for r in c.rects if r.title.startswith("d1"))
    assert top_of_day1 == pytest.approx(
        charts.TOP + (c.height - charts.TOP - charts.BOTTOM) * (1 - 4 / 5)
    )
    assert tallest.y + tallest.h == pytest.approx(c.height - charts.BOTTOM)  # bars stand on 0
    assert c.rows == [["d1", "1", "3", "4"], ["d2", "0", "2", "2"]]
    lines = charts.lines("s", "Rate", ["d1", "d2", "d3"], {"a": [1.0, None, 0.5]}, str)
    assert len(lines.dots) == 2 and lines.lines[0].points.count(",") == 2
    assert lines.rows[1] == ["d2", "—"]
    empty = charts.split("m", "Methods", [("api", 0), ("cli", 0)], str)
    assert empty.empty and not empty.rects
    split = charts.split("m", "Methods", [("api", 3), ("cli", 1)], str)
    assert [r.w for r in split.rects] == pytest.approx(
        [(split.width - 2 * charts.RIGHT) * f for f in (0.75, 0.25)]
    )


def test_sse_messages_carry_multi_line_html() -> None:
    assert sse_event("update", "<a>\n<b>") == b"event: update\ndata: <a>\ndata: <b>\n\n"
    assert sse_event("end") == b"event: end\ndata: \n\n"
