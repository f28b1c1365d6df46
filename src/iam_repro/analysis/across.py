"""Every experiment's tables -> the build-wide tables across experiments (rule across_experiments).

The statistics of Agarwal et al. (2021) on this build's runs (`iam_repro.analysis.reliable`):
each experiment is a task; a run's final return (final_scores.csv) is normalised so that 0 is
the experiment's uniformly random policy (random_policy.csv) and 1 its reference
(`reliable.reference_score`: the paper's final IAM return where the paper gives one, else the
best final return of the experiment's runs in this build); model roles are pooled over the
experiments that have them. Tables (``results/tables/<name>.csv``, columns `ACROSS_COLUMNS`):

=================================== ==========================================================
table                               one row per
=================================== ==========================================================
across_experiments_normalisation    experiment: its random level, reference and their source
across_experiments_scores           run: final return and normalised score
across_experiments_aggregates       role x metric ("iqm", "mean") with its 95 % CI
across_experiments_improvement      other role X: P(IAM > X) with its CI
across_experiments_profiles         role x threshold tau: share of runs scoring above tau
across_experiments_efficiency       role x budget fraction: IQM of the rolling curves there
=================================== ==========================================================

Intervals are stratified-bootstrap percentile intervals over seeds (resampled within each
experiment). Roles: the registry's claimable roles (``other`` names different models on
different experiments, so it is not pooled). Missing pieces read as NaN, never an error: an
experiment without a random baseline or reference has NaN normalised scores and is left out
of the normalised statistics (its note says why); P(IAM > X), rank-based per experiment, uses
the raw final returns and so every experiment where both roles have runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from iam_repro.analysis import reliable
from iam_repro.reference import OTHER_ROLE, load_paper_fig5, registry

__all__ = [
    "ACROSS_COLUMNS",
    "ACROSS_TABLES",
    "BUDGET_FRACTIONS",
    "REFERENCE_ROLE",
    "ExperimentTables",
    "across_tables",
    "paper_reference",
    "role_label",
    "role_palette",
]

REFERENCE_ROLE = "iam"
"""The role whose paper value is 1 on the normalised scale, and the X of P(X > Y)."""

BUDGET_FRACTIONS: np.ndarray = np.round(np.linspace(0.05, 1.0, 20), 2)
"""Where the sample-efficiency curve is read: 5 %, 10 %, ..., 100 % of each run's budget."""

ACROSS_COLUMNS: dict[str, tuple[str, ...]] = {
    "across_experiments_normalisation": (
        "experiment",
        "env",
        "random_score",
        "reference_score",
        "reference",
        "runs",
        "normalised_runs",
        "note",
    ),
    "across_experiments_scores": (
        "experiment",
        "model",
        "role",
        "seed",
        "final_return",
        "normalised_score",
    ),
    "across_experiments_aggregates": (
        "role",
        "metric",
        "estimate",
        "ci_low",
        "ci_high",
        "runs",
        "experiments",
    ),
    "across_experiments_improvement": (
        "role_a",
        "role_b",
        "probability",
        "ci_low",
        "ci_high",
        "experiments",
        "runs_a",
        "runs_b",
    ),
    "across_experiments_profiles": ("role", "tau", "fraction", "ci_low", "ci_high", "runs"),
    "across_experiments_efficiency": (
        "role",
        "budget_fraction",
        "iqm",
        "ci_low",
        "ci_high",
        "runs",
    ),
}
"""Every table the across_experiments rule writes (file name without .csv) -> its columns."""

ACROSS_TABLES: tuple[str, ...] = tuple(ACROSS_COLUMNS)

_ROLE_LABELS = {
    "fnn_1": "FNN (1 obs)",
    "fnn_k": "FNN (k obs)",
    "lstm": "LSTM",
    "lstm_fc": "LSTM + FC",
    "iam": "IAM",
    "iam_static": "IAM (static)",
}


def role_label(role: str) -> str:
    """A role as figures and pages name it across experiments ('fnn_k' -> 'FNN (k obs)': k is
    each experiment's own number of stacked observations)."""
    return _ROLE_LABELS.get(role, role)


def role_palette(roles: list[str]) -> dict[str, str]:
    """Role -> its colour, the one every figure of the pipeline gives it
    (`iam_repro.analysis.roles.role_colors`, from reference/paper.yaml)."""
    from iam_repro.analysis.roles import role_colors

    return role_colors({role: role for role in roles})


