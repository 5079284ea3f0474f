"""The batch planner: pack a post's files into the fewest Discord messages, in the post's order.

A pure function (no I/O, no Discord): the caller passes the files, already compressed to fit the
per-file limit, with their sizes, plus the message limits; it gets back the messages to send.

What a plan guarantees
----------------------
* Every file is in exactly one message; no message has more than ``max_files_per_message`` files
  or, when ``max_bytes_per_message`` is set, more than that many bytes.
* **Order.** Files within a message keep their post order, and messages are listed (to be sent)
  in the order of their first file. So when the messages are consecutive runs of the post, the
  post is reproduced exactly.
* **Fewest messages.** Always, when there is no byte cap (then the plan is simply consecutive
  runs of ``max_files_per_message``, e.g. 14 files -> 10 + 4). With a byte cap this is bin
  packing with a cardinality limit, which is NP-hard; see below for when the count is proven
  optimal and when it is a heuristic.
* **Tie-break.** Among plans with the fewest messages, the planner prefers the one that separates
  the fewest *neighbouring* pairs of files (file i and file i+1 in different messages). A plan
  of m consecutive runs separates m - 1 pairs, the least possible, so a consecutive plan is always
  chosen when one is optimal. Remaining ties go to the plan that keeps each file with its
  predecessor, else opens a new message, else joins the most recently used message.

Algorithm
---------
1. No byte cap (or all files fit under it): consecutive chunks. O(n).
2. Byte cap: greedy next-fit in post order (start a new message only when the next file does not
   fit). It is optimal among plans of consecutive runs (any part of a valid run is a valid run,
   so the greedy's i-th message always ends at least as far as any other plan's). If it meets
   the lower bound, max(ceil(n / max files), Martello-Toth L2 on the bytes), it is optimal
   outright and we are done in O(n log n). This is the common case.
3. Otherwise (a tight cap and sizes that do not line up) search for the fewest messages m, from
   the lower bound up, with a depth-first branch and bound over the files in decreasing size
   (identical message states tried once, dead states memoised, branches cut as soon as the
   remaining files cannot fit the bytes and slots left).

   * n <= :data:`EXACT_MAX_FILES`: the search runs to completion, so the count is **exact**.
     Worst case exponential; measured on random tight inputs of 12 files: median 0.5 ms,
     p99 about 13 ms.
   * larger n: a **heuristic**. The search gets :data:`SEARCH_WORK_BUDGET` and the plan is the
     best of next-fit, first-fit decreasing (FFD) and what the search found. Guarantee: never
     more messages than the best consecutive plan or FFD, and optimal whenever that meets the
     lower bound (often; just not always provable).

4. With m fixed, a second branch and bound over the files in post order minimises separated
   neighbours (the tie-break above), seeded with step 3's plan, memoising dominated states. It
   gets :data:`ORDER_WORK_BUDGET`: the tie-break is exact when it finishes (it needed under a
   third of the budget on 40,000 random inputs of up to 8 files) and best effort otherwise. It
   never changes the number of messages.

Steps 1 and 2 and the bounds are here; the searches of steps 3 and 4 are in
:mod:`boss_bot.core.upload._search`.

Cost: O(n log n) plus the bounded work of steps 3-4 in heuristic mode. Measured for 100 files:
microseconds when step 2 settles it; otherwise median 2.5-3 ms, worst about 5 ms (random tight
inputs, and realistic ones: 0.2-9 MiB files under a 25 MiB cap).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike, fspath
from pathlib import Path
from typing import Protocol, TypeAlias, TypeVar

from boss_bot.core.errors import FileOverUploadLimitError
from boss_bot.core.upload._search import (
    Budget,
    BudgetExhaustedError,
    assignment_of,
    count_breaks,
    groups_of,
    min_breaks,
    pack_decreasing,
)
from boss_bot.core.upload.limits import MAX_ATTACHMENTS_PER_MESSAGE

EXACT_MAX_FILES = 12
"""Up to this many files (with a tight byte cap) the message count is proven optimal."""

SEARCH_WORK_BUDGET = 1_500
"""Work for the message-count search above :data:`EXACT_MAX_FILES` (a few ms; _search.Budget)."""

ORDER_WORK_BUDGET = 3_000
"""Work for the order tie-break (a few ms); only its quality, never the count, depends on it."""

_MAX_SEARCH_DEPTH = 400
"""The searches recurse once per file; beyond this many files only steps 1, 2 and FFD run."""


class SizedFile(Protocol):
    """Anything the planner can pack: a path (to name it in errors) and a size in bytes."""

    @property
    def path(self) -> str | PathLike[str]: ...

    @property
    def size_bytes(self) -> int: ...


@dataclass(frozen=True, slots=True)
class PlannedFile:
    """A file to upload. Callers may pass their own richer objects instead (see SizedFile)."""

    path: Path | str
    size_bytes: int


F = TypeVar("F", bound=SizedFile)
Batch: TypeAlias = tuple[F, ...]
"""One message: its files, in send (= post) order."""


def plan_batches(
    files: Sequence[F],
    *,
    max_files_per_message: int = MAX_ATTACHMENTS_PER_MESSAGE,
    max_bytes_per_message: int | None = None,
    max_bytes_per_file: int,
) -> list[Batch[F]]:
    """Pack ``files`` (in post order) into the fewest messages; see the module docstring.

    Raises :class:`FileOverUploadLimitError` for a file over ``max_bytes_per_file`` or over
    ``max_bytes_per_message`` (it fits no message), and ValueError for nonsensical limits or a
    negative size.
    """
    if max_files_per_message < 1:
        raise ValueError(f"max_files_per_message must be >= 1, got {max_files_per_message}")
    if max_bytes_per_file < 0:
        raise ValueError(f"max_bytes_per_file must be >= 0, got {max_bytes_per_file}")
    if max_bytes_per_message is not None and max_bytes_per_message < 0:
        raise ValueError(f"max_bytes_per_message must be >= 0, got {max_bytes_per_message}")
    sizes = [f.size_bytes for f in files]
    for f, size in zip(files, sizes, strict=True):
        if size < 0:
            raise ValueError(f"{fspath(f.path)}: negative size {size}")
        if size > max_bytes_per_file:
            raise FileOverUploadLimitError(f.path, size, max_bytes_per_file)
        if max_bytes_per_message is not None and size > max_bytes_per_message:
            raise FileOverUploadLimitError(f.path, size, max_bytes_per_message)
    groups = _plan_indices(sizes, max_files_per_message, max_bytes_per_message)
    return [tuple(files[i] for i in group) for group in groups]


# --- The plan, on indices ----------------------------------------------------------------------


def _plan_indices(sizes: list[int], k: int, cap: int | None) -> list[list[int]]:
    """Steps 1-4 of the module docstring; returns groups of indices in canonical order."""
    n = len(sizes)
    if cap is None or sum(sizes) <= cap:
        return [list(range(start, min(start + k, n))) for start in range(0, n, k)]

    contiguous = _next_fit(sizes, k, cap)
    lower = _lower_bound(sizes, k, cap)  # cap >= 1 here: the sum exceeds it
    if len(contiguous) <= lower:
        return contiguous  # provably optimal, and consecutive
    ffd = _first_fit_decreasing(sizes, k, cap)
    best: list[list[int]] = ffd if len(ffd) < len(contiguous) else contiguous
    if n > _MAX_SEARCH_DEPTH:
        return best if best is contiguous else groups_of(assignment_of(best, n))

    exact = n <= EXACT_MAX_FILES
    budget = Budget(None if exact else SEARCH_WORK_BUDGET)
    for m in range(lower, len(best)):
        try:
            found = pack_decreasing(sizes, k, cap, m, budget)
        except BudgetExhaustedError:
            break  # heuristic mode: keep the best plan so far
        if found is not None:
            best = found
            break
    if best is contiguous:
        return contiguous  # the consecutive plan is optimal (or the best found): nothing to reorder

    assign = assignment_of(best, n)
    m = len(best)
    # No consecutive plan has m messages (next-fit is the consecutive optimum and needs more),
    # so m separated neighbours is the least possible: only search when the seed has more.
    if count_breaks(assign) > m:
        assign = min_breaks(sizes, k, cap, m, assign, Budget(ORDER_WORK_BUDGET))
    return groups_of(assign)


def _next_fit(sizes: list[int], k: int, cap: int) -> list[list[int]]:
    """Consecutive runs, each as long as the limits allow: optimal among consecutive plans."""
    groups: list[list[int]] = []
    current: list[int] = []
    load = 0
    for i, size in enumerate(sizes):
        if current and (len(current) == k or load + size > cap):
            groups.append(current)
            current, load = [], 0
        current.append(i)
        load += size
    if current:
        groups.append(current)
    return groups


def _lower_bound(sizes: list[int], k: int, cap: int) -> int:
    """max(ceil(n / k), Martello-Toth L2); L2 subsumes ceil(total / cap). O(n log n).

    L2: for a threshold a <= cap/2, files over cap - a each need their own message, files over
    cap/2 each need distinct messages, and files in [a, cap/2] can only use what those leave free.
    """
    n = len(sizes)
    asc = sorted(sizes)
    prefix = [0]
    for size in asc:
        prefix.append(prefix[-1] + size)
    big_from = bisect_right(asc, cap // 2)  # asc[big_from:] are over cap / 2
    best = 0
    for a in {0, *asc[:big_from]}:
        huge_from = bisect_right(asc, cap - a)  # over cap - a: nothing else of size >= a fits
        n_mid = huge_from - big_from
        free_mid = n_mid * cap - (prefix[huge_from] - prefix[big_from])
        small = prefix[big_from] - prefix[bisect_left(asc, a)]
        extra = max(0, -(-(small - free_mid) // cap))
        best = max(best, (n - huge_from) + n_mid + extra)
    return max(-(-n // k), best)


def _first_fit_decreasing(sizes: list[int], k: int, cap: int) -> list[list[int]]:
    """Classic FFD, respecting the file count too. O(n log n + n * m)."""
    groups: list[list[int]] = []
    loads: list[int] = []
    for i in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        for b, load in enumerate(loads):
            if len(groups[b]) < k and load + sizes[i] <= cap:
                groups[b].append(i)
                loads[b] += sizes[i]
                break
        else:
            groups.append([i])
            loads.append(sizes[i])
    return groups


__all__ = [
    "EXACT_MAX_FILES",
    "Batch",
    "FileOverUploadLimitError",
    "PlannedFile",
    "SizedFile",
    "plan_batches",
]
