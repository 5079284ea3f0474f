"""Who runs next: round-robin across users, then priority, then age. Pure, so it is testable.

Every user with queued jobs offers their *head* job (their highest-priority, then oldest, queued
job). Among the heads, the user served longest ago goes first (a user never served counts as
served at time 0); equal turns go to the higher priority, then the older job. Serving a job moves
its user to the back. One user pasting 20 links therefore gets one job per round like everyone
else, and an admin-raised priority wins within a round.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple


class Candidate(NamedTuple):
    """A queued job as the scheduler sees it (a tuple: a claim builds one per queued job)."""

    id: str
    user_id: int
    priority: int
    created_at: float


def _head_key(c: Candidate) -> tuple[int, float, str]:
    return (-c.priority, c.created_at, c.id)


def fair_order(
    queued: Iterable[Candidate], last_served: Mapping[int, float], *, now: float = 0.0
) -> list[Candidate]:
    """The order in which ``queued`` would run, given each user's last start time.

    Simulates the scheduler: pick the best head, mark its user served "now", repeat. O(n·u) for
    n jobs and u users; queues are bounded by MAX_QUEUE_SIZE, so this stays in microseconds.
    """
    per_user: dict[int, list[Candidate]] = {}
    for c in queued:
        per_user.setdefault(c.user_id, []).append(c)
    for jobs in per_user.values():
        jobs.sort(key=_head_key, reverse=True)  # pop() takes the head
    served = dict(last_served)
    order: list[Candidate] = []
    tick = (
        max(now, *served.values()) if served else now
    )  # simulated starts come after all real ones
    while per_user:
        user, jobs = min(
            per_user.items(),
            key=lambda item: (served.get(item[0], 0.0), _head_key(item[1][-1])),
        )
        order.append(jobs.pop())
        tick += 1e-6  # strictly later than anything served before
        served[user] = max(tick, served.get(user, 0.0) + 1e-6)
        if not jobs:
            del per_user[user]
    return order


def next_job(queued: Iterable[Candidate], last_served: Mapping[int, float]) -> Candidate | None:
    """The first job of :func:`fair_order`, in O(n): each user's head, then the user served
    longest ago (ties: the better head). What a claim needs, without simulating the rest."""
    heads: dict[int, Candidate] = {}
    for c in queued:
        best = heads.get(c.user_id)
        if best is None or _head_key(c) < _head_key(best):
            heads[c.user_id] = c
    if not heads:
        return None
    return min(heads.values(), key=lambda c: (last_served.get(c.user_id, 0.0), _head_key(c)))