@dataclass(frozen=True)
class ExperimentTables:
    """What the across-experiment statistics need of one experiment.

    Attributes:
        env: Its environment name (warehouse, traffic, atari): picks the paper's reference.
        steps_per_worker: Its budget (the x-axis end of its curves).
        final_scores: final_scores.csv (model, seed, final_return, ...).
        models: models.csv (model, role, ...).
        random_policy: random_policy.csv (one row with ``mean``; empty without a baseline).
        rolling: curves_rolling.csv (model, seed, step, mean_return, ...).
    """

    env: str
    steps_per_worker: int
    final_scores: pd.DataFrame
    models: pd.DataFrame
    random_policy: pd.DataFrame
    rolling: pd.DataFrame


def paper_reference(env: str, paper: pd.DataFrame | None = None) -> tuple[float, int | None]:
    """The paper's final return of IAM on `env`: its Fig. 5 value at the paper's budget.

    Returns:
        ``(value, step)``; ``(nan, None)`` where the paper's figure has no IAM line for `env`
        (Atari) or no point at its budget.
    """
    fig5 = registry().fig5_rows.get(env)
    budget = registry().paper_budgets.get(env)
    if fig5 is None or budget is None or REFERENCE_ROLE not in fig5.models:
        return float("nan"), None
    paper = load_paper_fig5() if paper is None else paper
    rows = paper.loc[
        (paper["env"] == env)
        & (paper["model"] == fig5.models[REFERENCE_ROLE])
        & (paper["step"] == budget)
    ]
    if rows.empty:
        return float("nan"), None
    return float(rows["mean_return"].mean()), budget


def _frame(rows: list[dict], name: str) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(ACROSS_COLUMNS[name]))


def _random_level(random_policy: pd.DataFrame) -> float:
    if random_policy is None or random_policy.empty or "mean" not in random_policy:
        return float("nan")
    return float(random_policy["mean"].iloc[0])


def _normalisation(
    name: str, exp: ExperimentTables, paper: pd.DataFrame
) -> tuple[dict[str, object], float, float]:
    """One row of the normalisation table, and the experiment's (random, reference) levels."""
    random = _random_level(exp.random_policy)
    paper_value, paper_step = paper_reference(exp.env, paper)
    finals = exp.final_scores["final_return"].to_numpy(dtype=np.float64)
    reference, rule = reliable.reference_score(paper_value, finals)
    source = {
        "paper": f"paper's IAM at {paper_step:,} steps" if paper_step else "paper's IAM",
        "best run": "best run of this build",
        "none": "none",
    }[rule]
    normalised = reliable.normalise_scores(finals, random, reference)
    notes = []
    if not np.isfinite(random):
        notes.append("no random-policy baseline")
    if rule == "none":
        notes.append("no reference: no paper value and no run with a final return")
    if np.isfinite(random) and np.isfinite(reference) and reference <= random:
        notes.append("reference not above the random level: scale undefined")
    if len(finals) and not np.isfinite(finals).any():
        notes.append("no run has a final return")
    row = {
        "experiment": name,
        "env": exp.env,
        "random_score": random,
        "reference_score": reference,
        "reference": source,
        "runs": len(finals),
        "normalised_runs": int(np.isfinite(normalised).sum()),
        "note": "; ".join(notes),
    }
    return row, random, reference


def _strata(scores: pd.DataFrame, role: str, column: str, names: list[str]) -> list[np.ndarray]:
    """Per experiment (in `names` order), the role's runs' values of `column`."""
    mine = scores.loc[scores["role"] == role]
    return [
        mine.loc[mine["experiment"] == name, column].to_numpy(dtype=np.float64) for name in names
    ]


def _efficiency_strata(
    experiments: Mapping[str, ExperimentTables],
    roles_of: Mapping[str, dict[str, str]],
    levels: Mapping[str, tuple[float, float]],
    role: str,
) -> list[np.ndarray]:
    """Per experiment, the role's runs' normalised rolling curves at `BUDGET_FRACTIONS`,
    shape (runs, fractions)."""
    strata = []
    for name, exp in experiments.items():
        random, reference = levels[name]
        models = [m for m, r in roles_of[name].items() if r == role]
        runs = exp.rolling.loc[exp.rolling["model"].isin(models)]
        curves = [
            reliable.normalise_scores(
                reliable.values_at_fractions(
                    run["step"].to_numpy(),
                    run["mean_return"].to_numpy(),
                    exp.steps_per_worker,
                    BUDGET_FRACTIONS,
                ),
                random,
                reference,
            )
            for _, run in runs.sort_values("step").groupby(["model", "seed"], sort=True)
        ]
        strata.append(np.vstack(curves) if curves else np.empty((0, len(BUDGET_FRACTIONS))))
    return strata


