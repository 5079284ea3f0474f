"""Every script in ``bench/`` runs end to end in ``--smoke`` mode, so a benchmark that breaks
fails CI instead of rotting until someone runs it by hand.

Each runs as its own process, from a temp working directory, under a small wrapper (this file
run as a script) that is the child subreaper of everything the bench starts: the bot, workers,
warm download processes and ffmpeg start their own sessions, and PostgreSQL daemonizes, so a
process group or session would miss them, but an orphan of any of them is reparented to the
wrapper. After the bench exits, whatever is still alive under the wrapper is a leak: it is
killed and the run fails. A new bench is picked up by the glob; it must accept ``--smoke``.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHES = sorted((ROOT / "bench").glob("*.py"))
#: Seconds a smoke run may take (they take 1–25 s; this only bounds a hung one).
SMOKE_TIMEOUT = 180
#: Seconds an interrupted run gets to run its cleanup (stop servers, bot, workers) before SIGKILL.
GRACE = 30
#: The wrapper's exit code when the bench exited 0 but left processes running.
LEAKED = 86
PR_SET_CHILD_SUBREAPER = 36


def _alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    found = []
    for p in procs:
        try:
            if p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
        except psutil.Error:
            continue
    return found


def _describe(proc: psutil.Process) -> str:
    try:
        return f"{proc.pid}: {' '.join(proc.cmdline()[:5])}"
    except psutil.Error:
        return f"{proc.pid}: (gone)"


def _kill_tree(root: psutil.Process, *, include_root: bool) -> None:
    try:
        procs = root.children(recursive=True)
    except psutil.Error:
        procs = []
    for p in [*procs, *([root] if include_root else [])]:
        try:
            p.kill()
        except psutil.Error:
            continue


def _reap() -> None:
    """Collect the exit status of orphans that were reparented here and have died."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def run_as_subreaper(argv: list[str]) -> int:
    """Run ``argv`` with this process as the subreaper of all its descendants, forwarding
    SIGINT/SIGTERM; then report and kill any descendant still alive (a leak)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    child = subprocess.Popen(argv)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, _frame: child.send_signal(signum))
    code = child.wait()
    me = psutil.Process()
    deadline = time.monotonic() + 10  # processes a clean exit just signalled may lag a bit
    while (left := _alive(me.children(recursive=True))) and time.monotonic() < deadline:
        _reap()
        time.sleep(0.2)
    if left:
        print("left running after the bench exited:", file=sys.stderr)
        for p in left:
            print(f"  {_describe(p)}", file=sys.stderr)
        _kill_tree(me, include_root=False)
        time.sleep(0.5)
        _reap()
        return code or LEAKED
    return code


def _tail(output: str, lines: int = 60) -> str:
    return "\n".join(output.splitlines()[-lines:])


@pytest.mark.slow
@pytest.mark.timeout(SMOKE_TIMEOUT + 2 * GRACE + 30)
@pytest.mark.parametrize("bench", BENCHES, ids=lambda p: p.name)
def test_bench_smoke(bench: Path, tmp_path: Path) -> None:
    """``python bench/<name>.py --smoke`` exits 0 and leaves no process behind."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-P", __file__, sys.executable, str(bench), "--smoke"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = proc.communicate(timeout=SMOKE_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)  # forwarded: KeyboardInterrupt runs its cleanup
        try:
            output, _ = proc.communicate(timeout=GRACE)
        except subprocess.TimeoutExpired:
            _kill_tree(psutil.Process(proc.pid), include_root=True)
            output, _ = proc.communicate(timeout=GRACE)
        pytest.fail(f"{bench.name} --smoke did not finish in {SMOKE_TIMEOUT} s:\n{_tail(output)}")
    took = time.monotonic() - started
    print(f"{bench.name} --smoke: {took:.1f} s")
    assert proc.returncode == 0, (
        f"{bench.name} --smoke exited {proc.returncode} after {took:.1f} s "
        f"({LEAKED}: it left processes running):\n{_tail(output)}"
    )


if __name__ == "__main__":
    sys.exit(run_as_subreaper(sys.argv[1:]))
