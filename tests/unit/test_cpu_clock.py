"""A run's CPU clock counts its child processes (traffic's SUMO workers), live or finished."""

from __future__ import annotations

import subprocess
import sys
import time

from iam_repro.ppo.cpu_clock import process_tree_cpu_s

BURN = "import time\nend = time.process_time() + {s}\nwhile time.process_time() < end: pass\n{tail}"


def test_a_live_child_and_a_finished_one_are_both_counted():
    start = process_tree_cpu_s()
    # A child that burns 0.4 CPU-s, then sleeps (still alive when the clock is read).
    live = subprocess.Popen([sys.executable, "-c", BURN.format(s=0.4, tail="time.sleep(30)")])
    try:
        deadline = time.monotonic() + 20
        while process_tree_cpu_s() - start < 0.4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process_tree_cpu_s() - start >= 0.4
    finally:
        live.kill()
        live.wait()
    before = process_tree_cpu_s()
    subprocess.run([sys.executable, "-c", BURN.format(s=0.3, tail="")], check=True)
    assert process_tree_cpu_s() - before >= 0.3  # waited for: in our children's times
