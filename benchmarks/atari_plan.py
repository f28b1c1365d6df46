"""The paper-scale Atari plan's arithmetic, from measured rates (docs/atari_plan.md quotes it).

    .venv/bin/python benchmarks/atari_plan.py --emulation 1841 \\
        --cpu FNN4=459 LSTM=237 IAM=366 IAM_static=309 [--cores 16] [--gpu-rate 4000]

Inputs, all measured elsewhere: ``--emulation``, one thread's Breakout transitions/s on the
vector backend (bench_atari_env.py); ``--cpu``, each model's training transitions/s on one core
(bench_atari_training.py); ``--gpu-rate``, the transitions/s one run is to reach on a GPU (the
target; bench_training.py --device cuda measures the real one). The paper preset is every Atari
experiment file's `paper` preset: 6 experiments x 4 models x 5 seeds = 120 runs of 1e7 steps per
worker x 8 workers = 8e7 transitions each; Breakout's rates stand for every game.
"""

from __future__ import annotations

import argparse
import math

TRANSITIONS_PER_RUN = 10_000_000 * 8
EXPERIMENTS, SEEDS = 6, 5


def rates(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        model, _, value = item.partition("=")
        out[model] = float(value)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emulation", type=float, required=True, help="one thread's tr/s")
    parser.add_argument("--cpu", nargs="+", required=True, metavar="MODEL=TR/S")
    parser.add_argument("--cores", type=int, default=16)
    parser.add_argument("--gpu-rate", type=float, default=4000.0)
    parser.add_argument("--day-models", nargs="*", default=["FNN4", "LSTM", "IAM"])
    parser.add_argument("--day-seeds", type=int, default=5)
    args = parser.parse_args(argv)
    cpu = rates(args.cpu)
    runs = EXPERIMENTS * len(cpu) * SEEDS
    hours = {m: TRANSITIONS_PER_RUN / r / 3600 for m, r in cpu.items()}

    print(f"paper preset: {runs} runs of {TRANSITIONS_PER_RUN:.0e} transitions")
    print("\nCPU only, one core per run:")
    for model, h in hours.items():
        print(f"  {model:<11} {cpu[model]:>6,.0f} transitions/s  {h:>6.0f} h per run")
    core_hours = EXPERIMENTS * SEEDS * sum(hours.values())
    print(
        f"  all {runs} runs: {core_hours:,.0f} core-hours; on {args.cores} cores "
        f"{core_hours / args.cores / 24:,.1f} days"
    )

    threads = args.gpu_rate / args.emulation
    per_run_cores = math.ceil(threads) + 1  # emulation threads + the run's own loop
    at_once = args.cores // per_run_cores
    gpu_h = TRANSITIONS_PER_RUN / args.gpu_rate / 3600
    print(f"\nOne GPU and {args.cores} cores, each run at {args.gpu_rate:,.0f} transitions/s:")
    print(
        f"  emulation needs {threads:.1f} threads' worth per run, its loop and policy calls "
        f"about one core more: `threads: {per_run_cores}`, {at_once} runs at once"
    )
    print(
        f"  {gpu_h:.1f} h per run; all {runs} runs {math.ceil(runs / at_once)} waves: "
        f"{math.ceil(runs / at_once) * gpu_h / 24:.1f} days, if the GPU updates "
        f"{at_once * args.gpu_rate:,.0f} transitions/s for {at_once} runs at once"
    )
    print(
        "  a Slurm GPU partition of N such nodes: that divided by N (the DAG submits every "
        "run at once)"
    )

    day_models = [m for m in args.day_models if m in cpu]
    if not day_models:
        return
    day_runs = len(day_models) * args.day_seeds
    slowest = min(cpu[m] for m in day_models)
    steps = int(slowest * 24 * 3600 * 0.9 / 8 / 25_600) * 25_600
    print(
        f"\nCPU only, one day on {args.cores} cores: flickering Breakout "
        f"{'/'.join(day_models)} x {args.day_seeds} seeds = {day_runs} runs"
        f"{'' if day_runs <= args.cores else ' (more runs than cores!)'}; the slowest model "
        f"({slowest:,.0f} transitions/s) fills 90 % of a day at {steps:,} steps per worker "
        f"({steps * 8 / TRANSITIONS_PER_RUN:.0%} of the paper's budget)"
    )


if __name__ == "__main__":
    main()
