"""``kill -USR1 <pid>``: a running bot or worker prints where it is to its stderr, and carries on.

What an operator (or ``bench/scale.py``'s watchdog) needs when a job seems stuck:

* every thread's stack, from the standard library's ``faulthandler``: it runs in the signal
  handler itself, so it answers even while the event loop is blocked;
* every asyncio task's stack, from a handler on the loop: a job stuck on an ``await`` that
  never ends shows only there (its thread is idle in ``select``). It prints only while the
  loop still runs, which is exactly when the thread dump says nothing useful.
"""

from __future__ import annotations

import asyncio
import faulthandler
import io
import signal
import sys
from typing import TextIO

#: Frames printed per task: enough to see which await it is stuck on.
TASK_FRAMES = 12


def install_stack_dumps(loop: asyncio.AbstractEventLoop) -> None:
    """Install both handlers on SIGUSR1 (POSIX only; elsewhere nothing happens). Call it from
    inside the running loop, after any other ``add_signal_handler``."""
    if not hasattr(signal, "SIGUSR1"):
        return
    # The loop's handler first: add_signal_handler replaces the process's handler, while
    # faulthandler (chain=True) runs its dump and then calls the handler it found.
    loop.add_signal_handler(signal.SIGUSR1, print_tasks)
    faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True, chain=True)


def print_tasks(file: TextIO | None = None) -> None:
    """Every task of the running loop, with its stack, on ``file`` (stderr) in one write."""
    out = io.StringIO()
    tasks = sorted(asyncio.all_tasks(), key=lambda t: t.get_name())
    out.write(f"asyncio: {len(tasks)} task(s)\n")
    for task in tasks:
        out.write(f"--- task {task.get_name()}: {task.get_coro()!r}\n")
        task.print_stack(limit=TASK_FRAMES, file=out)
    file = file or sys.stderr
    file.write(out.getvalue())
    file.flush()
