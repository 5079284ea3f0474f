"""The claim's O(n) pick agrees with the full fair-order simulation (which positions use)."""

from __future__ import annotations

import random

from boss_bot.core.store.fairness import Candidate, fair_order, next_job


def test_next_job_is_the_head_of_the_fair_order() -> None:
    rng = random.Random(5)
    for trial in range(300):
        users = rng.randint(1, 6)
        queued = [
            Candidate(
                f"{trial}-{i}",
                rng.randrange(users),
                rng.choice((0, 0, 0, 1, 5)),
                float(rng.randrange(50)),
            )
            for i in range(rng.randint(0, 25))
        ]
        served = {u: float(rng.randrange(60)) for u in range(users) if rng.random() < 0.5}
        order = fair_order(queued, served)
        assert next_job(queued, served) == (order[0] if order else None), (queued, served)


def test_three_users_five_jobs_each_round_robin() -> None:
    queued = [Candidate(f"{u}-{n}", u, 0, float(10 * u + n)) for u in (1, 2, 3) for n in range(5)]
    assert [c.id for c in fair_order(queued, {})] == [
        f"{u}-{n}" for n in range(5) for u in (1, 2, 3)
    ]
