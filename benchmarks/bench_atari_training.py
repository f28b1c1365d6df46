"""Flickering Breakout training on the CPU, setting by setting: transitions/s and where the
time goes, side by side.

    .venv/bin/python benchmarks/bench_atari_training.py [--steps 1024] [--models FNN4 IAM]
        [--settings fp32 bf16 fp32-t2 bf16-t2] [--repeats 1]

Each setting trains the paper preset's run (seed 0) for ``--steps`` per-worker steps through
the pipeline's `train()`, on one torch thread:

- ``fp32``: the original's precision, games on the wrappers backend (the exact-resume one);
- ``bf16``: `precision: bf16` (convolutions in bfloat16, channels-last);
- ``-tN``: games on ale-py's vector backend stepped on N threads (`threads: N`);
- ``-vec``: the vector backend on one thread (what ``-tN`` gains over it is the threads').

Columns: transitions/s; the rollout's and the update's seconds per 1,000 transitions (the
update's is the cost of learning from them); each over the first setting's. With
``--repeats N`` the median run of N. The first 2 updates are in the times too (a short warm-up);
use the same ``--steps`` when comparing.
"""

from __future__ import annotations

import argparse

import torch
from paper_runs import paper_runs, train_quietly, with_steps

from iam_repro.ppo.device import native_bf16

SETTINGS = ("fp32", "bf16", "fp32-vec", "fp32-t2", "bf16-t2")


def setting(name: str) -> tuple[str, str, int]:
    """(precision, backend, env threads) of a setting name such as ``bf16-t2``."""
    precision, _, games = name.partition("-")
    if (
        precision not in ("fp32", "bf16")
        or games not in ("", "vec")
        and not (games.startswith("t") and games[1:].isdigit())
    ):
        raise argparse.ArgumentTypeError(f"unknown setting {name!r}, e.g. fp32, bf16-vec, bf16-t2")
    if games == "":
        return precision, "wrappers", 1
    return precision, "vector", 1 if games == "vec" else int(games[1:])


def measure(resolved: dict, repeats: int, env_threads: int) -> tuple[float, float, float]:
    """Median (transitions/s, rollout s per 1k transitions, update s per 1k) of `repeats` runs."""
    runs = []
    for _ in range(repeats):
        m = train_quietly(resolved, env_threads=env_threads)
        per_k = 1000 / m["transitions"]
        runs.append((m["transitions_per_s"], m["rollout_s"] * per_k, m["update_s"] * per_k))
    return sorted(runs)[len(runs) // 2]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1024, help="per-worker steps per run")
    parser.add_argument("--models", nargs="*", default=["FNN4", "IAM"])
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS), help="first: the base")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        settings = {name: setting(name) for name in args.settings}
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    torch.set_num_threads(1)
    print(
        f"flickering Breakout, torch {torch.__version__}, 1 torch thread, {args.steps:,} steps "
        f"per worker, native bf16: {native_bf16(torch.device('cpu'))}"
    )
    print(
        f"{'model':<11}{'setting':>10}{'transitions/s':>15}{'rollout s/1k':>14}"
        f"{'update s/1k':>13}{'x speed':>9}{'rollout x':>11}{'update x':>10}"
    )
    for run in paper_runs("breakout_flicker", args.models):
        base = None
        for name, (precision, backend, threads) in settings.items():
            resolved = with_steps(run, args.steps)
            resolved["device"] = "cpu"
            resolved["env"]["options"] = {**resolved["env"]["options"], "backend": backend}
            if precision != "fp32":
                resolved["precision"] = precision
            sps, rollout, update = measure(resolved, args.repeats, threads)
            base = base or (sps, rollout, update)
            print(
                f"{run.model:<11}{name:>10}{sps:>15,.0f}{rollout:>14.2f}{update:>13.2f}"
                f"{sps / base[0]:>9.2f}{rollout / base[1]:>11.2f}{update / base[2]:>10.2f}"
            )


if __name__ == "__main__":
    main()
