"""Signing in and out over real HTTP: redirects, the cookie's attributes, one answer for every
wrong token, the slow-down after repeated failures, and read-only tokens."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from boss_bot.core.events import EventBus
from boss_bot.core.settings import BossSettings
from boss_bot.core.store import open_store
from boss_bot.http import Services
from boss_bot.http.web.limiter import FREE_FAILURES
from boss_bot.http.web.signin import FORM_EXPIRED, WRONG_TOKEN
from tests.http.conftest import serve
from tests.web.conftest import RO_TOKEN, RW_TOKEN, Api, csrf_of, enqueue, post_form, sign_in

PAGES = ("/", "/history", "/stats", "/workers", "/servers", "/jobs/abc123")

_ERROR = re.compile(r'<p class="error" id="signin-error" role="alert">([^<]*)</p>')


def set_cookie(response: httpx.Response, name: str) -> str:
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    return headers[0]


def without_nonces(html: str) -> str:
    return re.sub(r'name="csrf" value="[^"]+"', "", html)


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_sends_a_stranger_to_the_sign_in_page_and_back(
    dash: Api, path: str
) -> None:
    r = await dash.client.get(path)
    assert r.status_code == 303
    assert r.headers["location"] == ("/signin" if path == "/" else f"/signin?next={path}")
    assert r.headers["content-security-policy"].startswith("default-src 'none'")


async def test_actions_and_the_stream_need_a_session(dash: Api) -> None:
    (job,) = await enqueue(dash)
    for action in ("cancel", "retry", "priority"):
        r = await dash.client.post(f"/jobs/{job.id}/{action}", data={"priority": "3"})
        assert r.status_code == 303 and r.headers["location"] == "/signin"
    assert (await dash.store.queue.get(job.id)).status == "queued"  # type: ignore[union-attr]
    r = await dash.client.get("/live/events")
    assert r.status_code == 200 and r.text == "event: end\ndata: signed out\n\n"


async def test_signing_in_sets_a_strict_http_only_cookie_and_returns_to_the_page(
    dash: Api,
) -> None:
    form = await dash.client.get("/signin?next=/history%3Fstatus%3Dfailed")
    assert form.status_code == 200
    nonce = set_cookie(form, "boss_signin").lower()
    assert "httponly" in nonce and "samesite=strict" in nonce and "path=/signin" in nonce
    assert "secure" not in nonce  # plain http
    r = await dash.client.post(
        "/signin",
        data={"csrf": csrf_of(form.text), "next": "/history?status=failed", "token": RW_TOKEN},
    )
    assert r.status_code == 303 and r.headers["location"] == "/history?status=failed"
    cookie = set_cookie(r, "boss_session").lower()
    for part in ("httponly", "samesite=strict", "path=/", "max-age=43200"):
        assert part in cookie
    assert "secure" not in cookie
    assert RW_TOKEN.lower() not in cookie  # the token itself is never stored
    page = await dash.client.get("/")
    assert page.status_code == 200 and '<span class="who">ci</span>' in page.text
    assert (await dash.client.get("/signin")).headers["location"] == "/"  # already in


async def test_the_cookie_is_secure_behind_an_https_proxy(dash: Api) -> None:
    https = {"X-Forwarded-Proto": "https"}
    form = await dash.client.get("/signin", headers=https)
    nonce = set_cookie(form, "boss_signin")
    assert "; secure" in nonce.lower()
    dash.client.cookies.clear()  # (httpx keeps a Secure cookie off plain http: send it by hand)
    r = await dash.client.post(
        "/signin",
        data={"csrf": csrf_of(form.text), "token": RW_TOKEN},
        headers={**https, "Cookie": nonce.split(";")[0]},
    )
    assert r.status_code == 303
    assert "; secure" in set_cookie(r, "boss_session").lower()


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil", ""])
async def test_sign_in_never_redirects_off_the_site(dash: Api, target: str) -> None:
    form = await dash.client.get("/signin")
    r = await dash.client.post(
        "/signin", data={"csrf": csrf_of(form.text), "next": target, "token": RW_TOKEN}
    )
    assert r.status_code == 303 and r.headers["location"] == "/"


async def test_every_wrong_token_gets_the_same_answer(dash: Api) -> None:
    wrong = [
        "x" * 24,  # unknown
        RW_TOKEN[:-1] + ("0" if RW_TOKEN[-1] != "0" else "1"),  # a near miss of a real one
        f"{RO_TOKEN}:ro",  # a read-only token written as in API_TOKENS
        f"{RW_TOKEN}:ro",  # a read-write token "demoted" by hand
        "viewer",  # a client's name
        RO_TOKEN.upper(),  # case matters
        "",
        "y" * 600,  # longer than any token
    ]
    answers = set()
    for token in wrong:
        form = await dash.client.get("/signin")
        r = await dash.client.post("/signin", data={"csrf": csrf_of(form.text), "token": token})
        assert r.status_code == 401, token
        assert "boss_session=" not in r.headers.get("set-cookie", "")
        (message,) = _ERROR.findall(r.text)
        assert message == WRONG_TOKEN
        answers.add(without_nonces(r.text))
        dash.server.app.state.dashboard.limiter.succeeded("127.0.0.1")  # no slow-down here
    assert len(answers) == 1  # the very same page, whichever token it was


async def test_repeated_failures_are_slowed_down_per_address(dash: Api) -> None:
    limiter = dash.server.app.state.dashboard.limiter
    clock = {"now": 1000.0}
    limiter.clock = lambda: clock["now"]
    page = {"html": (await dash.client.get("/signin")).text}

    async def attempt(token: str) -> httpx.Response:
        """Submit the form of the last page shown (each carries a fresh one-time value)."""
        r = await dash.client.post("/signin", data={"csrf": csrf_of(page["html"]), "token": token})
        if r.status_code != 303:
            page["html"] = r.text
        return r

    for _ in range(FREE_FAILURES):
        assert (await attempt("w" * 20)).status_code == 401
    assert limiter.failures("127.0.0.1") == FREE_FAILURES
    # Now even the right token is not looked at until the wait is over.
    r = await attempt(RW_TOKEN)
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    assert "Too many failed sign-ins" in r.text and "boss_session=" not in str(r.headers)
    assert limiter.failures("127.0.0.1") == FREE_FAILURES  # a refused try is not a failure
    clock["now"] += 1
    assert (await attempt("w" * 20)).status_code == 401  # allowed again; the wait doubles
    assert limiter.retry_after("127.0.0.1") == 2
    r = await attempt(RW_TOKEN)
    assert r.status_code == 429 and r.headers["retry-after"] == "2"
    clock["now"] += 2
    assert (await attempt(RW_TOKEN)).status_code == 303  # the right token, after the wait
    assert limiter.failures("127.0.0.1") == 0  # forgotten on success


async def test_a_sign_in_posted_from_another_site_is_refused(dash: Api) -> None:
    form = await dash.client.get("/signin")
    csrf = csrf_of(form.text)
    dash.client.cookies.clear()  # another site's form: no SameSite=Strict cookie comes along
    r = await dash.client.post("/signin", data={"csrf": csrf, "token": RW_TOKEN})
    assert r.status_code == 403 and FORM_EXPIRED in r.text
    assert "boss_session=" not in str(r.headers)
    r = await dash.client.post("/signin", data={"token": RW_TOKEN})
    assert r.status_code == 403


async def test_a_forged_or_expired_cookie_is_no_session(dash: Api) -> None:
    assert (await sign_in(dash.client)).status_code == 303
    cookie = dash.client.cookies["boss_session"]
    payload, signature = cookie.split(".")
    for forged in (f"{payload}.{signature[:-2]}AA", f"{payload}x.{signature}", "garbage", ""):
        dash.client.cookies.set("boss_session", forged)
        assert (await dash.client.get("/")).status_code == 303
    dash.client.cookies.set("boss_session", cookie)
    assert (await dash.client.get("/")).status_code == 200
    sessions = dash.server.app.state.dashboard.sessions
    sessions.clock = lambda: 10**12  # far in the future: expired
    assert (await dash.client.get("/")).status_code == 303


async def test_signing_out_clears_the_cookie(signed_in: Api) -> None:
    client = signed_in.client
    r = await client.post("/signout", data={"csrf": "not-it"})
    assert r.status_code == 303 and "boss_session" in client.cookies  # no CSRF: no sign-out
    r = await post_form(client, "/signout")
    assert r.status_code == 303 and r.headers["location"] == "/signin?notice=signed-out"
    assert (
        'boss_session=""' in set_cookie(r, "boss_session")
        or "max-age=0" in set_cookie(r, "boss_session").lower()
    )
    assert "boss_session" not in client.cookies
    assert (await client.get("/")).status_code == 303
    assert "You are signed out." in (await client.get("/signin?notice=signed-out")).text


async def test_a_read_only_token_can_look_but_not_act(dash: Api) -> None:
    (job,) = await enqueue(dash)
    assert (await sign_in(dash.client, RO_TOKEN)).status_code == 303
    for path in ("/", "/history", "/stats", "/workers", "/servers", f"/jobs/{job.id}"):
        r = await dash.client.get(path)
        assert r.status_code == 200, path
        assert "read-only" in r.text
        assert f'action="/jobs/{job.id}/cancel"' not in r.text  # no buttons it cannot use
    for action, fields in (("cancel", {}), ("priority", {"priority": "5"}), ("retry", {})):
        r = await post_form(dash.client, f"/jobs/{job.id}/{action}", fields)
        assert r.status_code == 403 and "read-only" in r.text
    after = await dash.store.queue.get(job.id)
    assert after is not None and after.status == "queued" and after.priority == 0


async def test_without_api_tokens_nobody_signs_in(
    make_settings: Callable[..., BossSettings],
) -> None:
    settings = make_settings()
    store = await open_store(settings)
    try:
        async with serve(Services(settings=settings, store=store, bus=EventBus())) as api:
            form = await api.client.get("/signin")
            assert "no API_TOKENS are configured" in form.text
            r = await api.client.post("/signin", data={"csrf": csrf_of(form.text), "token": "x"})
            assert r.status_code == 401 and WRONG_TOKEN in r.text
            assert (await api.client.get("/")).status_code == 303
    finally:
        await store.close()


async def test_a_session_ends_when_its_token_is_removed(
    make_settings: Callable[..., BossSettings],
) -> None:
    """The cookie names a token's fingerprint; a server whose API_TOKENS no longer have that
    token (another process, or this one restarted) does not accept it."""
    first = make_settings(api_tokens=f"ci:{RW_TOKEN},viewer:{RO_TOKEN}:ro")
    later = make_settings(api_tokens=f"viewer:{RO_TOKEN}:ro")
    store = await open_store(first)
    try:
        async with serve(Services(settings=first, store=store, bus=EventBus())) as one:
            assert (await sign_in(one.client)).status_code == 303
            cookie = one.client.cookies["boss_session"]
        async with serve(Services(settings=later, store=store, bus=EventBus())) as two:
            two.client.cookies.set("boss_session", cookie)
            assert (await two.client.get("/")).status_code == 303
        async with serve(Services(settings=first, store=store, bus=EventBus())) as three:
            three.client.cookies.set("boss_session", cookie)  # same tokens: still valid
            assert (await three.client.get("/")).status_code == 200
    finally:
        await store.close()