def across_tables(
    experiments: Mapping[str, ExperimentTables],
    *,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
    paper: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """The across-experiment tables of the module docstring.

    Args:
        experiments: Experiment name -> its tables, in the build's order.
        confidence: Coverage of every interval.
        n_resamples: Bootstrap replicates per interval (config: aggregation.bootstrap_resamples).
        seed: Seed of every bootstrap (tables are reproducible).
        paper: The paper's Fig. 5 values (default `load_paper_fig5()`).

    Returns:
        Table name (`ACROSS_TABLES`) -> frame with `ACROSS_COLUMNS`; empty frames with their
        columns where nothing can be computed.
    """
    paper = load_paper_fig5() if paper is None else paper
    stats = {"confidence": confidence, "n_resamples": n_resamples, "seed": seed}
    normalisation_rows, score_frames, levels, roles_of = [], [], {}, {}
    for name, exp in experiments.items():
        row, random, reference = _normalisation(name, exp, paper)
        normalisation_rows.append(row)
        levels[name] = (random, reference)
        roles_of[name] = dict(zip(exp.models["model"], exp.models["role"], strict=True))
        scores = exp.final_scores.loc[:, ["model", "seed", "final_return"]].copy()
        scores.insert(0, "experiment", name)
        scores.insert(2, "role", scores["model"].map(roles_of[name]))
        scores["normalised_score"] = reliable.normalise_scores(
            scores["final_return"].to_numpy(dtype=np.float64), random, reference
        )
        score_frames.append(scores)
    scores = (
        pd.concat(score_frames, ignore_index=True)[
            list(ACROSS_COLUMNS["across_experiments_scores"])
        ]
        if score_frames
        else _frame([], "across_experiments_scores")
    )
    names = list(experiments)
    present = set(scores["role"].dropna())
    roles = [r for r in registry().roles if r != OTHER_ROLE and r in present]

    aggregate_rows = []
    for role in roles:
        strata = _strata(scores, role, "normalised_score", names)
        for metric in ("iqm", "mean"):
            result = reliable.interval_estimate(strata, metric, **stats)
            aggregate_rows.append(
                {
                    "role": role,
                    "metric": metric,
                    "estimate": result["estimate"],
                    "ci_low": result["ci_low"],
                    "ci_high": result["ci_high"],
                    "runs": result["runs"],
                    "experiments": result["tasks"],
                }
            )

    improvement_rows = []
    if REFERENCE_ROLE in roles:
        ours = _strata(scores, REFERENCE_ROLE, "final_return", names)
        for other in (r for r in roles if r != REFERENCE_ROLE):
            result = reliable.probability_of_improvement_ci(
                ours, _strata(scores, other, "final_return", names), **stats
            )
            improvement_rows.append(
                {
                    "role_a": REFERENCE_ROLE,
                    "role_b": other,
                    "probability": result["estimate"],
                    "ci_low": result["ci_low"],
                    "ci_high": result["ci_high"],
                    "experiments": result["tasks"],
                    "runs_a": result["runs_x"],
                    "runs_b": result["runs_y"],
                }
            )

    taus = reliable.profile_taus(scores["normalised_score"].to_numpy(dtype=np.float64))
    profile_rows, efficiency_rows = [], []
    for role in roles:
        strata = _strata(scores, role, "normalised_score", names)
        runs = int(sum(np.isfinite(s).sum() for s in strata))
        fraction, low, high = reliable.performance_profile_ci(strata, taus, **stats)
        profile_rows += [
            {"role": role, "tau": t, "fraction": f, "ci_low": lo, "ci_high": hi, "runs": runs}
            for t, f, lo, hi in zip(taus, fraction, low, high, strict=True)
        ]
        curve = reliable.iqm_curve(_efficiency_strata(experiments, roles_of, levels, role), **stats)
        efficiency_rows += [
            {
                "role": role,
                "budget_fraction": float(x),
                "iqm": curve["estimate"][j],
                "ci_low": curve["ci_low"][j],
                "ci_high": curve["ci_high"][j],
                "runs": int(curve["runs"][j]) if np.isfinite(curve["runs"][j]) else 0,
            }
            for j, x in enumerate(BUDGET_FRACTIONS)
        ]

    return {
        "across_experiments_normalisation": _frame(
            normalisation_rows, "across_experiments_normalisation"
        ),
        "across_experiments_scores": scores.reset_index(drop=True),
        "across_experiments_aggregates": _frame(aggregate_rows, "across_experiments_aggregates"),
        "across_experiments_improvement": _frame(
            improvement_rows, "across_experiments_improvement"
        ),
        "across_experiments_profiles": _frame(profile_rows, "across_experiments_profiles"),
        "across_experiments_efficiency": _frame(efficiency_rows, "across_experiments_efficiency"),
    }
