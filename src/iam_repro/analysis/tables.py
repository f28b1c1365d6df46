"""An experiment's tables from its runs: the pure computation of the aggregate rule.

`experiment_tables` takes the runs as frames (`iam_repro.io.runs.load_runs`) and the
experiment's facts, and returns (columns exactly as listed; one row per ...):

=========================== ==================================================================
file                        columns
=========================== ==================================================================
curves_protocol.csv         model, seed, step, mean_return  (run x paper-protocol window end:
                            worker 0's mean return per summary window)
curves_rolling.csv          model, seed, step, transitions, mean_return, window_episodes
                            (run x grid step up to the run's final step, and that step)
curves_summary.csv          model, step, mean, std, ci_low, ci_high, n_seeds  (model x step)
final_scores.csv            model, seed, final_return, auc, steps_to_threshold  (run)
summary.csv                 model, n_seeds, mean, std, ci_low, ci_high, paper_value  (model)
compute.csv                 model, seed, wall_time_s, transitions, steps_per_worker,
                            transitions_per_s, device, resumes  (run)
compute_models.csv          model, runs, wall_time_s, transitions_per_s, relative_throughput
                            (model; throughput relative to the model in the role of IAM)
claims.csv                  claim_id, claim, paper_value, reproduced_value, ci_low, ci_high,
                            tolerance, verdict, evidence  (check)
models.csv                  model, role, kind, frames  (model of the experiment file)
random_policy.csv           episodes, mean, std, ci_low, ci_high  (one row: a uniformly random
                            policy in the experiment's env; empty without its episodes)
vs_random.csv               model, seed, final_episodes, final_mean, random_mean, diff, ci_low,
                            ci_high, verdict  (run: its last rolling-window episodes against
                            the random policy's, `iam_repro.analysis.random_baseline`)
=========================== ==================================================================

Rows follow the registry's role order (fnn_1, fnn_k, lstm, lstm_fc, iam, iam_static), then
model name, then seed. `step` is always the per-worker step of the paper's x-axis;
`transitions` = step x num_workers.

The tables come in two stages. `run_tables` reads each run's episodes once and gives the
per-run tables (`RUN_TABLES`: one row per run, or per run and step); `seed_tables` computes
every across-seed table from those alone. So tables of runs whose episode logs are gone (an
archive keeps only tables) can be pooled with new runs' (`merge_run_tables`) and summarised
exactly as if all monitors were at hand. Each run's paper-protocol curve
(`paper_protocol_curve`: worker 0's mean return per `summary_window` steps) is
curves_protocol.csv; its across-seed statistics are curves_summary.csv (what the Fig. 5 figure
draws), and the run's scores on it (what the claims test) are final_scores.csv. The per-seed
curves the book shows are the rolling ones, over the episodes of all workers.
`window_episodes` (the aggregation setting `rolling_window_episodes`) travels with them, so
figures and pages state the window without reading the config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from iam_repro.analysis.claims import CLAIMS_COLUMNS, claims_table, paper_final_value
from iam_repro.analysis.compute import COMPUTE_MODELS_COLUMNS, compute_per_model
from iam_repro.analysis.curves import (
    area_under_curve,
    final_score,
    paper_protocol_curve,
    rolling_curve,
    run_grid,
    step_grid,
    steps_to_threshold,
)
from iam_repro.analysis.random_baseline import (
    RANDOM_POLICY_TABLE_COLUMNS,
    VS_RANDOM_COLUMNS,
    final_episode_returns,
    random_policy_summary,
    vs_random_row,
)
from iam_repro.analysis.roles import (
    MODELS_COLUMNS,
    models_by_role,
    models_table,
    order_models,
    paper_for_experiment,
    roster_roles,
)
from iam_repro.analysis.stats import summarise
from iam_repro.io.runs import LoadedRuns
from iam_repro.reference import load_paper_fig5

__all__ = [
    "OUTPUT_COLUMNS",
    "RUN_TABLES",
    "TableSettings",
    "experiment_tables",
    "merge_run_tables",
    "random_policy_table",
    "rolling_window",
    "run_tables",
    "seed_tables",
]

OUTPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "curves_protocol.csv": ("model", "seed", "step", "mean_return"),
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
    "compute_models.csv": COMPUTE_MODELS_COLUMNS,
    "claims.csv": CLAIMS_COLUMNS,
    "models.csv": MODELS_COLUMNS,
    "random_policy.csv": RANDOM_POLICY_TABLE_COLUMNS,
    "vs_random.csv": VS_RANDOM_COLUMNS,
}
"""The tables `experiment_tables` returns and their columns, in order."""

RUN_TABLES: tuple[str, ...] = (
    "curves_protocol.csv",
    "curves_rolling.csv",
    "final_scores.csv",
    "compute.csv",
    "vs_random.csv",
)
"""The per-run tables (`run_tables`): every other table is computed from these."""


@dataclass(frozen=True)
class TableSettings:
    """How runs are summarised: the pipeline config's `aggregation` block plus fixed choices."""

    rolling_window_episodes: int = 100
    """Episodes (all workers) averaged by the rolling curves."""
    confidence: float = 0.95
    """Level of every CI (t over seeds, bootstrap over episodes)."""
    n_resamples: int = 10_000
    """Bootstrap resamples per CI over episodes (config key `bootstrap_resamples`)."""
    seed: int = 0
    """Seed of the bootstrap resampling (fixed: tables are reproducible)."""
    last_fraction: float = 0.1
    """Final-score window as a share of the budget (the paper's last 10 %)."""
    grid_spacing: int | None = None
    """Step grid of the rolling curves (None: the experiment's summary window)."""

    @classmethod
    def from_config(cls, aggregation: Mapping[str, object]) -> TableSettings:
        """From config.yaml's `aggregation` block (already schema-checked)."""
        return cls(
            rolling_window_episodes=int(aggregation["rolling_window_episodes"]),
            confidence=float(aggregation["confidence"]),
            n_resamples=int(aggregation["bootstrap_resamples"]),
        )


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


