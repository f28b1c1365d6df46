"""Throughput of the multi-process traffic environment (no policy, no learning).

Run: ``.venv/bin/python benchmarks/bench_traffic_vec.py [--workers 8] [--episodes 2]``.

Three figures, all with random actions and counting steps *including* the resets (same-step
autoreset in the workers, a SUMO restart every 250 steps):

1. one ``TrafficSim`` stepped in this process (libsumo): the single-core rate;
2. ``TrafficVecEnv`` with N workers: transitions per second of the whole batch;
3. the IPC overhead: ``ProcessVecEnv`` on a do-nothing environment, i.e. what the wake-ups
   (pipes), the shared-memory step block and the copies out of it cost per vector step and per
   worker-step.

With more workers than cores (8 workers on a 2-core machine) the workers time-share the cores, so
the vector rate is bounded by about ``cores x`` the single-process rate, minus the IPC overhead;
the table says how close it gets.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from gymnasium import spaces

from iam_repro.envs.process_vec import ProcessVecEnv
from iam_repro.envs.traffic.sim import TrafficSim
from iam_repro.envs.traffic.vector import TrafficVecEnv

EPISODE = 250


class NullEnv:
    """Do-nothing environment with the traffic env's shapes: isolates the IPC cost."""

    def __init__(self, seed: int) -> None:
        self.t = 0
        self.obs = np.zeros(30, dtype=np.float32)

    def reset(self) -> np.ndarray:
        self.t = 0
        return self.obs

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool]:
        self.t += 1
        return self.obs, 0.0, False, self.t >= EPISODE

    def close(self) -> None:
        pass


def single_process_rate(episodes: int, seed: int = 0) -> tuple[float, float]:
    """(steps per second, CPU seconds per step) of one in-process TrafficSim, resets included."""
    actions = np.random.default_rng(seed).integers(0, 2, size=episodes * EPISODE)
    sim = TrafficSim(seed)
    try:
        sim.reset()
        start, cpu = time.perf_counter(), time.process_time()
        for a in actions:
            _, _, terminated, truncated = sim.step(int(a))
            if terminated or truncated:
                sim.reset()
        cpu = time.process_time() - cpu
        return len(actions) / (time.perf_counter() - start), cpu / len(actions)
    finally:
        sim.close()


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, from /proc (10 ms ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vector_rate(env: ProcessVecEnv, steps: int, seed: int = 0) -> tuple[float, float, float]:
    """Rates of ``env`` over ``steps`` vector steps.

    Returns:
        (transitions per second, wall seconds per vector step, CPU seconds per transition of the
        parent and all workers together).
    """
    actions = np.random.default_rng(seed).integers(0, 2, size=(steps, env.num_envs))
    env.reset()
    for a in actions[:10]:  # warm-up
        env.step(a)
    cpu = time.process_time() + sum(process_cpu_s(p) for p in env.worker_pids)
    start = time.perf_counter()
    for a in actions:
        env.step(a)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() + sum(process_cpu_s(p) for p in env.worker_pids) - cpu
    transitions = env.num_envs * steps
    return transitions / elapsed, elapsed / steps, cpu / transitions


def main() -> None:
    """Print the single-process, vector and IPC-only figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--episodes", type=int, default=2, help="episodes per worker (250 steps)")
    args = parser.parse_args()
    n, steps = args.workers, args.episodes * EPISODE
    cores = len(os.sched_getaffinity(0))

    single, single_cpu = single_process_rate(args.episodes)
    with TrafficVecEnv(n, seed=0) as env:
        vec, vec_step_s, vec_cpu = vector_rate(env, steps)
    null_factory = f"{Path(__file__).stem}:NullEnv"
    obs_space = spaces.Box(0.0, 6.0, (30,), dtype=np.float32)
    null_kwargs = [{"seed": w} for w in range(n)]
    with ProcessVecEnv(null_factory, null_kwargs, obs_space, spaces.Discrete(2)) as env:
        null_rate, null_step_s, null_cpu = vector_rate(env, steps)
    with ProcessVecEnv(null_factory, null_kwargs[:1], obs_space, spaces.Discrete(2)) as env:
        _, round_trip_s, _ = vector_rate(env, steps)

    print(f"cores available: {cores}; workers: {n}; {steps} steps per worker (resets included)")
    rows = [
        ("single TrafficSim, in-process (libsumo)", single, 1e6 / single, single_cpu),
        (f"TrafficVecEnv, {n} workers", vec, vec_step_s * 1e6, vec_cpu),
        (f"ProcessVecEnv on a null env, {n} workers", null_rate, null_step_s * 1e6, null_cpu),
        ("ProcessVecEnv on a null env, 1 worker", 1 / round_trip_s, round_trip_s * 1e6, None),
    ]
    print(f"{'':42} {'transitions/s':>14} {'us/vec step':>12} {'CPU us/transition':>18}")
    for name, rate, step_us, cpu_s in rows:
        cpu_text = f"{cpu_s * 1e6:>18.1f}" if cpu_s is not None else f"{'':>18}"
        print(f"{name:42} {rate:>14,.0f} {step_us:>12.1f} {cpu_text}")
    print(f"ideal vector rate, min(workers, cores) x single: {min(n, cores) * single:,.0f}/s")
    print(f"speed-up over one process: {vec / single:.2f}x (wall)")
    print(
        f"IPC overhead: {null_step_s * 1e6:.0f} us wall per {n}-worker vector step, "
        f"{null_cpu * 1e6:.1f} CPU us per worker-step (parent + worker); "
        f"one round trip {round_trip_s * 1e6:.0f} us"
    )


if __name__ == "__main__":
    main()
