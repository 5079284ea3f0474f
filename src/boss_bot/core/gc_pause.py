"""Short garbage-collection pauses for a long-running process with an event loop.

CPython's full (generation-2) collection walks every tracked object. A bot holds a few hundred
thousand of them once it has started (discord.py's caches, SQLAlchemy's compiled statements,
the tools' modules, the settings), and a full collection then takes 50–150 ms, all of it on the
event-loop thread: ``bench/load.py`` found a 142 ms loop stall that was exactly one such
collection. Objects made during start-up live as long as the process, so after start-up they
are collected once more and then **frozen** (``gc.freeze``): moved to a generation the
collector never scans again. Later full collections walk only what was made since, and take a
few milliseconds.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)


def freeze_startup_objects() -> float:
    """Collect, then freeze every object alive now; returns the seconds it took. Call once,
    when start-up is over (the bot: on its first ready; a worker: when it is ready)."""
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    took = time.perf_counter() - started
    log.debug("froze %d start-up objects in %.0f ms", gc.get_freeze_count(), took * 1000)
    return took


__all__ = ["freeze_startup_objects"]
