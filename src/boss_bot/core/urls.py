"""URL intake: turn text a user posted into one safe, normalised http(s) URL, or say why not.

Two steps, kept apart so routing can use the cheap one:

* :func:`normalise_url` is pure string work: it strips Discord's ``<...>`` link suppression,
  lower-cases scheme and host, IDNA-encodes the host (a Unicode look-alike of ``youtube.com``
  becomes ``xn--...`` and can never match a real platform), rewrites legacy numeric IPv4 hosts
  (``0x7f.1``, ``2130706433``) to dotted-decimal the way browsers do, and drops default ports
  and fragments.
* :func:`check_url` is the gate every download goes through. It applies policy (http(s) only,
  no credentials, no leading ``-``) and, unless private networks are allowed, refuses hosts that
  are, or resolve to, private, loopback, link-local, CGNAT, multicast or reserved addresses.
  That is the bot's protection against being used to reach its own network (SSRF).

Every rejection is an :class:`~boss_bot.core.errors.InvalidURLError` (or its subclass
:class:`~boss_bot.core.errors.BlockedURLError`) whose message is short enough to show a user.
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

from boss_bot.core.errors import BlockedURLError, InvalidURLError

#: Longest URL accepted (characters, after stripping whitespace and ``<...>``).
MAX_URL_LENGTH = 2048
#: How long DNS may take before the link is refused.
RESOLVE_TIMEOUT_SECONDS = 5.0

ALLOWED_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

#: A resolver for tests or callers with their own DNS: host -> addresses (sync or async).
Resolver = Callable[[str], Iterable[str] | Awaitable[Iterable[str]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# After IDNA encoding a DNS name is ASCII labels; '_' is tolerated because real hosts use it.
_LABEL = re.compile(r"[a-z0-9_-]{1,63}")
_MAX_HOST_LENGTH = 253
# Anything a well-formed URL never contains: whitespace and (C0/C1) control characters.
_FORBIDDEN_CHARS = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
# WHATWG URL: a host whose last label is a number is an IPv4 address (or an error).
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_HEX_PART = re.compile(r"0x[0-9a-f]*")
_OCTAL_PART = re.compile(r"0[0-7]+")
_DECIMAL_PART = re.compile(r"0|[1-9][0-9]*")
_HOST_AND_PORT = re.compile(r"[^:/?#]+:[0-9]+(?:[/?#]|$)")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

MSG_EMPTY = "Please give me a link."
MSG_TOO_LONG = f"That link is too long (over {MAX_URL_LENGTH} characters)."
MSG_DASH = (
    "Links can't start with '-' (the download tools would read that as an option, not a link)."
)
MSG_NO_SCHEME = "That doesn't look like a link; it should start with http:// or https://."
MSG_SCHEME = "Only http and https links are supported (got {scheme})."
MSG_CHARS = "That link contains spaces or control characters."
MSG_MALFORMED = "That link is malformed."
MSG_CREDENTIALS = "Links with a username or password in them aren't allowed."
MSG_NO_HOST = "That link has no host name."
MSG_BAD_HOST = "That link's host name isn't valid."
MSG_BAD_IP = "That link's host looks like an IP address but isn't a valid one."
MSG_BAD_PORT = "That link has an invalid port number."
MSG_UNRESOLVABLE = "I could not resolve host {host}."
MSG_BLOCKED = "That link points to a private or local network address, which I won't fetch."


class _Host(NamedTuple):
    """A normalised host: its URL form (IPv6 bracketed) and its address when it is a literal."""

    text: str
    address: IPAddress | None


def _unwrap(text: str) -> str:
    """Strip whitespace and Discord's ``<url>`` embed suppression."""
    text = text.strip()
    if len(text) >= 2 and text[0] == "<" and text[-1] == ">":
        text = text[1:-1].strip()
    return text


def _parse_ipv4_number(part: str) -> int | None:
    """One dotted part in the radixes inet_aton and WHATWG accept: 0x hex, 0-octal, decimal."""
    if _HEX_PART.fullmatch(part):
        return int(part[2:] or "0", 16)
    if _OCTAL_PART.fullmatch(part):
        return int(part, 8)
    if _DECIMAL_PART.fullmatch(part):
        return int(part)
    return None  # e.g. "08": neither octal nor decimal


def _parse_legacy_ipv4(host: str) -> ipaddress.IPv4Address:
    """Parse ``127.1``, ``0x7f.1``, ``0177.0.0.1`` or ``2130706433`` like a browser would.

    getaddrinfo/inet_aton accept these forms too, so a filter that only knows dotted-decimal
    can be walked around; parsing them ourselves closes that gap.
    """
    parts = host.split(".")
    numbers = [_parse_ipv4_number(p) for p in parts]
    if len(parts) > 4 or any(n is None for n in numbers):
        raise InvalidURLError(f"bad IPv4 host {host!r}", user_message=MSG_BAD_IP)
    *head, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(parts)):
        raise InvalidURLError(f"IPv4 host out of range {host!r}", user_message=MSG_BAD_IP)
    value = last + sum(n << (8 * (3 - i)) for i, n in enumerate(head))
    return ipaddress.IPv4Address(value)