def _frame(rows: list[dict] | list[pd.DataFrame], name: str) -> pd.DataFrame:
    """Concatenate rows/frames into one table with `OUTPUT_COLUMNS[name]` (empty if none)."""
    columns = list(OUTPUT_COLUMNS[name])
    if not rows:
        return pd.DataFrame(columns=columns)
    if isinstance(rows[0], pd.DataFrame):
        return pd.concat(rows, ignore_index=True)[columns]
    return pd.DataFrame(rows, columns=columns)


def _curves_summary(
    protocol: pd.DataFrame, scores: pd.DataFrame, settings: TableSettings
) -> pd.DataFrame:
    """Across-seed statistics per model and step of the runs' paper-protocol curves
    (curves_protocol.csv), on the steps every run of the model (a row of final_scores.csv)
    has. Each step's values are taken in the table's row order (runs by seed)."""
    rows: list[dict] = []
    runs_per_model = scores.groupby("model", sort=False).size()
    for model, n_runs in runs_per_model.items():
        curves = protocol.loc[protocol["model"] == model]
        for step, values in curves.groupby("step", sort=True)["mean_return"]:
            values = values.dropna()
            if len(values) < n_runs:
                continue
            stats = summarise(
                values.to_numpy(), settings.confidence, settings.n_resamples, settings.seed
            )
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


def _summary(
    scores: pd.DataFrame, paper: pd.DataFrame, env: str, max_step: int, settings: TableSettings
) -> pd.DataFrame:
    """Across-seed final returns per model, beside the paper's value at the same budget."""
    rows = []
    for model in dict.fromkeys(scores["model"]):  # models in table order, once each
        stats = summarise(
            scores.loc[scores["model"] == model, "final_return"].to_numpy(),
            settings.confidence,
            settings.n_resamples,
            settings.seed,
        )
        rows.append(
            {
                "model": model,
                "n_seeds": stats["n"],
                "mean": stats["mean"],
                "std": stats["std"],
                "ci_low": stats["ci_low"],
                "ci_high": stats["ci_high"],
                "paper_value": paper_final_value(
                    paper, env, model, max_step, settings.last_fraction
                )[0],
            }
        )
    return _frame(rows, "summary.csv")


