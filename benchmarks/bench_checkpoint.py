"""What a training checkpoint costs: size, save and load time, and overhead at an interval.

    .venv/bin/python benchmarks/bench_checkpoint.py [--experiment warehouse] [--interval 300]

For each model of the experiment: a short run (2 updates) that stops itself and so writes one
real checkpoint, then repeated saves of that payload and `load_checkpoint` (weights_only) of the
file. The overhead is the save time divided by the checkpoint interval: the share of training
time spent checkpointing.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from iam_repro.config import load_config, load_experiments, runs_table
from iam_repro.ppo.checkpoint import load_checkpoint, save_checkpoint
from iam_repro.ppo.trainer import TrainingInterrupted, train

REPO = Path(__file__).resolve().parents[1]


def timed(action, repeats: int) -> float:
    """Median seconds of `action()`."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def one_checkpoint(resolved: dict, folder: Path) -> Path:
    """Train 2 updates, then stop as on SIGTERM, which writes a real checkpoint."""
    path = folder / "checkpoint.pt"
    updates = iter(range(1, 100))
    with contextlib.suppress(TrainingInterrupted):
        train(
            resolved,
            folder / "monitor.csv.partial",
            emit=lambda line: None,
            checkpoint_path=path,
            checkpoint_interval_s=1e9,
            stop_requested=lambda: next(updates) == 2,
        )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="warehouse")
    parser.add_argument("--interval", type=float, default=300.0, help="checkpoint interval, s")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()

    config = load_config(
        {**_pipeline_config(), "experiments": [args.experiment]}, config_path="config/config.yaml"
    )
    runs = [r for r in runs_table(load_experiments(config), "paper") if r.seed == 0]
    print(f"{'model':<12}{'size MB':>9}{'save ms':>9}{'load ms':>9}{'overhead':>10}")
    for run in runs:
        with tempfile.TemporaryDirectory() as scratch:
            path = one_checkpoint(run.resolved, Path(scratch))
            payload = load_checkpoint(path)
            save_s = timed(lambda: save_checkpoint(path, payload), args.repeats)  # noqa: B023
            load_s = timed(lambda: load_checkpoint(path), args.repeats)  # noqa: B023
            size_mb = path.stat().st_size / 1e6
        print(
            f"{run.model:<12}{size_mb:>9.1f}{1e3 * save_s:>9.1f}{1e3 * load_s:>9.1f}"
            f"{save_s / args.interval:>10.1e}"
        )


def _pipeline_config() -> dict:
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["experiments_dir"] = str(REPO / config["experiments_dir"])
    return config


if __name__ == "__main__":
    main()
