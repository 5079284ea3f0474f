"""A clock the tests move by hand, for code that takes a ``clock`` (no test sleeps for time to
pass: cache intervals, lease expiry)."""

from __future__ import annotations


class FakeClock:
    """Stands for ``time.time`` or ``time.monotonic``: it moves only when a test says so.
    Starts at a plausible UNIX time (2027), which serves as a monotonic reading too."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