def _normalise_host(raw: str) -> _Host:
    """Lower-case, IDNA-encode and validate a host; decode IP literals of every spelling."""
    if raw.startswith("["):
        if not raw.endswith("]"):
            raise InvalidURLError(f"bad IPv6 host {raw!r}", user_message=MSG_BAD_IP)
        try:
            v6 = ipaddress.IPv6Address(raw[1:-1])
        except ValueError:
            raise InvalidURLError(f"bad IPv6 host {raw!r}", user_message=MSG_BAD_IP) from None
        return _Host(f"[{v6.compressed}]", v6)

    host = raw.lower()
    if host.endswith(".") and not host.endswith(".."):
        host = host[:-1]  # the FQDN spelling "example.com." names the same host
    if not host:
        raise InvalidURLError("empty host", user_message=MSG_NO_HOST)
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidURLError(f"bad host {raw!r}", user_message=MSG_BAD_HOST) from None
    host = host.lower()  # nameprep maps to lower case, but be explicit
    labels = host.split(".")
    if len(host) > _MAX_HOST_LENGTH or not all(_LABEL.fullmatch(lb) for lb in labels):
        raise InvalidURLError(f"bad host {raw!r}", user_message=MSG_BAD_HOST)
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        v4 = _parse_legacy_ipv4(host)
        return _Host(str(v4), v4)
    return _Host(host, None)


def _parse_port(text: str) -> int | None:
    """``''`` means no port; otherwise ASCII digits naming 1-65535."""
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= 65535:
        raise InvalidURLError(f"bad port {text!r}", user_message=MSG_BAD_PORT)
    return int(text)


class _Parsed(NamedTuple):
    scheme: str
    userinfo: str | None
    host: _Host | None
    port: int | None
    path: str
    query: str

    def unsplit(self) -> str:
        if self.host is None:
            # An empty authority ("a:////x": path "//x") must stay spelled out, or the result
            # would parse differently ("a://x" has host x): keep normalising idempotent.
            if not self.path.startswith("//"):
                return urlunsplit((self.scheme, "", self.path, self.query, ""))
            text = f"{self.scheme}:////{self.path[2:]}" if self.scheme else f"////{self.path[2:]}"
            return f"{text}?{self.query}" if self.query else text
        netloc = self.host.text
        if self.port is not None and self.port != _DEFAULT_PORTS.get(self.scheme):
            netloc = f"{netloc}:{self.port}"
        if self.userinfo is not None:
            netloc = f"{self.userinfo}@{netloc}"
        path = self.path or ("/" if self.scheme in ALLOWED_SCHEMES else "")
        return urlunsplit((self.scheme, netloc, path, self.query, ""))


def _parse(text: str) -> _Parsed:
    """Split and normalise ``text``; raises InvalidURLError only for what can't be parsed."""
    try:
        parts = urlsplit(_unwrap(text))
    except ValueError:  # unbalanced [ ], NFKC tricks in the netloc
        raise InvalidURLError(
            f"unparseable URL {text[:100]!r}", user_message=MSG_MALFORMED
        ) from None
    scheme = parts.scheme.lower()
    # "scheme:stuff" without an authority (javascript:, mailto:, bare words) has no host.
    if not parts.netloc:
        return _Parsed(scheme, None, None, None, parts.path, parts.query)
    # Browsers read "\" in the authority as "/", Python does not: never guess where the host is.
    if "\\" in parts.netloc:
        raise InvalidURLError("backslash in authority", user_message=MSG_MALFORMED)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if hostport.startswith("["):
        close = hostport.find("]")
        raw_host, rest = hostport[: close + 1], hostport[close + 1 :]
        if close < 0 or (rest and not rest.startswith(":")):
            raise InvalidURLError(f"bad IPv6 host {hostport!r}", user_message=MSG_BAD_IP)
        port_text = rest[1:]
    else:
        raw_host, _, port_text = hostport.partition(":")
    host = _normalise_host(raw_host) if raw_host else None
    return _Parsed(
        scheme=scheme,
        userinfo=userinfo if at else None,
        host=host,
        port=_parse_port(port_text),
        path=parts.path,
        query=parts.query,
    )


def normalise_url(text: str) -> str:
    """The canonical spelling of a URL, so equal links compare equal and route the same way.

    Pure string work, no I/O. Keeps path, query and any ``user@`` part (policy is
    :func:`check_url`'s job, and routing must see the real host behind ``twitter.com@evil``).
    Raises :class:`InvalidURLError` only when the text cannot be parsed at all.
    """
    # Strip again: dropping a fragment can expose whitespace that was before the "#".
    return _parse(text).unsplit().strip()


