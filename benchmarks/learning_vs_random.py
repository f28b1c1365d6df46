"""When did runs beat the random policy? Each run's last episodes up to given steps, against
the random policy's episodes, as the aggregate's vs_random.csv judges them.

    .venv/bin/python benchmarks/learning_vs_random.py RUN_DIR [RUN_DIR ...] \\
        --random RESULTS/baselines/<experiment>/random_episodes.csv --at 25600,38400,51200

A run folder holds monitor.csv (or monitor.csv.partial, for a run still training) and lies at
.../<model>/seed_<seed>. For each run and each step count S (per worker) it takes the last 100
episodes that ended at or before S and prints their mean, the difference from the random
policy's mean with its 95 % bootstrap CI, and the verdict (above random, below random, not
distinguishable): the aggregate's own functions (iam_repro.analysis.random_baseline), so a
run's row at its final step is its vs_random.csv row. Runs that grow to a larger budget are
the same runs up to S (the schedule is the paper's), so this says what a preset stopping at S
would have reported.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from iam_repro.analysis.random_baseline import final_episode_returns, vs_random_row
from iam_repro.io.monitor import read_monitor

WINDOW, CONFIDENCE, RESAMPLES = 100, 0.95, 10_000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", required=True, type=Path, help="random_episodes.csv")
    parser.add_argument(
        "--at",
        required=True,
        type=lambda text: [int(v) for v in text.split(",")],
        help="steps per worker, comma-separated",
    )
    parser.add_argument("runs", nargs="+", type=Path)
    args = parser.parse_args(argv)
    random_returns = pd.read_csv(args.random)["return"].to_numpy(dtype=float)
    print(f"random policy: {len(random_returns)} episodes, mean {random_returns.mean():.3f}")
    print(f"{'run':<14}{'steps':>9}{'episodes':>10}{'mean':>8}{'diff':>8}{'95% CI':>18}  verdict")
    for run in args.runs:
        monitor = run / "monitor.csv"
        if not monitor.exists():
            monitor = run / "monitor.csv.partial"
        episodes = read_monitor(monitor, allow_empty=True)
        # How far the run got: its run.json when finished, else its last episode's end.
        info = run / "run.json"
        reached = (
            json.loads(info.read_text())["metrics"]["steps_per_worker"]
            if info.exists()
            else (int(episodes["step"].max()) if len(episodes) else 0)
        )
        name = f"{run.parent.name}/{run.name.removeprefix('seed_')}"
        for steps in args.at:
            upto = episodes[episodes["step"] <= steps]
            if reached < steps:
                print(f"{name:<14}{steps:>9,}  (not reached)")
                continue
            final = final_episode_returns(upto, WINDOW)
            row = vs_random_row(name, 0, final, random_returns, CONFIDENCE, RESAMPLES, 0)
            ci = f"[{row['ci_low']:+.2f}, {row['ci_high']:+.2f}]"
            print(
                f"{name:<14}{steps:>9,}{row['final_episodes']:>10}{row['final_mean']:>8.2f}"
                f"{row['diff']:>+8.2f}{ci:>18}  {row['verdict']}"
            )


if __name__ == "__main__":
    main()
