"""Cancel, retry and priority from the pages' forms: what they change in the store, the notice
they come back with, and the CSRF check that guards them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from boss_bot.http.auth import api_user_id
from tests.web.conftest import Api, csrf_of, enqueue, post_form, sign_in
from tests.web.seed import add_job


async def test_cancel_a_queued_job_from_the_live_page(signed_in: Api) -> None:
    (job,) = await enqueue(signed_in)
    async with signed_in.bus.subscribe(job.id) as followers:
        r = await post_form(signed_in.client, f"/jobs/{job.id}/cancel")
        assert r.status_code == 303
        assert r.headers["location"] == f"/?notice=cancelled&job={job.id}"
        final = await followers.get(timeout=5)  # the job never ran: the page announces its end
    assert final is not None and final["type"] == "final" and final["status"] == "cancelled"
    after = await signed_in.store.queue.get(job.id)
    assert after is not None and after.status == "cancelled"
    assert after.cancelled_by == api_user_id("ci")
    page = await signed_in.client.get(r.headers["location"])
    assert f"Job {job.id} cancelled." in page.text


async def test_post_without_or_with_a_wrong_csrf_token_is_refused(signed_in: Api) -> None:
    (job,) = await enqueue(signed_in)
    client = signed_in.client
    other = httpx.AsyncClient(base_url=signed_in.url)
    try:
        await sign_in(other)  # another session: its token is not this session's
        foreign = csrf_of((await other.get("/")).text)
    finally:
        await other.aclose()
    for fields in ({}, {"csrf": ""}, {"csrf": "x" * 32}, {"csrf": foreign}):
        for action in ("cancel", "priority", "retry"):
            r = await client.post(f"/jobs/{job.id}/{action}", data={**fields, "priority": "4"})
            assert r.status_code == 403, (action, fields)
            assert "not from your current session" in r.text
    after = await signed_in.store.queue.get(job.id)
    assert after is not None and after.status == "queued" and after.priority == 0


async def test_a_form_must_be_a_form(signed_in: Api) -> None:
    (job,) = await enqueue(signed_in)
    csrf = csrf_of((await signed_in.client.get("/")).text)
    r = await signed_in.client.post(f"/jobs/{job.id}/cancel", json={"csrf": csrf})
    assert r.status_code == 415
    r = await signed_in.client.post(f"/jobs/{job.id}/cancel", data={"csrf": csrf, "x": "y" * 9000})
    assert r.status_code == 413
    assert (await signed_in.store.queue.get(job.id)).status == "queued"  # type: ignore[union-attr]


async def test_retry_a_failed_job_and_refuse_to_retry_a_queued_one(signed_in: Api) -> None:
    failed = await add_job(signed_in.store, status="failed", error_code="not_found")
    r = await post_form(signed_in.client, f"/jobs/{failed}/retry", page=f"/jobs/{failed}")
    assert r.headers["location"] == f"/jobs/{failed}?notice=retried&job={failed}"
    after = await signed_in.store.queue.get(failed)
    assert after is not None and after.status == "queued" and after.error_code is None
    r = await post_form(signed_in.client, f"/jobs/{failed}/retry")
    assert r.headers["location"] == f"/?notice=not-retryable&job={failed}"


async def test_priority_of_a_queued_job(signed_in: Api) -> None:
    first, second = await enqueue(signed_in, 2)
    r = await post_form(signed_in.client, f"/jobs/{second.id}/priority", {"priority": "5"})
    assert r.headers["location"] == f"/?notice=priority&job={second.id}"
    assert (await signed_in.store.queue.get(second.id)).priority == 5  # type: ignore[union-attr]
    assert await signed_in.store.queue.position(second.id) == 1  # it now runs first
    for bad in ("11", "-11", "two", ""):
        r = await post_form(signed_in.client, f"/jobs/{first.id}/priority", {"priority": bad})
        assert r.status_code == 422 and "priority" in r.text
    done = await add_job(signed_in.store, status="succeeded")
    r = await post_form(signed_in.client, f"/jobs/{done}/priority", {"priority": "1"})
    assert r.headers["location"] == f"/?notice=not-queued&job={done}"


async def test_the_live_page_buttons_raise_and_lower_by_one(signed_in: Api) -> None:
    (job,) = await enqueue(signed_in)
    html = (await signed_in.client.get("/")).text
    assert f'id="raise-{job.id}"' in html and f'id="lower-{job.id}"' in html
    assert f'id="cancel-{job.id}"' in html
    assert 'name="priority" value="1"' in html and 'name="priority" value="-1"' in html


async def test_cancel_retry_priority_of_unknown_or_ended_jobs(signed_in: Api) -> None:
    r = await post_form(signed_in.client, "/jobs/abcdef123456/cancel")
    assert r.headers["location"] == "/?notice=not-found&job=abcdef123456"
    assert (
        "There is no job abcdef123456." in (await signed_in.client.get(r.headers["location"])).text
    )
    done = await add_job(signed_in.store, status="succeeded")
    r = await post_form(signed_in.client, f"/jobs/{done}/cancel")
    assert r.headers["location"] == f"/?notice=ended&job={done}"
    r = await post_form(signed_in.client, "/jobs/bad%20id!/cancel")
    assert r.status_code == 404


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "javascript:x"])
async def test_actions_only_go_back_to_this_site(signed_in: Api, target: str) -> None:
    (job,) = await enqueue(signed_in)
    csrf = csrf_of((await signed_in.client.get("/")).text)
    r = await signed_in.client.post(f"/jobs/{job.id}/cancel", data={"csrf": csrf, "next": target})
    assert r.headers["location"] == f"/jobs/{job.id}?notice=cancelled&job={job.id}"


async def test_actions_go_through_the_pipeline_when_the_process_has_one(signed_in: Api) -> None:
    """The bot hands its pipeline's cancel, retry and set_priority to the app (a running job is
    then stopped here at once); the forms use them."""
    calls: list[tuple[str, Any]] = []
    store = signed_in.store

    async def cancel(job_id: str, *, by: int | None = None) -> Any:
        calls.append(("cancel", by))
        return await store.queue.cancel(job_id, by=by)

    async def retry(job_id: str) -> Any:
        calls.append(("retry", job_id))
        return await store.queue.retry(job_id)

    async def set_priority(job_id: str, priority: int) -> Any:
        calls.append(("priority", priority))
        return await store.queue.set_priority(job_id, priority)

    services = signed_in.services
    services.cancel, services.retry, services.set_priority = cancel, retry, set_priority
    running = await add_job(store, status="running", stage="downloading")
    (queued,) = await enqueue(signed_in)
    failed = await add_job(store, status="failed")
    await post_form(signed_in.client, f"/jobs/{running}/cancel")
    await post_form(signed_in.client, f"/jobs/{queued.id}/priority", {"priority": "-3"})
    await post_form(signed_in.client, f"/jobs/{failed}/retry")
    assert calls == [("cancel", api_user_id("ci")), ("priority", -3), ("retry", failed)]
    assert (await store.queue.get(running)).status == "cancelled"  # type: ignore[union-attr]
