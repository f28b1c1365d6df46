"""CPU seconds a training run spends, its child processes included (traffic's SUMO workers).

Wall time says little on a shared machine; CPU time is what a run costs. Each training segment
(the start, each resume) records its own, so a resumed run's total is the sum over segments.
"""

from __future__ import annotations

import psutil


def process_tree_cpu_s() -> float:
    """User + system CPU seconds of this process, its live descendants and the children it has
    already waited for."""
    me = psutil.Process()
    own = me.cpu_times()
    total = own.user + own.system + own.children_user + own.children_system
    for child in me.children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:  # it ended between listing and asking
            continue
        total += times.user + times.system
    return total
