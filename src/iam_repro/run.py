"""One training run from a resolved config to its finished run folder.

The run folder gets `monitor.csv` and `run.json` only when training completed: the episode log
is written to `monitor.csv.partial` and renamed at the end, so a killed job never leaves a file
that a reader could take for a complete log.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from iam_repro.io.run_info import write_run_info
from iam_repro.ppo.trainer import train


def run_training(
    resolved: dict[str, Any],
    run_dir: Path,
    *,
    emit: Callable[[str], None] = print,
    torch_threads: int = 1,
    progress_interval_s: float = 30.0,
) -> dict[str, Any]:
    """Train the run described by `resolved` into `run_dir`; returns its metrics."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    partial = run_dir / "monitor.csv.partial"
    emit(
        f"[{resolved['run_id']}] training {resolved['model_name']} on {resolved['env']['name']}"
        f" for {resolved['budget']['steps_per_worker']:,} steps per worker"
    )
    metrics = train(
        resolved,
        partial,
        emit=emit,
        torch_threads=torch_threads,
        progress_interval_s=progress_interval_s,
    )
    write_run_info(run_dir / "run.json", config=resolved, metrics=metrics)
    os.replace(partial, run_dir / "monitor.csv")
    emit(
        f"[{resolved['run_id']}] done: {metrics['transitions']:,} transitions in "
        f"{metrics['wall_time_s']:.1f} s ({metrics['transitions_per_s']:,.0f} transitions/s)"
    )
    return metrics
