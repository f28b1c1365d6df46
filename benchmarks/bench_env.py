"""Throughput of the batched warehouse environment alone (no policy, no learning).

Run: ``.venv/bin/python benchmarks/bench_env.py``. The environment runs single-threaded (no BLAS
above 64 environments), so the numbers are per core. Each figure is the best of a few repeats; on a
shared machine, the process-CPU-time column is the better estimate of the unloaded speed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from iam_repro.envs import WarehouseVecEnv


def measure_env_throughput(
    num_envs: int,
    steps: int,
    repeats: int = 3,
    seed: int = 0,
    timer: Callable[[], float] = time.perf_counter,
) -> float:
    """Environment transitions per second of ``WarehouseVecEnv`` in normal mode.

    Args:
        num_envs: Batch size N.
        steps: Steps per timed repeat (each step is N transitions; autoresets included).
        repeats: Timed repeats; the fastest counts, as the least disturbed by other load.
        seed: Seed of the environment and of the random actions.
        timer: Clock: wall time by default; ``time.process_time`` counts only this process's CPU
            time, which other load on the machine does not inflate.

    Returns:
        Transitions per second, ``num_envs * steps / seconds`` of the fastest repeat.
    """
    env = WarehouseVecEnv(num_envs, seed=seed)
    env.reset()
    # Actions drawn up front: only the environment is timed.
    actions = np.random.default_rng(seed).integers(0, 4, size=(steps, num_envs))
    for a in actions[: min(steps, 20)]:  # warm-up
        env.step(a)
    best = float("inf")
    for _ in range(repeats):
        start = timer()
        for a in actions:
            env.step(a)
        best = min(best, timer() - start)
    return num_envs * steps / best


def main() -> None:
    """Print per-step latency and throughput for N in (8, 64, 4096), by wall and CPU time."""
    print(f"{'N':>6} {'us/step':>9} {'transitions/s':>15} {'CPU us/step':>12} {'CPU trans/s':>15}")
    for num_envs, steps in ((8, 20_000), (64, 10_000), (4096, 300)):
        wall = measure_env_throughput(num_envs, steps)
        cpu = measure_env_throughput(num_envs, steps, timer=time.process_time)
        print(
            f"{num_envs:>6} {num_envs / wall * 1e6:>9.1f} {wall:>15,.0f}"
            f" {num_envs / cpu * 1e6:>12.1f} {cpu:>15,.0f}"
        )


if __name__ == "__main__":
    main()
