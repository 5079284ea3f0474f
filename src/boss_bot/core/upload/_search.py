"""The batch planner's exact searches (steps 3 and 4 of :mod:`boss_bot.core.upload.planner`).

Two depth-first branch and bounds on file indices: the fewest messages
(:func:`pack_decreasing`) and, with that count fixed, the fewest separated neighbours
(:func:`min_breaks`); both under a work :class:`Budget`. Kept apart from the planner so that
the public entry point and its cheap plans read on their own; nothing here is public API.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from contextlib import suppress
from itertools import pairwise


class BudgetExhaustedError(Exception):
    """The search used up its node budget (heuristic mode only)."""


class Budget:
    """Work left for a search; ``None`` means unlimited.

    Work is counted as search nodes times the messages each node looks at (one node's cost), so
    that a budget means about the same time whatever the number of messages; and it is counted
    rather than timed, so that a plan never depends on how busy the machine is.
    """

    def __init__(self, work: int | None) -> None:
        self.remaining = work

    def spend(self, work: int) -> None:
        if self.remaining is not None:
            self.remaining -= work
            if self.remaining < 0:
                raise BudgetExhaustedError


def pack_decreasing(
    sizes: list[int], k: int, cap: int, m: int, budget: Budget
) -> list[list[int]] | None:
    """A plan with at most m messages, or None if there is none (step 3).

    Branch and bound over the files in decreasing size, the classic order for bin packing: big
    files fail early. Cuts: identical message states are tried once; a state already proven
    dead is skipped; and a branch stops when the remaining files cannot fit. That last test
    counts, per message, the most files it could still take (its free slots, and how many of
    the smallest remaining files fit its free bytes) and the most bytes (its free bytes, and the
    sum of the largest remaining files that fit its free slots), so it catches both kinds of
    shortage, and the mix of the two, well before the leaves.
    """
    n = len(sizes)
    order = sorted(range(n), key=lambda i: (-sizes[i], i))
    s = [sizes[i] for i in order]
    prefix = [0]  # prefix[j] = bytes of the j largest files
    for size in s:
        prefix.append(prefix[-1] + size)
    smallest_prefix = [0]  # bytes of the t smallest files; they are always still to place
    for size in reversed(s):
        smallest_prefix.append(smallest_prefix[-1] + size)
    loads = [0] * m
    counts = [0] * m
    where = [0] * n
    states: list[tuple[int, int]] = []  # sorted (load, count) of open messages: the memo key
    dead: set[tuple[int, tuple[tuple[int, int], ...]]] = set()

    def room(j: int, free_bytes: int, free_slots: int) -> tuple[int, int]:
        """Most files, most bytes a message with this much room can take from s[j:]."""
        files = min(free_slots, n - j, bisect_right(smallest_prefix, free_bytes) - 1)
        return files, min(free_bytes, prefix[min(n, j + free_slots)] - prefix[j])

    def fits_rest(j: int, used: int) -> bool:
        files, total = room(j, cap, k)
        files, total = files * (m - used), total * (m - used)
        for b in range(used):
            if counts[b] < k:
                more_files, more_bytes = room(j, cap - loads[b], k - counts[b])
                files += more_files
                total += more_bytes
        return files >= n - j and total >= prefix[n] - prefix[j]

    def move(b: int, size: int, step: int) -> None:
        """Add (step=1) or remove (step=-1) a file of ``size`` to message b, keeping ``states``."""
        if counts[b]:
            states.remove((loads[b], counts[b]))
        loads[b] += step * size
        counts[b] += step
        if counts[b]:
            insort(states, (loads[b], counts[b]))

    def place(j: int, used: int) -> bool:
        if j == n:
            return True
        budget.spend(used + 1)
        key = (j, tuple(states))
        if key in dead or not fits_rest(j, used):
            return False
        size = s[j]
        tried: set[tuple[int, int]] = set()
        for b in range(used + (used < m)):  # the open messages, then one new one
            state = (loads[b], counts[b])
            if state in tried or counts[b] >= k or loads[b] + size > cap:
                continue
            tried.add(state)
            move(b, size, 1)
            where[j] = b
            if place(j + 1, max(used, b + 1)):
                return True
            move(b, size, -1)
        dead.add(key)
        return False

    if not place(0, 0):
        return None
    groups: dict[int, list[int]] = {}
    for j, b in enumerate(where):
        groups.setdefault(b, []).append(order[j])
    return list(groups.values())


def min_breaks(
    sizes: list[int], k: int, cap: int, m: int, seed: list[int], budget: Budget
) -> list[int]:
    """The m-message plan separating the fewest neighbours, found from ``seed`` (step 4).

    Branch and bound over the files in post order. Each file tries, in turn: its predecessor's
    message (no break), a new message, then the other messages, most recently used first. Cuts:
    every message still to open costs one more break; the remaining files must fit the free
    bytes and slots; and a state (the open messages' loads and counts, the predecessor's
    message) reached before with no more breaks is dominated, since its futures are the same.
    Returns the best assignment found (``seed`` if none beats it before the budget runs out).
    """
    n = len(sizes)
    suffix = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        suffix[i] = suffix[i + 1] + sizes[i]
    smallest = min(sizes)
    loads = [0] * m
    counts = [0] * m
    recent: list[int] = []  # open messages, most recently used first
    states: list[tuple[int, int]] = []  # sorted (load, count) of open messages
    where = [0] * n
    best = list(seed)
    best_breaks = count_breaks(seed)
    seen: dict[tuple[int, tuple[tuple[int, int], ...], tuple[int, int]], int] = {}
    # Free bytes and slots in open messages that can still take a file (kept incrementally).
    usable = [0, 0]

    def account(b: int, sign: int) -> None:
        """Take message b out of (sign=-1) or back into (sign=1) ``states`` and ``usable``."""
        if not counts[b]:
            return
        state = (loads[b], counts[b])
        if sign < 0:
            states.remove(state)
        else:
            insort(states, state)
        if counts[b] < k and cap - loads[b] >= smallest:
            usable[0] += sign * (cap - loads[b])
            usable[1] += sign * (k - counts[b])

    def search(i: int, used: int, breaks: int) -> None:
        nonlocal best, best_breaks
        budget.spend(used + 1)
        if breaks + (m - used) >= best_breaks:
            return
        if i == n:
            if used == m:  # fewer would beat m itself: impossible when m is proven minimal
                best, best_breaks = list(where), breaks
            return
        if (
            m - used > n - i  # every one of the m messages must get a file
            or suffix[i] > usable[0] + (m - used) * cap
            or n - i > usable[1] + (m - used) * k
        ):
            return
        prev = where[i - 1] if i else -1
        key = (i, tuple(states), (loads[prev], counts[prev]) if i else (-1, -1))
        if seen.get(key, n + 1) <= breaks:
            return
        seen[key] = breaks
        size = sizes[i]
        candidates = [prev] if i else []
        if used < m:
            candidates.append(used)
        tried: set[tuple[int, int]] = set()
        for b in recent:
            if b != prev and (loads[b], counts[b]) not in tried:
                tried.add((loads[b], counts[b]))
                candidates.append(b)
        for b in candidates:
            if counts[b] >= k or loads[b] + size > cap:
                continue
            account(b, -1)
            loads[b] += size
            counts[b] += 1
            account(b, 1)
            where[i] = b
            position = recent.index(b) if b < used else None
            if position is not None:
                del recent[position]
            recent.insert(0, b)
            search(i + 1, max(used, b + 1), breaks + (1 if i and b != prev else 0))
            del recent[0]
            if position is not None:
                recent.insert(position, b)
            account(b, -1)
            loads[b] -= size
            counts[b] -= 1
            account(b, 1)

    # Out of budget: keep the best found so far; the message count is unaffected.
    with suppress(BudgetExhaustedError):
        search(0, 0, 0)
    return best


# --- Plans as assignments ---------------------------------------------------------------------


def assignment_of(groups: list[list[int]], n: int) -> list[int]:
    """Group number of each file."""
    where = [0] * n
    for b, group in enumerate(groups):
        for i in group:
            where[i] = b
    return where


def groups_of(where: list[int]) -> list[list[int]]:
    """Canonical order: messages by their first file, files in post order."""
    groups: dict[int, list[int]] = {}
    for i, b in enumerate(where):
        groups.setdefault(b, []).append(i)
    return list(groups.values())


def count_breaks(where: list[int]) -> int:
    """Neighbouring files put in different messages."""
    return sum(1 for a, b in pairwise(where) if a != b)
