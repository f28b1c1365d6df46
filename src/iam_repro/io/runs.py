"""Loading an experiment's finished runs into tidy frames: the IO side of the aggregate rule.

`load_runs` reads each run folder's run.json and monitor.csv, checks every run.json against
the config the run should have been trained with (a stale run is named before any episode log
is read), and returns two frames the analysis functions take: every episode of every run, and
one row of compute facts per run. Nothing here computes a statistic.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from iam_repro.io.monitor import MonitorFormatError, read_monitor
from iam_repro.io.run_info import RunInfoError, check_run_config, config_matches, read_run_info

__all__ = ["RUN_COLUMNS", "LoadedRuns", "RunDir", "load_runs"]

_COMPUTE_METRICS = ("wall_time_s", "transitions", "steps_per_worker", "transitions_per_s")
# Besides the numbers: where it trained, and at which steps it resumed after a kill or stop.
_RUN_FACTS = ("device", "resumed_at_steps")

RUN_COLUMNS: tuple[str, ...] = (
    "model",
    "seed",
    "num_workers",
    *_COMPUTE_METRICS,
    "device",
    "resumes",
)
"""Columns of `LoadedRuns.runs`."""


@dataclass(frozen=True)
class LoadedRuns:
    """An experiment's runs as frames.

    Attributes:
        episodes: One row per episode of every run: model, seed, then the monitor.csv
            columns (r, l, t, worker, step; see `iam_repro.io.monitor`), each run's
            episodes in log order.
        runs: One row per run, columns `RUN_COLUMNS` (run.json's compute metrics, its
            ppo.num_workers, and how many times it resumed).
    """

    episodes: pd.DataFrame
    runs: pd.DataFrame


RunDir = tuple[str, int, str | os.PathLike[str]] | str | os.PathLike[str]
"""A run to aggregate: (model, seed, folder), or a folder laid out as .../<model>/seed_<seed>."""


def _run_identity(entry: RunDir) -> tuple[str, int, Path]:
    """(model, seed, folder) of a run given as a triple or as a .../<model>/seed_<seed> path."""
    if isinstance(entry, str | os.PathLike):
        folder = Path(entry)
        match = re.fullmatch(r"seed_(\d+)", folder.name)
        if match is None:
            raise ValueError(
                f"cannot tell model and seed of run folder {folder}: expected a path ending in "
                "<model>/seed_<seed>, or pass (model, seed, folder)"
            )
        return folder.parent.name, int(match[1]), folder
    model, seed, folder = entry
    return str(model), int(seed), Path(folder)


def _num_workers(info: dict, path: Path) -> int:
    fix = "delete the run folder and rerun snakemake to retrain it with the current code"
    try:
        value = info["config"]["ppo"]["num_workers"]
    except (KeyError, TypeError):
        raise RunInfoError(path, "run.json config has no ppo.num_workers", fix) from None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RunInfoError(path, f"ppo.num_workers must be a positive integer, got {value!r}", fix)
    return value


def _compute_metrics(info: dict, path: Path) -> dict[str, Any]:
    metrics = info["metrics"]
    missing = [key for key in _COMPUTE_METRICS + _RUN_FACTS if key not in metrics]
    if missing:
        raise RunInfoError(
            path,
            f"run.json metrics lack {missing}",
            "the run did not finish, or was written by older code: rerun snakemake to retrain it",
        )
    # run.json stores NaN as null (strict JSON); bring it back as NaN for the table.
    numbers = {k: float("nan") if metrics[k] is None else metrics[k] for k in _COMPUTE_METRICS}
    return {
        **numbers,
        "device": _how_computed(info),
        "resumes": len(metrics["resumed_at_steps"]),
    }


def _how_computed(info: dict) -> str:
    """The device, and what changes its speed or numbers beyond it: e.g. "cpu",
    "cuda, bf16", "cpu, vector backend, 2 game threads" (the segments say per part of a run)."""
    segments = info["metrics"].get("segments") or []
    options = (info["config"].get("env") or {}).get("options") or {}
    parts = [str(info["metrics"]["device"])]
    if any(s.get("precision") == "bf16" for s in segments):
        parts.append("bf16")
    if options.get("backend") == "vector":
        parts.append("vector backend")
    threads = max((int(s.get("env_threads", 1)) for s in segments), default=1)
    if threads > 1:
        parts.append(f"{threads} game threads")
    return ", ".join(parts)


def _check_configs(
    runs: list[tuple[str, int, Path]],
    infos: list[dict],
    expected_configs: Mapping[str | os.PathLike[str], Mapping[str, Any]],
) -> None:
    """Raise StaleRunError for the first run whose run.json config is not the expected one."""
    expected = {Path(folder): config for folder, config in expected_configs.items()}
    stale = []  # (folder, recorded config)
    for (_, _, run_dir), info in zip(runs, infos, strict=True):
        if run_dir not in expected:
            raise ValueError(f"no expected config given for run folder {run_dir}")
        if not config_matches(info["config"], expected[run_dir]):
            stale.append((run_dir, info["config"]))
    if stale:
        (first, recorded), others = stale[0], [folder for folder, _ in stale[1:]]
        check_run_config(first / "run.json", recorded, expected[first], also_stale=others)


def _read_episodes(path: Path, info: dict) -> pd.DataFrame:
    """A finished run's episodes; one that recorded none is an error that says why."""
    episodes = read_monitor(path, allow_empty=True)
    if episodes.empty:
        config, budget = info["config"], info["config"].get("budget")
        steps = info["metrics"].get("steps_per_worker") or (
            budget.get("steps_per_worker", "?") if isinstance(budget, dict) else "?"
        )
        preset = config.get("preset")
        where = (
            f"presets.{preset}.budget.steps_per_worker, or budget.steps_per_worker"
            if preset
            else "budget.steps_per_worker"
        )
        raise MonitorFormatError(
            path,
            3,
            f"no episodes recorded: the run finished its budget of {steps} steps per worker "
            f"(run.json) before any episode ended, so it has no return to aggregate",
            f"raise the budget above one episode's length in the experiment file ({where}) and "
            f"rerun snakemake; retraining with the same budget would record no episode again",
        )
    return episodes