def run_tables(
    runs: LoadedRuns,
    *,
    roster: Mapping[str, Mapping[str, object]],
    summary_window: int,
    max_step: int,
    threshold: float | None,
    settings: TableSettings = TableSettings(),
    random_returns: np.ndarray | None = None,
) -> dict[str, pd.DataFrame]:
    """The per-run tables (`RUN_TABLES`) of an experiment's runs, keyed by file name.

    Args: as `experiment_tables`.
    """
    roles = roster_roles(roster)
    order = {model: i for i, model in enumerate(order_models(runs.runs["model"], roles))}
    facts = runs.runs.assign(_order=runs.runs["model"].map(order))
    facts = facts.sort_values(["_order", "seed"], kind="stable").drop(columns="_order")
    grid = step_grid(max_step, settings.grid_spacing or summary_window)
    by_run = dict(iter(runs.episodes.groupby(["model", "seed"], sort=False)))

    protocol_curves, rolling_curves, score_rows, random_rows = [], [], [], []
    for run in facts.itertuples(index=False):
        episodes = by_run[(run.model, run.seed)].drop(columns=["model", "seed"])
        episodes = episodes.reset_index(drop=True)
        protocol = paper_protocol_curve(episodes, summary_window)
        protocol_curves.append(protocol.assign(model=run.model, seed=run.seed))
        # Each run's curve reaches its final step: its last episode ends before it (traffic:
        # 250-step episodes end at 204,750 of 204,800), so the budget's grid point used to get
        # no value and the curve stopped one grid point short.
        final_step = int(run.steps_per_worker)
        rolling = rolling_curve(
            episodes,
            run_grid(grid, final_step),
            settings.rolling_window_episodes,
            final_step=final_step,
        ).dropna()
        rolling_curves.append(
            rolling.assign(
                model=run.model,
                seed=run.seed,
                transitions=rolling["step"] * run.num_workers,
                window_episodes=settings.rolling_window_episodes,
            )
        )
        if random_returns is not None:
            random_rows.append(
                vs_random_row(
                    run.model,
                    run.seed,
                    final_episode_returns(episodes, settings.rolling_window_episodes),
                    random_returns,
                    settings.confidence,
                    settings.n_resamples,
                    settings.seed,
                )
            )
        in_budget = protocol.loc[protocol["step"] <= max_step]
        score_rows.append(
            {
                "model": run.model,
                "seed": run.seed,
                "final_return": final_score(protocol, max_step, settings.last_fraction),
                "auc": area_under_curve(protocol, max_step),
                # NaN = never reached within the budget (claims censor it at the budget).
                "steps_to_threshold": (
                    float("nan") if threshold is None else steps_to_threshold(in_budget, threshold)
                ),
            }
        )

    return {
        "curves_protocol.csv": _frame(protocol_curves, "curves_protocol.csv"),
        "curves_rolling.csv": _frame(rolling_curves, "curves_rolling.csv"),
        "final_scores.csv": _frame(score_rows, "final_scores.csv"),
        "compute.csv": facts.loc[:, list(OUTPUT_COLUMNS["compute.csv"])].reset_index(drop=True),
        "vs_random.csv": _frame(random_rows, "vs_random.csv"),
    }