def host_of(url: str) -> str | None:
    """The normalised host of an http(s) URL, or None (other schemes, no host, unparseable).

    This is what routing matches on: never a regex over the whole URL, where
    ``https://twitter.com@evil.example/`` would look like Twitter.
    """
    try:
        parsed = _parse(url)
    except InvalidURLError:
        return None
    if parsed.scheme not in ALLOWED_SCHEMES or parsed.host is None:
        return None
    return parsed.host.text.strip("[]")


def is_forbidden_address(address: IPAddress) -> bool:
    """True for anything that is not a plain public unicast address.

    Covers private, loopback, link-local (incl. 169.254.169.254 cloud metadata), CGNAT,
    multicast, reserved, unspecified, IPv6 ULA/link-local, and IPv6 forms that embed an IPv4
    address (mapped, 6to4, NAT64), since those reach the embedded address.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = [address.ipv4_mapped, address.sixtofour]
        if address in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if any(e is not None and is_forbidden_address(e) for e in embedded):
            return True
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv4Address) and address in _CGNAT)
    )


def _is_localhost_name(host: str) -> bool:
    """RFC 6761: ``localhost`` and ``*.localhost`` are loopback whatever DNS says."""
    return host == "localhost" or host.endswith(".localhost")


async def _system_resolve(host: str) -> list[str]:
    """Addresses for ``host`` via the loop's getaddrinfo (runs in a thread; never blocks)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def _resolve(host: str, resolve: Resolver | None) -> list[IPAddress]:
    """Every address ``host`` resolves to; InvalidURLError when there are none."""
    unresolvable = InvalidURLError(
        f"could not resolve host {host}", user_message=MSG_UNRESOLVABLE.format(host=host)
    )
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            result = (resolve or _system_resolve)(host)
            raw = list(await result if inspect.isawaitable(result) else result)
    except (OSError, TimeoutError, UnicodeError):
        raise unresolvable from None
    addresses: list[IPAddress] = []
    for item in raw:
        try:
            addresses.append(ipaddress.ip_address(str(item)))
        except ValueError:
            raise unresolvable from None
    if not addresses:
        raise unresolvable
    return addresses


def _blocked(host: str, why: str) -> BlockedURLError:
    return BlockedURLError(f"blocked host {host}: {why}", user_message=MSG_BLOCKED)


async def check_url(text: str, *, allow_private: bool, resolve: Resolver | None = None) -> str:
    """Return the normalised URL if boss-bot may fetch it; raise with a user-facing reason if not.

    ``allow_private`` (the ``ALLOW_PRIVATE_NETWORK_URLS`` setting) turns off the address checks
    and the DNS lookup, for tests against a local server. ``resolve`` replaces the system
    resolver (tests inject one, so they never need real DNS).

    Every address a name resolves to must be public: one private answer among public ones is
    how DNS-based SSRF tricks work. The tools resolve again when they download, so this is a
    strong filter, not a pin against DNS rebinding.
    """
    stripped = _unwrap(text)
    if not stripped:
        raise InvalidURLError("empty URL", user_message=MSG_EMPTY)
    if len(stripped) > MAX_URL_LENGTH:
        raise InvalidURLError(f"URL of {len(stripped)} characters", user_message=MSG_TOO_LONG)
    if stripped.startswith("-"):
        raise InvalidURLError("URL starts with '-'", user_message=MSG_DASH)
    if _FORBIDDEN_CHARS.search(stripped):
        raise InvalidURLError("whitespace/control characters in URL", user_message=MSG_CHARS)

    parsed = _parse(stripped)
    if not parsed.scheme or _HOST_AND_PORT.match(stripped):
        # "example.com:8080/x" parses as scheme "example.com"; it's really a missing scheme.
        raise InvalidURLError("URL without scheme", user_message=MSG_NO_SCHEME)
    if parsed.scheme not in ALLOWED_SCHEMES:
        shown = parsed.scheme if len(parsed.scheme) <= 20 else parsed.scheme[:19] + "…"
        raise InvalidURLError(
            f"scheme {parsed.scheme!r} not allowed", user_message=MSG_SCHEME.format(scheme=shown)
        )
    if parsed.userinfo is not None:
        raise InvalidURLError("credentials in URL", user_message=MSG_CREDENTIALS)
    if parsed.host is None:
        raise InvalidURLError("URL without host", user_message=MSG_NO_HOST)

    url = parsed.unsplit()
    if allow_private:
        return url

    host = parsed.host
    if host.address is not None:
        if is_forbidden_address(host.address):
            raise _blocked(host.text, f"address {host.address}")
        return url
    if _is_localhost_name(host.text):
        raise _blocked(host.text, "localhost name")
    for address in await _resolve(host.text, resolve):
        if is_forbidden_address(address):
            raise _blocked(host.text, f"resolves to {address}")
    return url
