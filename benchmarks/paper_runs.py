"""The runs a benchmark trains, resolved as the pipeline resolves them; shared by the
benchmarks that train (bench_training.py, bench_atari_training.py, fingerprint.py, ...).

An experiment's runs come from config/config.yaml and config/experiments/ under the `paper`
preset (seed 0; every model of the experiment, or those named); `with_steps` gives a copy of a
run's resolved config with a shorter budget, and `train_quietly` trains one for its metrics.
The learning-rate and clip-range schedule stays the paper's (`budget.schedule_steps_per_worker`),
so a short benchmark run is the first part of a paper run.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from iam_repro.config import Run, load_config, load_experiments, runs_table
from iam_repro.ppo.trainer import train

REPO = Path(__file__).resolve().parents[1]


def paper_runs(experiment: str, models: Sequence[str] | None = None, *, seed: int = 0) -> list[Run]:
    """The runs of `experiment` with this seed under the `paper` preset: every model's, or
    only those of the models named (empty or None: all)."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config.update(
        preset="paper",
        experiments=[experiment],
        experiments_dir=str(REPO / "config" / "experiments"),
    )
    pipeline = load_config(config)
    return [
        r
        for r in runs_table(load_experiments(pipeline), "paper")
        if r.seed == seed and (not models or r.model in models)
    ]


def with_steps(run: Run, steps_per_worker: int) -> dict[str, Any]:
    """A copy of the run's resolved config that trains for `steps_per_worker` steps."""
    resolved = copy.deepcopy(run.resolved)
    resolved["budget"]["steps_per_worker"] = steps_per_worker
    return resolved


def train_quietly(resolved: dict[str, Any], **options: Any) -> dict[str, Any]:
    """Train `resolved` into a temporary folder with no progress lines; its metrics."""
    with tempfile.TemporaryDirectory() as tmp:
        return train(
            resolved,
            Path(tmp) / "monitor.csv",
            emit=lambda _line: None,
            progress_interval_s=1e9,
            **options,
        )