def seed_tables(
    per_run: Mapping[str, pd.DataFrame],
    *,
    env: str,
    roster: Mapping[str, Mapping[str, object]],
    max_step: int,
    threshold: float | None,
    env_options: Mapping[str, object] | None = None,
    settings: TableSettings = TableSettings(),
    paper: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """The across-seed tables (curves_summary, summary, compute_models, claims) and models.csv,
    computed from the per-run tables alone (`run_tables`, or `merge_run_tables` of several).

    Args: as `experiment_tables`; `per_run` holds the `RUN_TABLES`, runs in table order.
    """
    roles = roster_roles(roster)
    paper = paper_for_experiment(load_paper_fig5() if paper is None else paper, env, roles)
    iam = models_by_role(roles).get("iam")
    scores, compute = per_run["final_scores.csv"], per_run["compute.csv"]
    return {
        "curves_summary.csv": _curves_summary(per_run["curves_protocol.csv"], scores, settings),
        "summary.csv": _summary(scores, paper, env, max_step, settings),
        "compute_models.csv": compute_per_model(compute, iam),
        "claims.csv": claims_table(
            scores,
            compute,
            paper,
            env,
            roles,
            max_step=max_step,
            env_options=env_options,
            threshold=threshold,
            last_fraction=settings.last_fraction,
            confidence=settings.confidence,
            n_resamples=settings.n_resamples,
            seed=settings.seed,
        ),
        "models.csv": models_table(roster),
    }


def merge_run_tables(
    kept: Mapping[str, pd.DataFrame],
    added: Mapping[str, pd.DataFrame],
    roster: Mapping[str, Mapping[str, object]],
) -> dict[str, pd.DataFrame]:
    """Pool two sets of per-run tables: `added`'s runs replace `kept`'s runs of the same
    (model, seed). Rows follow the order `run_tables` gives (role order, then seed; rows of a
    run in their own order), so the across-seed tables of the pool equal those of one
    aggregate over all runs. Rows without a seed (runs known only by a pooled summary,
    `iam_repro.jobs.archive.pair_rows_from_summary`) come first within their model.
    """
    roles = roster_roles(roster)
    added_runs = set(zip(*(added["final_scores.csv"][c] for c in ("model", "seed")), strict=True))
    models = pd.concat([kept["final_scores.csv"]["model"], added["final_scores.csv"]["model"]])
    rank = {model: i for i, model in enumerate(order_models(models, roles))}
    merged = {}
    for name in RUN_TABLES:
        old, new = kept[name], added[name]
        replaced = pd.MultiIndex.from_frame(old[["model", "seed"]]).isin(added_runs)
        parts = [frame for frame in (old.loc[~replaced], new) if not frame.empty]
        pool = pd.concat(parts, ignore_index=True) if parts else new.copy()
        # Whole numbers in the CSV even beside rows without a seed.
        pool["seed"] = pool["seed"].astype("Int64")
        seed_key = pool["seed"].fillna(-1).to_numpy(dtype="int64")
        # np.lexsort is stable: a run's rows keep their order (its curve's steps).
        rows = np.lexsort((seed_key, pool["model"].map(rank).to_numpy()))
        merged[name] = pool.iloc[rows].reset_index(drop=True)[list(OUTPUT_COLUMNS[name])]
    return merged


def experiment_tables(
    runs: LoadedRuns,
    *,
    env: str,
    roster: Mapping[str, Mapping[str, object]],
    summary_window: int,
    max_step: int,
    threshold: float | None,
    env_options: Mapping[str, object] | None = None,
    settings: TableSettings = TableSettings(),
    paper: pd.DataFrame | None = None,
    random_returns: np.ndarray | None = None,
) -> dict[str, pd.DataFrame]:
    """Every table of one experiment (see the module docstring), keyed by file name.

    Args:
        runs: The experiment's runs (`load_runs`): episodes (model, seed, r, worker, step, ...)
            and one row of compute facts per run (model, seed, num_workers, wall_time_s, ...).
        env: Environment name ("warehouse", "traffic").
        roster: Every model of the experiment file, run or not: name -> {role, kind, frames}.
            Claims and the paper's lines are matched by role.
        summary_window: Paper-protocol window in per-worker steps (warehouse: 100_000).
        max_step: Training budget in per-worker steps.
        threshold: Return threshold for steps_to_threshold (None: the column is NaN).
        env_options: The experiment's env options (checks may apply only to some, e.g. claim
            7 to flickering Atari).
        settings: Rolling window, bootstrap and final-window settings.
        paper: The paper's Fig. 5 values of every env (default `load_paper_fig5()`).
        random_returns: Episode returns of a uniformly random policy in the experiment's env
            (rule random_baseline); None leaves random_policy.csv and vs_random.csv empty.

    Returns:
        The tables, keyed by file name (`OUTPUT_COLUMNS`).
    """
    per_run = run_tables(
        runs,
        roster=roster,
        summary_window=summary_window,
        max_step=max_step,
        threshold=threshold,
        settings=settings,
        random_returns=random_returns,
    )
    across = seed_tables(
        per_run,
        env=env,
        roster=roster,
        max_step=max_step,
        threshold=threshold,
        env_options=env_options,
        settings=settings,
        paper=paper,
    )
    return {**per_run, **across, "random_policy.csv": random_policy_table(random_returns, settings)}


def random_policy_table(
    random_returns: np.ndarray | None, settings: TableSettings = TableSettings()
) -> pd.DataFrame:
    """random_policy.csv: the random policy's episode returns summarised (empty without them)."""
    if random_returns is None:
        return _frame([], "random_policy.csv")
    return random_policy_summary(
        random_returns, settings.confidence, settings.n_resamples, settings.seed
    )
