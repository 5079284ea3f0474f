"""Slow down guessing at the sign-in page: per client address, in bounded memory.

The first :data:`FREE_FAILURES` wrong tokens from one address cost nothing (people mistype).
After that, each further try must wait ``2 ** (failures - FREE_FAILURES)`` seconds after the
last failure (at most :data:`MAX_WAIT_SECONDS`); a try made sooner is answered 429 with
``Retry-After`` and the token is not even looked at. An address that stays quiet for
:data:`FORGET_SECONDS` is forgotten; a successful sign-in forgets it at once.

Memory is bounded: at most :data:`MAX_ADDRESSES` addresses are remembered, the least recently
seen dropped first (an attacker with that many addresses gets each of them its free tries, a
cost it would have anyway). Behind a reverse proxy every request comes from the proxy's address,
so the limit applies to everyone together: still a brake on guessing, which is its purpose.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

FREE_FAILURES = 5
MAX_WAIT_SECONDS = 300.0
FORGET_SECONDS = 3600.0
MAX_ADDRESSES = 4096


class SignInLimiter:
    def __init__(
        self,
        *,
        free: int = FREE_FAILURES,
        max_wait: float = MAX_WAIT_SECONDS,
        forget_after: float = FORGET_SECONDS,
        max_addresses: int = MAX_ADDRESSES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free = free
        self.max_wait = max_wait
        self.forget_after = forget_after
        self.max_addresses = max_addresses
        self.clock = clock
        #: address → (failures, time of the last failure), least recently seen first.
        self._seen: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def _entry(self, address: str) -> tuple[int, float] | None:
        entry = self._seen.get(address)
        if entry is not None and self.clock() - entry[1] >= self.forget_after:
            del self._seen[address]
            return None
        return entry

    def failures(self, address: str) -> int:
        entry = self._entry(address)
        return 0 if entry is None else entry[0]

    def wait_seconds(self, address: str) -> float:
        """How long ``address`` must wait before its next try (0: it may try now)."""
        entry = self._entry(address)
        if entry is None or entry[0] < self.free:
            return 0.0
        count, last = entry
        delay = min(2.0 ** (count - self.free), self.max_wait)
        return max(0.0, last + delay - self.clock())

    def retry_after(self, address: str) -> int | None:
        """``Retry-After`` in whole seconds, or None when a try is allowed now."""
        wait = self.wait_seconds(address)
        return math.ceil(wait) if wait > 0 else None

    def failed(self, address: str) -> None:
        count = self.failures(address) + 1
        self._seen[address] = (count, self.clock())
        self._seen.move_to_end(address)
        while len(self._seen) > self.max_addresses:
            self._seen.popitem(last=False)

    def succeeded(self, address: str) -> None:
        self._seen.pop(address, None)

    def __len__(self) -> int:
        return len(self._seen)


__all__ = ["FREE_FAILURES", "MAX_ADDRESSES", "MAX_WAIT_SECONDS", "SignInLimiter"]
