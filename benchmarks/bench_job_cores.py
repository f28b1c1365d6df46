"""How many cores one training job uses, and how fast it runs on 1, 2, ... of them.

    .venv/bin/python benchmarks/bench_job_cores.py [--experiment traffic] [--model FNN1]
        [--steps 2048] [--cores 1 2] [--threads 1] [--set KEY=VALUE ...]

Each row trains the paper preset's run (seed 0) for ``--steps`` per-worker steps in a fresh
process pinned to the first N cores of this machine (its children, e.g. traffic's SUMO workers,
inherit the pinning). ``--threads`` is the run's `threads` (Atari's vector backend steps its
games on them); ``--set env.backend=vector`` or ``--set precision=bf16`` change the run config.
Columns: wall seconds, transitions/s, CPU seconds of the job and all its children, cores busy
(CPU s over wall s), and the speed over the first row's. A job whose speed barely grows from
1 to 2 cores should declare 1 core; one that uses 1.5 cores and runs 1.4x faster with 2 wants
2 (what Snakemake's `threads` and Slurm's `--cpus-per-task` get). Run it on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from paper_runs import paper_runs, with_steps

CHILD = """
import json, sys, torch
from pathlib import Path
from iam_repro.ppo.trainer import train
resolved, threads, out = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
m = train(resolved, Path(out), emit=lambda _l: None, progress_interval_s=1e9, env_threads=threads)
print(json.dumps({"transitions": m["transitions"], "wall_s": m["wall_time_s"]}))
"""


def with_settings(resolved: dict, settings: list[str]) -> dict:
    """`resolved` with KEY=VALUE changes: env.<option>=..., precision=..., device=..."""
    for item in settings:
        key, _, value = item.partition("=")
        if key.startswith("env."):
            resolved["env"]["options"][key[4:]] = value
        elif key in ("precision", "device"):
            resolved[key] = value
        else:
            raise SystemExit(f"--set {item}: use env.<option>=..., precision=... or device=...")
    return resolved


def run_pinned(resolved: dict, cores: int, threads: int) -> tuple[float, float, float]:
    """(wall s, transitions/s, CPU s of the job and its children) of one pinned run."""
    cpus = sorted(os.sched_getaffinity(0))[:cores]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(resolved), str(threads), f"{tmp}/m.csv"],
            check=True,
            capture_output=True,
            text=True,
            preexec_fn=lambda: os.sched_setaffinity(0, cpus),
        )
        wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return wall, result["transitions"] / result["wall_s"], cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="traffic")
    parser.add_argument("--model", default="FNN1")
    parser.add_argument("--steps", type=int, default=2048, help="per-worker steps")
    parser.add_argument("--cores", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--threads", type=int, default=1, help="the run's `threads`")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    available = len(os.sched_getaffinity(0))
    if max(args.cores) > available:
        parser.error(f"--cores {max(args.cores)}: this process may use {available} cores")
    (run,) = paper_runs(args.experiment, [args.model])
    resolved = with_settings(with_steps(run, args.steps), args.set)
    print(
        f"{args.experiment} {args.model}, {args.steps:,} steps per worker, threads "
        f"{args.threads}, {' '.join(args.set) or 'as configured'}; {Path.cwd().name}"
    )
    print(
        f"{'cores':>5}{'wall s':>9}{'transitions/s':>15}{'CPU s':>8}{'cores busy':>12}{'speed':>7}"
    )
    base = None
    for cores in args.cores:
        wall, rate, cpu = run_pinned(resolved, cores, args.threads)
        base = base or rate
        print(
            f"{cores:>5}{wall:>9.1f}{rate:>15,.0f}{cpu:>8.1f}{cpu / wall:>12.2f}{rate / base:>7.2f}"
        )


if __name__ == "__main__":
    main()
