"""Does the aggregate step scale to paper-size runs? Time, peak memory and disk on synthetic logs.

    .venv/bin/python benchmarks/bench_aggregate_scale.py [--experiment warehouse]
        [--fractions 0.125 0.25 0.5 1]

Writes, for each fraction f of the paper's budget, the `paper_scale` preset's run folders of one
experiment (4 models x 3 seeds) with synthetic monitor logs of the size a real run has at f of
its budget (warehouse: 100-step episodes, 320,000 per run at 4e6 steps per worker; traffic:
250-step episodes) and real run.json files, then runs the aggregate step's library calls (the
same as workflow/scripts/aggregate.py) in a child process and prints its wall time and peak
resident memory, with the ratio to the previous fraction: time and memory that grow like the
episode count (ratio ~2 per doubling) scale; ~4 would be quadratic. Also prints one monitor
log's size on disk. The logs are synthetic (a rising noisy return), so the tables' values mean
nothing; only the costs are measured.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

from iam_repro.config import load_config, load_experiments, runs_table
from iam_repro.io.monitor import MonitorWriter
from iam_repro.io.run_info import write_run_info

REPO = Path(__file__).resolve().parents[1]
EPISODE_STEPS = {"warehouse": 100, "traffic": 250}


def paper_scale_runs(experiment: str):
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config.update(
        preset="paper_scale",
        experiments=[experiment],
        experiments_dir=str(REPO / "config" / "experiments"),
    )
    experiments = load_experiments(load_config(config))
    return experiments[0], runs_table(experiments, "paper_scale")


def write_run(run, folder: Path, steps_per_worker: int, episode_steps: int) -> None:
    """A run folder whose monitor log has the episodes of `steps_per_worker` steps."""
    workers = run.resolved["ppo"]["num_workers"]
    per_worker = steps_per_worker // episode_steps
    rng = np.random.default_rng(run.seed)
    step = np.repeat(np.arange(1, per_worker + 1) * episode_steps, workers)
    worker = np.tile(np.arange(workers), per_worker)
    progress = step / steps_per_worker
    returns = np.round(10 + 30 * progress + rng.normal(0, 5, step.size), 4)
    with MonitorWriter(folder / "monitor.csv", env_id=run.env) as monitor:
        for chunk in range(0, step.size, 200_000):
            part = slice(chunk, chunk + 200_000)
            monitor.write(
                returns=returns[part],
                lengths=np.full(returns[part].size, episode_steps),
                times=progress[part] * 3600.0,
                workers=worker[part],
                steps=step[part],
            )
    resolved = json.loads(json.dumps(run.resolved))
    resolved["budget"]["steps_per_worker"] = steps_per_worker
    metrics = {
        "wall_time_s": 3600.0,
        "transitions": steps_per_worker * workers,
        "steps_per_worker": steps_per_worker,
        "transitions_per_s": steps_per_worker * workers / 3600.0,
        "device": "cpu",
        "resumed_at_steps": [],
    }
    write_run_info(folder / "run.json", config=resolved, metrics=metrics)


AGGREGATE = """
import json, sys, time, resource
import numpy as np
from iam_repro.analysis.tables import TableSettings, experiment_tables
from iam_repro.io.runs import load_runs
args = json.loads(sys.argv[1])
start = time.perf_counter()
runs = load_runs(list(args["configs"]), expected_configs=args["configs"])
loaded = time.perf_counter() - start
tables = experiment_tables(
    runs, env=args["env"], roster=args["roster"], summary_window=args["window"],
    max_step=args["max_step"], threshold=args["threshold"],
    settings=TableSettings.from_config(args["aggregation"]),
    random_returns=np.random.default_rng(0).normal(9.5, 3, 1000),
)
total = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"load_s": loaded, "total_s": total, "peak_mb": peak_mb,
                  "episodes": int(len(runs.episodes))}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="warehouse", choices=sorted(EPISODE_STEPS))
    parser.add_argument("--fractions", nargs="+", type=float, default=[0.125, 0.25, 0.5, 1.0])
    args = parser.parse_args(argv)
    experiment, runs = paper_scale_runs(args.experiment)
    budget = runs[0].resolved["budget"]["steps_per_worker"]
    aggregation = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["aggregation"]
    print(f"{args.experiment}: {len(runs)} runs, budget {budget:,} steps per worker")
    print(
        f"{'fraction':>8} {'episodes':>11} {'log MB':>7} {'load s':>7} {'total s':>8} "
        f"{'peak MB':>8} {'time x':>7} {'mem x':>6}"
    )
    before = None
    for fraction in args.fractions:
        steps = (
            int(budget * fraction)
            // EPISODE_STEPS[args.experiment]
            * EPISODE_STEPS[args.experiment]
        )
        with tempfile.TemporaryDirectory(prefix="iam-repro-scale-") as tmp:
            configs = {}
            for run in runs:
                folder = Path(tmp) / run.run_id
                write_run(run, folder, steps, EPISODE_STEPS[args.experiment])
                resolved = json.loads((folder / "run.json").read_text())["config"]
                configs[str(folder)] = resolved
            log_mb = (Path(tmp) / runs[0].run_id / "monitor.csv").stat().st_size / 2**20
            first = runs[0].resolved
            payload = {
                "configs": configs,
                "env": first["env"]["name"],
                "roster": experiment.roster,
                "window": first["summary_window"],
                "max_step": steps,
                "threshold": first["threshold"],
                "aggregation": aggregation,
            }
            child = subprocess.run(
                [sys.executable, "-c", AGGREGATE, json.dumps(payload)],
                capture_output=True,
                text=True,
                check=True,
            )
            found = json.loads(child.stdout.strip().splitlines()[-1])
        ratios = (
            ("", "")
            if before is None
            else (
                f"{found['total_s'] / before['total_s']:.2f}",
                f"{found['peak_mb'] / before['peak_mb']:.2f}",
            )
        )
        print(
            f"{fraction:>8} {found['episodes']:>11,} {log_mb:>7.1f} {found['load_s']:>7.1f} "
            f"{found['total_s']:>8.1f} {found['peak_mb']:>8.0f} {ratios[0]:>7} {ratios[1]:>6}",
            flush=True,
        )
        before = found
    return 0


if __name__ == "__main__":
    sys.exit(main())
