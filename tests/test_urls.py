"""URL intake: normalisation, every rejection with its message, and SSRF blocking.

No test touches real DNS: names are resolved by an injected resolver, except ``localhost``
and IP literals, which never need DNS at all.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from boss_bot.core import urls
from boss_bot.core.errors import BlockedURLError, InvalidURLError
from boss_bot.core.urls import check_url, host_of, is_forbidden_address, normalise_url

PUBLIC_IP = "93.184.215.14"


def public(host: str) -> list[str]:
    """Resolver for tests: every name is one public address."""
    return [PUBLIC_IP]


def no_dns(host: str) -> Iterable[str]:
    raise AssertionError(f"resolver must not be called (asked for {host})")


def check(text: str, *, allow_private: bool = False, resolve=public) -> str:
    return asyncio.run(check_url(text, allow_private=allow_private, resolve=resolve))


# --- normalise_url ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://example.com/a", "https://example.com/a"),
        ("  https://example.com/a \n", "https://example.com/a"),
        ("<https://example.com/a>", "https://example.com/a"),
        (
            "HTTPS://WWW.YouTube.COM/watch?v=dQw4w9WgXcQ",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        ),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/a?b=1&c=2#frag", "https://example.com/a?b=1&c=2"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com.", "https://example.com/"),
        ("https://example.com/CaSe/Path?Q=KeEp", "https://example.com/CaSe/Path?Q=KeEp"),
        ("https://bücher.example/x", "https://xn--bcher-kva.example/x"),
        # Cyrillic "у": a look-alike host becomes its xn-- form, never "youtube.com".
        ("https://уoutube.com/watch", "https://xn--outube-vrf.com/watch"),
        # Legacy IPv4 spellings are rewritten the way browsers rewrite them.
        ("http://0x7f.1/", "http://127.0.0.1/"),
        ("http://0177.0.0.1/", "http://127.0.0.1/"),
        ("http://2130706433/", "http://127.0.0.1/"),
        ("http://127.1/", "http://127.0.0.1/"),
        ("http://0x7F000001/", "http://127.0.0.1/"),
        ("http://[::FFFF:127.0.0.1]:80/", "http://[::ffff:7f00:1]/"),
        ("http://[0:0:0:0:0:0:0:1]/", "http://[::1]/"),
        # Credentials are kept (check_url rejects them; routing must see the real host).
        ("https://twitter.com@evil.example/", "https://twitter.com@evil.example/"),
    ],
)
def test_normalise_url(text: str, expected: str) -> None:
    assert normalise_url(text) == expected
    assert normalise_url(expected) == expected  # idempotent


def test_host_of_ignores_user_part_and_other_schemes() -> None:
    assert host_of("https://twitter.com@evil.example/x") == "evil.example"
    assert host_of("https://WWW.X.com:8443/") == "www.x.com"
    assert host_of("http://[::1]:8080/") == "::1"
    assert host_of("ftp://example.com/") is None
    assert host_of("not a url") is None
    assert host_of("http://[::1/") is None


# --- rejections -------------------------------------------------------------------------

INVALID = [
    ("", "Please give me a link"),
    ("   \n", "Please give me a link"),
    ("<>", "Please give me a link"),
    ("https://example.com/" + "a" * 2100, "too long"),
    ("-o/etc/passwd", "can't start with '-'"),
    ("--exec=rm -rf ~", "can't start with '-'"),
    ("<-o/etc/passwd>", "can't start with '-'"),
    ("  -https://example.com/", "can't start with '-'"),
    ("ftp://example.com/file", "Only http and https links are supported (got ftp)"),
    ("file:///etc/passwd", "(got file)"),
    ("javascript:alert(1)", "(got javascript)"),
    ("JavaScript:alert(1)", "(got javascript)"),
    ("data:text/html,<script>", "(got data)"),
    ("gopher://127.0.0.1:6379/_INFO", "(got gopher)"),
    ("example.com/video.mp4", "should start with http:// or https://"),
    ("example.com:8080/video.mp4", "should start with http:// or https://"),
    ("localhost:8000", "should start with http:// or https://"),
    ("https://user:pass@example.com/", "username or password"),
    ("https://user@example.com/", "username or password"),
    ("https://twitter.com@evil.example/", "username or password"),
    ("https://:@example.com/", "username or password"),
    ("http://", "no host"),
    ("https:///path", "no host"),
    ("http://:80/", "no host"),
    ("http://example.com:99999/", "invalid port"),
    ("http://example.com:0/", "invalid port"),
    ("http://example.com:http/", "invalid port"),
    ("http://example.com:-1/", "invalid port"),
    ("http://example.com:8080:90/", "invalid port"),
    ("http://exa mple.com/", "spaces or control characters"),
    ("http://example.com/\x00", "spaces or control characters"),
    ("http://example.com/a\x85b", "spaces or control characters"),
    ("http://exa_mple%2e.com/", "host name isn't valid"),
    ("http://a..b/", "host name isn't valid"),
    ("http://" + "a" * 64 + ".com/", "host name isn't valid"),
    ("http://evil.example\\@twitter.com/", "malformed"),
    ("http://[::1/", "malformed"),
    ("http://[not-ipv6]/", "malformed"),
    ("http://[::1]x/", "isn't a valid one"),
    ("http://1.2.3.4.5/", "isn't a valid one"),
    ("http://256.1.1.1/", "isn't a valid one"),
    ("http://08.0.0.1/", "isn't a valid one"),
    ("http://4294967296/", "isn't a valid one"),
    ("http://example.0x1/", "isn't a valid one"),
]


@pytest.mark.parametrize(("text", "message"), INVALID)
async def test_invalid_urls_are_rejected_with_their_reason(text: str, message: str) -> None:
    with pytest.raises(InvalidURLError) as info:
        await check_url(text, allow_private=False, resolve=no_dns)
    assert type(info.value) is InvalidURLError  # not BlockedURLError
    assert message in info.value.user_message
    assert len(info.value.user_message) <= 120
    assert info.value.code == "invalid_url"


BLOCKED = [
    "http://127.0.0.1/",
    "http://127.0.0.1:8080/clip.mp4",
    "http://127.255.255.254/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/admin",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://169.254.1.1/",
    "http://100.64.0.1/",  # CGNAT
    "http://100.127.255.254/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",  # multicast
    "http://239.255.255.250/",
    "http://240.0.0.1/",  # reserved
    "http://255.255.255.255/",
    "http://192.0.2.1/",  # documentation (TEST-NET-1)
    "http://2130706433/",  # decimal 127.0.0.1
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://0177.1/",
    "http://127.1/",
    "http://0/",
    "http://0xa9.0xfe.0xa9.0xfe/",  # hex 169.254.169.254
    "http://[::1]/",
    "http://[::]/",
    "http://[fd00::1]/",  # ULA
    "http://[fc00::1]/",
    "http://[fe80::1]/",  # link-local
    "http://[fe80::1%25eth0]/",
    "http://[ff02::1]/",  # multicast
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of the metadata address
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[::127.0.0.1]/",  # IPv4-compatible (deprecated)
    "http://localhost/",
    "http://LOCALHOST:8000/",
    "http://localhost./",
    "http://api.localhost/",
    "<http://127.0.0.1/>",
]


@pytest.mark.parametrize("text", BLOCKED)
async def test_private_and_local_addresses_are_blocked(text: str) -> None:
    with pytest.raises(BlockedURLError) as info:
        await check_url(text, allow_private=False, resolve=no_dns)  # no DNS needed for these
    assert info.value.user_message == (
        "That link points to a private or local network address, which I won't fetch."
    )
    assert info.value.code == "blocked_url"
    assert isinstance(info.value, InvalidURLError)  # one except clause catches both


@pytest.mark.parametrize("text", BLOCKED)
async def test_allow_private_lets_local_addresses_through(text: str) -> None:
    url = await check_url(text, allow_private=True, resolve=no_dns)
    assert url == normalise_url(text)


async def test_allow_private_still_applies_every_other_rule() -> None:
    for text, message in INVALID:
        with pytest.raises(InvalidURLError) as info:
            await check_url(text, allow_private=True, resolve=no_dns)
        assert message in info.value.user_message


@pytest.mark.parametrize(
    "address",
    ["10.1.2.3", "127.0.0.1", "169.254.169.254", "100.64.3.4", "::1", "fd12::1", "fe80::1%eth0"],
)
async def test_names_resolving_to_private_addresses_are_blocked(address: str) -> None:
    with pytest.raises(BlockedURLError):
        await check_url("https://rebind.example/", allow_private=False, resolve=lambda h: [address])


async def test_every_resolved_address_must_be_public() -> None:
    def mixed(host: str) -> list[str]:
        return [PUBLIC_IP, "2606:4700::1", "10.0.0.7"]

    with pytest.raises(BlockedURLError):
        await check_url("https://mixed.example/", allow_private=False, resolve=mixed)


async def test_public_names_and_literals_are_accepted() -> None:
    seen: list[str] = []

    async def resolver(host: str) -> list[str]:  # async resolvers work too
        seen.append(host)
        return [PUBLIC_IP, "2606:4700::6810:84e5"]

    url = await check_url(
        "<HTTPS://Example.COM:443/v.mp4#x>", allow_private=False, resolve=resolver
    )
    assert url == "https://example.com/v.mp4"
    assert seen == ["example.com"]
    assert await check_url(f"http://{PUBLIC_IP}/", allow_private=False, resolve=no_dns)
    assert await check_url("http://[2606:4700::1]/", allow_private=False, resolve=no_dns)


@pytest.mark.parametrize(
    "resolver",
    [
        lambda h: (_ for _ in ()).throw(socket.gaierror(-2, "Name or service not known")),
        lambda h: [],
        lambda h: ["not-an-address"],
    ],
    ids=["gaierror", "no-addresses", "garbage"],
)
async def test_unresolvable_hosts_are_invalid(resolver) -> None:
    with pytest.raises(InvalidURLError) as info:
        await check_url("https://nowhere.example/", allow_private=False, resolve=resolver)
    assert type(info.value) is InvalidURLError
    assert info.value.user_message == "I could not resolve host nowhere.example."


async def test_slow_resolution_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(urls, "RESOLVE_TIMEOUT_SECONDS", 0.05)

    async def slow(host: str) -> list[str]:
        await asyncio.sleep(10)
        return [PUBLIC_IP]

    with pytest.raises(InvalidURLError, match="could not resolve"):
        await check_url("https://slow.example/", allow_private=False, resolve=slow)


async def test_default_resolver_uses_loop_getaddrinfo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an injected resolver, lookups go through loop.getaddrinfo (off the loop thread)."""
    loop = asyncio.get_running_loop()
    asked: list[str] = []

    async def fake_getaddrinfo(host, port, **kwargs):
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.9.8.7", 0))]

    monkeypatch.setattr(loop, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(BlockedURLError):
        await check_url("https://intranet.example/", allow_private=False)
    assert asked == ["intranet.example"]


async def test_system_resolver_sees_localhost_as_loopback() -> None:
    """The real getaddrinfo path, on the one name that needs no network."""
    addresses = await urls._system_resolve("localhost")
    assert addresses
    assert all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def test_messages_are_distinct() -> None:
    messages = {name: value for name, value in vars(urls).items() if name.startswith("MSG_")}
    assert len(set(messages.values())) == len(messages)


# --- IPv4 spellings: the same 32 bits whichever way they are written --------------------


def spellings(address: ipaddress.IPv4Address) -> list[str]:
    """The inet_aton-compatible forms of an address (dotted octal/hex, 1-4 parts)."""
    n = int(address)
    a, b, c, d = address.packed
    return [
        str(n),
        hex(n),
        ".".join(oct(x).replace("0o", "0") for x in (a, b, c, d)),
        ".".join(hex(x) for x in (a, b, c, d)),
        f"{a}.{b}.{(c << 8) | d}",
        f"{a}.{(b << 16) | (c << 8) | d}",
        f"{hex(a)}.{oct(b).replace('0o', '0')}.{c}.{d}",
    ]


@given(st.ip_addresses(v=4))
def test_legacy_ipv4_forms_normalise_like_inet_aton(address: ipaddress.IPv4Address) -> None:
    for form in spellings(address):
        # inet_aton (what getaddrinfo uses for numeric hosts) agrees with our reading.
        assert socket.inet_aton(form) == address.packed
        assert normalise_url(f"http://{form}/") == f"http://{address}/"


@given(st.ip_addresses())
@example(ipaddress.ip_address("127.0.0.1"))
@example(ipaddress.ip_address("93.184.215.14"))
def test_ip_literals_blocked_exactly_when_forbidden(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    host = f"[{address}]" if address.version == 6 else str(address)
    if is_forbidden_address(address):
        with pytest.raises(BlockedURLError):
            check(f"http://{host}/", resolve=no_dns)
    else:
        assert check(f"http://{host}/", resolve=no_dns) == normalise_url(f"http://{host}/")


# --- properties over arbitrary input ----------------------------------------------------

# URL-shaped text: components that are valid most of the time, so the "accepted" branch of
# the properties is exercised too, mixed with the classic tricks and random junk.
url_like = st.builds(
    lambda pre, scheme, sep, user, host, port, path, post: (
        f"{pre}{scheme}{sep}{user}{host}{port}{path}{post}"
    ),
    pre=st.sampled_from(["", "", "", " ", "<", "-", "\t"]),
    scheme=st.sampled_from(["http", "https", "https", "HTTP", "hTTps", "ftp", "javascript", ""]),
    sep=st.sampled_from(["://", "://", "://", "://", ":", ":/", ":///", "//"]),
    user=st.sampled_from(["", "", "", "", "user@", "user:pw@", "@", ":@", "a%40b@"]),
    host=st.one_of(
        st.from_regex(r"[a-z0-9-]{1,12}(\.[a-z0-9-]{1,12}){0,3}\.?", fullmatch=True),
        st.sampled_from(
            [
                "example.com",
                "EXAMPLE.com.",
                "bücher.example",
                "localhost",
                "127.0.0.1",
                "0x7f.1",
                "2130706433",
                "[::1]",
                "[::ffff:10.0.0.1]",
                "[2606:4700::1]",
                "[fd00::1",
                "уoutube.com",
                "ｙｏｕｔｕｂｅ.com",
                "xn--",
                "a..b",
                "",
            ]
        ),
        st.text(min_size=1, max_size=30),
        st.from_regex(r"[a-z0-9.\-_%\[\]:@\\]{1,30}", fullmatch=True),
    ),
    port=st.sampled_from(["", "", "", ":", ":80", ":443", ":8080", ":0", ":65536", ":x", ":٨٠"]),
    path=st.one_of(st.just("/"), st.just(""), st.text(max_size=40).map(lambda s: "/" + s)),
    post=st.sampled_from(["", "", "", ">", " ", "#frag", "?q=1"]),
)


# Well-formed public URLs, which must always be accepted.
clean_url = st.builds(
    lambda scheme, host, port, path, query: f"{scheme}://{host}{port}{path}{query}",
    scheme=st.sampled_from(["http", "https", "HTTPS"]),
    host=st.from_regex(r"([a-z][a-z0-9-]{0,11}\.){0,3}[a-z][a-z0-9-]{0,11}", fullmatch=True),
    port=st.sampled_from(["", ":80", ":443", ":8080"]),
    path=st.from_regex(r"(/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,12}){0,4}", fullmatch=True),
    query=st.from_regex(r"(\?[A-Za-z0-9=&%_-]{0,20})?", fullmatch=True),
)


def assert_safe(url: str) -> None:
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https")
    assert parts.hostname
    assert parts.username is None and parts.password is None and "@" not in parts.netloc
    assert not url.startswith("-")
    assert "#" not in url


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), url_like))
@example("http://0x7f.1/")
@example("https://example.com/ok")
def test_check_url_only_raises_intake_errors_and_accepts_only_safe_urls(text: str) -> None:
    try:
        url = check(text)
    except InvalidURLError:  # BlockedURLError is a subclass
        return
    assert_safe(url)
    assert check(url) == url  # accepted output is a fixed point
    host = urlsplit(url).hostname or ""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        assert not is_forbidden_address(literal)


@given(clean_url)
def test_well_formed_public_urls_are_accepted(text: str) -> None:
    url = check(text)
    assert_safe(url)
    assert url == normalise_url(text)
    assert urlsplit(url).path == (urlsplit(text).path or "/")


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=200), url_like))
def test_allow_private_only_relaxes_the_address_check(text: str) -> None:
    try:
        url = check(text, allow_private=True, resolve=no_dns)
    except BlockedURLError:
        pytest.fail("allow_private must never block")
    except InvalidURLError:
        return
    assert_safe(url)


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=200), url_like))
def test_normalise_url_is_idempotent_or_refuses(text: str) -> None:
    try:
        once = normalise_url(text)
    except InvalidURLError:
        return
    assert normalise_url(once) == once
