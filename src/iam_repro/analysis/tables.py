"""From run folders to the experiment's tables: the library side of the aggregate rule.

`aggregate_experiment` reads each run's monitor.csv and run.json and writes, atomically, into
one folder (columns exactly as listed; one row per ...):

=========================== ==================================================================
file                        columns
=========================== ==================================================================
curves_rolling.csv          model, seed, step, transitions, mean_return, window_episodes
                            (run x grid step)
curves_summary.csv          model, step, mean, std, ci_low, ci_high, n_seeds  (model x step)
final_scores.csv            model, seed, final_return, auc, steps_to_threshold  (run)
summary.csv                 model, n_seeds, mean, std, ci_low, ci_high, paper_value  (model)
compute.csv                 model, seed, wall_time_s, transitions, steps_per_worker,
                            transitions_per_s, device, resumes  (run)
claims.csv                  claim_id, claim, paper_value, reproduced_value, ci_low, ci_high,
                            tolerance, verdict, evidence  (claim)
=========================== ==================================================================

`step` is always the per-worker step of the paper's x-axis; `transitions` = step x num_workers.

Each run's paper-protocol curve (`paper_protocol_curve`: worker 0's mean return per
`summary_window` steps) is not written as such: its across-seed statistics are
curves_summary.csv (what the Fig. 5 figure draws), and the run's scores on it (what the claims
test) are final_scores.csv. The per-seed curves the book shows are the rolling ones, over the
episodes of all workers. `window_episodes` (the aggregation setting `rolling_window_episodes`)
travels with them, so figures and pages state the window without reading the config.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from iam_repro.analysis.claims import CLAIMS_COLUMNS, claims_table, paper_final_value
from iam_repro.analysis.curves import (
    area_under_curve,
    final_score,
    paper_protocol_curve,
    rolling_curve,
    step_grid,
    steps_to_threshold,
)
from iam_repro.analysis.stats import summarise
from iam_repro.io.atomic import write_csv_atomic
from iam_repro.io.monitor import MonitorFormatError, read_monitor
from iam_repro.io.run_info import RunInfoError, check_run_config, config_matches, read_run_info

__all__ = [
    "MODEL_ORDER",
    "OUTPUT_COLUMNS",
    "RunDir",
    "aggregate_experiment",
    "load_reference_fig5",
    "model_sort_key",
    "rolling_window",
]

MODEL_ORDER: tuple[str, ...] = ("FNN1", "FNN8", "FNN32", "LSTM", "LSTM_fc", "IAM", "IAM_static")
"""Row order of every table; other model names follow alphabetically."""

OUTPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "curves_rolling.csv": (
        "model",
        "seed",
        "step",
        "transitions",
        "mean_return",
        "window_episodes",
    ),
    "curves_summary.csv": ("model", "step", "mean", "std", "ci_low", "ci_high", "n_seeds"),
    "final_scores.csv": ("model", "seed", "final_return", "auc", "steps_to_threshold"),
    "summary.csv": ("model", "n_seeds", "mean", "std", "ci_low", "ci_high", "paper_value"),
    "compute.csv": (
        "model",
        "seed",
        "wall_time_s",
        "transitions",
        "steps_per_worker",
        "transitions_per_s",
        "device",
        "resumes",
    ),
    "claims.csv": CLAIMS_COLUMNS,
}
"""The files `aggregate_experiment` writes and their columns, in order."""

_REFERENCE_COLUMNS = ("env", "model", "step", "mean_return", "kind", "read_accuracy")
_COMPUTE_METRICS = ("wall_time_s", "transitions", "steps_per_worker", "transitions_per_s")
# Besides the numbers: where it trained, and at which steps it resumed after a kill or stop.
_RUN_FACTS = ("device", "resumed_at_steps")


def model_sort_key(model: str) -> tuple[int, str]:
    """Sort key putting models in `MODEL_ORDER`, unknown names after them alphabetically."""
    return (MODEL_ORDER.index(model), "") if model in MODEL_ORDER else (len(MODEL_ORDER), model)


def rolling_window(rolling: pd.DataFrame) -> int | None:
    """The number of episodes the rolling curves average (their `window_episodes` column).

    Returns:
        The window, or None when the table has no rows.

    Raises:
        ValueError: the table mixes windows (it was not written by one aggregate run).
    """
    windows = rolling["window_episodes"].dropna().unique()
    if len(windows) > 1:
        raise ValueError(
            f"curves_rolling.csv mixes rolling windows {sorted(windows)}; rerun the aggregate rule"
        )
    return int(windows[0]) if len(windows) else None


def load_reference_fig5() -> pd.DataFrame:
    """The values read off the paper's Fig. 5 (package data reference/paper_fig5.csv).

    Returns:
        Columns env, model, step (int64, per-worker steps), mean_return, kind ("curve" or
        "final"), read_accuracy (return units).
    """
    text = (resources.files("iam_repro") / "reference" / "paper_fig5.csv").read_text("utf-8")
    paper = pd.read_csv(io.StringIO(text))
    missing = [c for c in _REFERENCE_COLUMNS if c not in paper.columns]
    if missing:
        raise ValueError(
            f"the packaged paper_fig5.csv lacks columns {missing}; reinstall iam-repro"
        )
    paper["step"] = paper["step"].astype(np.int64)
    return paper[list(_REFERENCE_COLUMNS)]


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
        "device": metrics["device"],
        "resumes": len(metrics["resumed_at_steps"]),
    }


def _frame(rows: list[dict] | list[pd.DataFrame], name: str) -> pd.DataFrame:
    """Concatenate rows/frames into one table with `OUTPUT_COLUMNS[name]` (empty if none)."""
    columns = list(OUTPUT_COLUMNS[name])
    if not rows:
        return pd.DataFrame(columns=columns)
    if isinstance(rows[0], pd.DataFrame):
        return pd.concat(rows, ignore_index=True)[columns]
    return pd.DataFrame(rows, columns=columns)


def _curves_summary(
    protocol_curves: list[pd.DataFrame], confidence: float, n_resamples: int, seed: int
) -> pd.DataFrame:
    """Across-seed statistics per model and step of the runs' paper-protocol curves (columns
    model, seed, step, mean_return), on the steps every seed of the model has."""
    rows: list[dict] = []
    if not protocol_curves:
        return _frame(rows, "curves_summary.csv")
    protocol = pd.concat(protocol_curves, ignore_index=True)
    for model, runs in protocol.groupby("model", sort=False):
        by_step = runs.pivot(index="step", columns="seed", values="mean_return").dropna()
        for step, values in by_step.iterrows():
            stats = summarise(values.to_numpy(), confidence, n_resamples, seed)
            rows.append(
                {
                    "model": model,
                    "step": int(step),
                    "mean": stats["mean"],
                    "std": stats["std"],
                    "ci_low": stats["ci_low"],
                    "ci_high": stats["ci_high"],
                    "n_seeds": stats["n"],
                }
            )
    return _frame(rows, "curves_summary.csv")


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


RunDir = tuple[str, int, str | os.PathLike[str]] | str | os.PathLike[str]
"""A run to aggregate: (model, seed, folder), or a folder laid out as .../<model>/seed_<seed>."""

# Keys of the pipeline config's `aggregation` block -> aggregate_experiment keyword.
_AGGREGATION_KEYS = {
    "rolling_window_episodes": "rolling_window_episodes",
    "grid_spacing": "grid_spacing",
    "last_fraction": "last_fraction",
    "confidence": "confidence",
    "bootstrap_resamples": "n_resamples",
    "bootstrap_seed": "seed",
    "abs_tolerance": "abs_tolerance",
}


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


def aggregate_experiment(
    run_dirs: Sequence[RunDir],
    *,
    summary_window: int,
    max_step: int,
    threshold: float | None,
    env: str,
    out_dir: str | os.PathLike[str],
    rolling_window_episodes: int = 100,
    grid_spacing: int | None = None,
    last_fraction: float = 0.1,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
    abs_tolerance: float | Mapping[str, float] | None = None,
    paper: pd.DataFrame | None = None,
    aggregation: Mapping[str, Any] | None = None,
    expected_configs: Mapping[str | os.PathLike[str], Mapping[str, Any]] | None = None,
) -> dict[str, pd.DataFrame]:
    """Read every run of one experiment and write its tables (see the module docstring).

    Args:
        run_dirs: (model, seed, run folder) per run, or just the folder when it ends in
            <model>/seed_<seed> (the pipeline's layout). Each folder holds monitor.csv and
            run.json (whose config must give ppo.num_workers and whose metrics must give
            wall_time_s, transitions, steps_per_worker, transitions_per_s).
        summary_window: Paper-protocol window in per-worker steps (warehouse: 100_000).
        max_step: Training budget in per-worker steps.
        threshold: Return threshold for steps_to_threshold (None: the column is NaN).
        env: Environment name as in the paper reference ("warehouse", "traffic").
        out_dir: Folder for the CSV files (created if missing).
        rolling_window_episodes: Episodes averaged by the rolling curves.
        grid_spacing: Step grid of the rolling curves (default: summary_window).
        last_fraction: Final-score window as a share of the budget.
        confidence, n_resamples, seed: Bootstrap settings of every CI.
        abs_tolerance: Smallest value-check tolerance (see `claims_table`).
        paper: Fig. 5 reference (default: `load_reference_fig5()`).
        aggregation: The pipeline config's `aggregation` block; its keys replace the keyword
            arguments above: rolling_window_episodes, grid_spacing, last_fraction,
            confidence, bootstrap_resamples (n_resamples), bootstrap_seed (seed),
            abs_tolerance.
        expected_configs: The resolved config each run folder should have been trained with
            (the pipeline's runs table), keyed by folder. Given, every run.json's config is
            checked against it (:func:`iam_repro.io.run_info.check_run_config`) before any
            episode log is read.

    Returns:
        The written tables, keyed by file name.

    Raises:
        ValueError: On a repeated (model, seed), a folder without a seed_<seed> name, an
            unknown `aggregation` key, or a run folder missing from `expected_configs`.
        StaleRunError: A run.json's config differs from its expected config (naming the file,
            the differing keys and how to retrain).
        MonitorFormatError, RunInfoError: On a missing or corrupt run file (naming it), or a
            finished run that recorded no episode.

    Nothing is written unless every run is valid, so earlier tables in `out_dir` survive an
    error.
    """
    if aggregation:
        unknown = sorted(set(aggregation) - set(_AGGREGATION_KEYS))
        if unknown:
            raise ValueError(
                f"unknown aggregation setting(s) {unknown}; known: {sorted(_AGGREGATION_KEYS)}"
            )
        chosen = {_AGGREGATION_KEYS[key]: value for key, value in aggregation.items()}
        rolling_window_episodes = chosen.get("rolling_window_episodes", rolling_window_episodes)
        grid_spacing = chosen.get("grid_spacing", grid_spacing)
        last_fraction = chosen.get("last_fraction", last_fraction)
        confidence = chosen.get("confidence", confidence)
        n_resamples = chosen.get("n_resamples", n_resamples)
        seed = chosen.get("seed", seed)
        abs_tolerance = chosen.get("abs_tolerance", abs_tolerance)
    out_dir = Path(out_dir)
    paper = load_reference_fig5() if paper is None else paper
    runs = sorted(
        (_run_identity(entry) for entry in run_dirs),
        key=lambda run: (model_sort_key(run[0]), run[1]),
    )
    seen: set[tuple[str, int]] = set()
    for model, run_seed, _ in runs:
        if (model, run_seed) in seen:
            raise ValueError(f"run {model} seed {run_seed} is listed twice")
        seen.add((model, run_seed))
    grid = step_grid(max_step, grid_spacing or summary_window)

    # Every run.json first: a stale run makes its episode log irrelevant, and one message can
    # then name all stale runs.
    infos = [read_run_info(run_dir / "run.json") for _, _, run_dir in runs]
    if expected_configs is not None:
        _check_configs(runs, infos, expected_configs)

    protocol_curves, rolling_curves, score_rows, compute_rows = [], [], [], []
    for (model, run_seed, run_dir), info in zip(runs, infos, strict=True):
        info_path = run_dir / "run.json"
        num_workers = _num_workers(info, info_path)
        compute_rows.append({"model": model, "seed": run_seed, **_compute_metrics(info, info_path)})
        episodes = _read_episodes(run_dir / "monitor.csv", info)

        protocol = paper_protocol_curve(episodes, summary_window)
        protocol_curves.append(protocol.assign(model=model, seed=run_seed))
        rolling = rolling_curve(episodes, grid, rolling_window_episodes).dropna()
        rolling_curves.append(
            rolling.assign(
                model=model,
                seed=run_seed,
                transitions=rolling["step"] * num_workers,
                window_episodes=rolling_window_episodes,
            )
        )
        in_budget = protocol.loc[protocol["step"] <= max_step]
        score_rows.append(
            {
                "model": model,
                "seed": run_seed,
                "final_return": final_score(protocol, max_step, last_fraction),
                "auc": area_under_curve(protocol, max_step),
                # NaN = never reached within the budget (claims censor it at the budget).
                "steps_to_threshold": (
                    float("nan") if threshold is None else steps_to_threshold(in_budget, threshold)
                ),
            }
        )

    tables: dict[str, pd.DataFrame] = {}
    tables["curves_rolling.csv"] = _frame(rolling_curves, "curves_rolling.csv")
    tables["curves_summary.csv"] = _curves_summary(protocol_curves, confidence, n_resamples, seed)
    scores = _frame(score_rows, "final_scores.csv")
    tables["final_scores.csv"] = scores
    summary_rows = []
    for model in dict.fromkeys(scores["model"]):  # models in table order, once each
        stats = summarise(
            scores.loc[scores["model"] == model, "final_return"].to_numpy(),
            confidence,
            n_resamples,
            seed,
        )
        paper_value = paper_final_value(paper, env, model, max_step, last_fraction)[0]
        summary_rows.append(
            {
                "model": model,
                "n_seeds": stats["n"],
                "mean": stats["mean"],
                "std": stats["std"],
                "ci_low": stats["ci_low"],
                "ci_high": stats["ci_high"],
                "paper_value": paper_value,
            }
        )
    tables["summary.csv"] = _frame(summary_rows, "summary.csv")
    tables["compute.csv"] = _frame(compute_rows, "compute.csv")
    tables["claims.csv"] = claims_table(
        scores,
        tables["compute.csv"],
        paper,
        env,
        max_step=max_step,
        threshold=threshold,
        last_fraction=last_fraction,
        abs_tolerance=abs_tolerance,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
    )

    for name, table in tables.items():
        write_csv_atomic(table, out_dir / name)
    return tables
