"""Ctrl-C and SIGTERM end a parallel ``verify`` at once, not after every queued model.

torch is not needed: the workers' measuring is replaced by a function that only sleeps, in a
child process that runs the real pool with its real signal handling.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).parent.parent

CHILD = textwrap.dedent(
    """
    import sys, time
    from modelindex.cli import _terminate_as_interrupt
    from modelindex.verify import run

    def slow(name, reference, config, timeout_s):
        time.sleep(3)

    run._measure_one = slow
    # The workers run the real initializer, with its signal settings, and no torch.
    run._prepare = lambda: None
    pending = [(n, f"m{n}", None, None) for n in range(20)]
    print("started", flush=True)
    try:
        with _terminate_as_interrupt():
            for _ in run._measure_all(pending, jobs=2, timeout_s=60):
                pass
    except KeyboardInterrupt:
        sys.exit(130)
    """
)


def test_sigterm_ends_a_parallel_verify_without_waiting_for_the_queue() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "started"
        time.sleep(1.0)
        child.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert child.wait(timeout=15) == 130
        # 20 models of 3 s on 2 workers would take 30 s; the running ones are ended too.
        assert time.monotonic() - started < 5
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
