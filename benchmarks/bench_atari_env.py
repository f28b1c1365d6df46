"""Throughput of the Atari environment's two backends (transitions per second).

Run: ``.venv/bin/python benchmarks/bench_atari_env.py [--steps 2000] [--envs 8] [--game breakout]``.

Uniform random actions drawn up front, flicker on, one C++ thread (``num_threads=1``: one
training job = one core); resets and the NOOP/FIRE steps after lost lives are included. Both
backends are bound by the emulator (4 frames per transition): the C++ one gains little on one
core, since the life/FIRE logic needs one C++ instance per env (see iam_repro.envs.atari).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from iam_repro.envs.atari import AtariVecEnv


def transitions_per_second(backend: str, envs: int, steps: int, game: str, threads: int) -> float:
    env = AtariVecEnv(envs, 0, game=game, backend=backend, num_threads=threads)
    actions = np.random.default_rng(0).integers(0, env.single_action_space.n, (steps, envs))
    env.reset()
    start = time.perf_counter()
    for a in actions:
        env.step(a)
    elapsed = time.perf_counter() - start
    env.close()
    return steps * envs / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="vectorised steps per backend")
    parser.add_argument("--envs", type=int, default=8)
    parser.add_argument("--game", default="breakout")
    parser.add_argument("--threads", type=int, default=1, help="vector backend: envs at once")
    args = parser.parse_args()
    for backend in ("vector", "wrappers"):
        rate = transitions_per_second(backend, args.envs, args.steps, args.game, args.threads)
        print(
            f"{backend:9s} {args.game}, {args.envs} envs, {args.steps} steps: "
            f"{rate:8.0f} transitions/s ({rate * 4:8.0f} frames/s)"
        )


if __name__ == "__main__":
    main()