def load_runs(
    run_dirs: Sequence[RunDir],
    *,
    expected_configs: Mapping[str | os.PathLike[str], Mapping[str, Any]] | None = None,
) -> LoadedRuns:
    """Read every run of one experiment.

    Args:
        run_dirs: (model, seed, run folder) per run, or just the folder when it ends in
            <model>/seed_<seed> (the pipeline's layout). Each folder holds monitor.csv and
            run.json (whose config must give ppo.num_workers and whose metrics must give
            wall_time_s, transitions, steps_per_worker, transitions_per_s).
        expected_configs: The resolved config each run folder should have been trained with
            (the pipeline's runs table), keyed by folder. Given, every run.json's config is
            checked against it (:func:`iam_repro.io.run_info.check_run_config`) before any
            episode log is read.

    Returns:
        The runs' episodes and compute facts, runs in the order given.

    Raises:
        ValueError: On a repeated (model, seed), a folder without a seed_<seed> name, or a run
            folder missing from `expected_configs`.
        StaleRunError: A run.json's config differs from its expected config (naming the file,
            the differing keys and how to retrain).
        MonitorFormatError, RunInfoError: On a missing or corrupt run file (naming it), or a
            finished run that recorded no episode.
    """
    runs = [_run_identity(entry) for entry in run_dirs]
    seen: set[tuple[str, int]] = set()
    for model, seed, _ in runs:
        if (model, seed) in seen:
            raise ValueError(f"run {model} seed {seed} is listed twice")
        seen.add((model, seed))

    # Every run.json first: a stale run makes its episode log irrelevant, and one message can
    # then name all stale runs.
    infos = [read_run_info(run_dir / "run.json") for _, _, run_dir in runs]
    if expected_configs is not None:
        _check_configs(runs, infos, expected_configs)

    episodes, facts = [], []
    for (model, seed, run_dir), info in zip(runs, infos, strict=True):
        info_path = run_dir / "run.json"
        facts.append(
            {
                "model": model,
                "seed": seed,
                "num_workers": _num_workers(info, info_path),
                **_compute_metrics(info, info_path),
            }
        )
        log = _read_episodes(run_dir / "monitor.csv", info)
        episodes.append(log.assign(model=model, seed=seed)[["model", "seed", *log.columns]])
    return LoadedRuns(
        episodes=(
            pd.concat(episodes, ignore_index=True)
            if episodes
            else pd.DataFrame(columns=["model", "seed"])
        ),
        runs=pd.DataFrame(facts, columns=list(RUN_COLUMNS)),
    )
