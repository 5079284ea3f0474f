"""A per-client request budget: at most ``limit`` requests a minute from one address.

A fixed one-minute window per client, in memory, with a bounded number of clients tracked (the
oldest window is forgotten first), so a flood of addresses cannot grow it without limit.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

#: Client addresses remembered at most.
MAX_CLIENTS = 10_000
WINDOW_SECONDS = 60.0


class RateLimiter:
    """``check(client)``: None when allowed (and counted), else the seconds to wait."""

    def __init__(self, limit: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._windows: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def check(self, client: str) -> int | None:
        now = self._clock()
        start, count = self._windows.get(client, (now, 0))
        if now - start >= WINDOW_SECONDS:
            start, count = now, 0
        if count >= self.limit:
            return max(1, math.ceil(start + WINDOW_SECONDS - now))
        self._windows[client] = (start, count + 1)
        self._windows.move_to_end(client)
        while len(self._windows) > MAX_CLIENTS:
            self._windows.popitem(last=False)
        return None
