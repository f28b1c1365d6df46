"""Verdicts for the paper's claims (spec/paper.md), one row per check.

The checks are data: reference/paper.yaml lists them by *role* ("iam above lstm"), and an
experiment's roster says which of its models plays each role, so the same checks judge any
experiment of the env whatever its models are called.

One principle decides every verdict (the rules: `iam_repro.analysis.verdicts`): **a claim gets
a verdict only when its confidence interval over seeds settles it.** Each check has a claimed
region for its estimate; then

- "reproduced": the whole CI lies inside the claimed region;
- "contradicted": the whole CI lies outside it;
- "inconclusive": the CI reaches across the region's edge, whatever the sign of the mean;
- "inconclusive (n = 1)": a model has a single seed, so there is no CI at all;
- "needs paper scale": runs exist, but they end before the paper has a value to compare with
  (a value check below the budget of the paper's FNN lines; a learning-speed claim whose runs
  never reached the threshold in a budget shorter than the paper's);
- "not yet run": a model the check needs is not in the build (no role player, no scored run).

The three kinds of check and their claimed regions:

*Direction claims* ("IAM ends above LSTM", `direction_verdict`): the difference of per-seed
means, mean(a) - mean(b), with Welch's CI over seeds (`compare_models`; `analysis.stats` says
why not a bootstrap). Claimed region: above 0 (direction +1) or below 0
(direction -1), 0 itself excluded, so a CI that contains or touches 0 is inconclusive. Claim 6
compares transitions per second from run.json (the paper gives no numbers); claims 3 and 5
compare steps to reach a threshold, where a run that never reached it counts as the budget
(censored; the evidence says how many). When no run of either model reached it, both are the
budget and the difference says nothing: no number is reported, and the verdict is "needs paper
scale" (a budget shorter than the paper's) or "inconclusive" (at the paper's budget).

*"At least as good" claims* (claim 7, `at_least_verdict`): the same difference and CI; the
claimed region is 0 and above (a tie is "at least as good"), so "reproduced" needs ci_low >= 0
and "contradicted" ci_high < 0.

*Value checks* ("IAM's final return (paper protocol) matches the paper's Fig. 5 value",
`value_checks`, filed under the claim they support: 1c, 1d, 2c, ...; `value_verdict`): the
reproduced mean with its Student-t CI over seeds; the claimed region is the paper's value
+/- tolerance, tolerance = max(2 x read_accuracy, abs_tolerance). "needs paper scale" when the
figure has no value for the model within the budget's final window (FNN values exist only at
the paper's end).

A learning-speed check without a configured threshold (not possible through an experiment file,
which requires one) reads "inconclusive": its runs exist, but nothing was measured.

The paper_value of a direction claim is the paper's own difference at the same budget: final
values over the same final window, AUC over the steps both read-off curves cover, steps to the
threshold on the read-off curves. Rows are in the paper's claim order (1a, 1b, 1c, 1d, 2a, ...).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from iam_repro.analysis.curves import area_under_curve, final_score, steps_to_threshold
from iam_repro.analysis.roles import models_by_role
from iam_repro.analysis.stats import t_ci
from iam_repro.analysis.verdicts import (
    CONTRADICTED,
    INCONCLUSIVE,
    NEEDS_PAPER_SCALE,
    NOT_YET_RUN,
    ONE_SEED,
    REPRODUCED,
    VERDICTS,
    Verdict,
    at_least_verdict,
    compare_models,
    direction_verdict,
    value_tolerance,
    value_verdict,
)
from iam_repro.reference import Comparison, registry

__all__ = [
    "CLAIMS_COLUMNS",
    "CONTRADICTED",
    "INCONCLUSIVE",
    "NEEDS_PAPER_SCALE",
    "NOT_YET_RUN",
    "ONE_SEED",
    "REPRODUCED",
    "VERDICTS",
    "claims_table",
    "at_least_verdict",
    "compare_models",
    "direction_verdict",
    "paper_curve",
    "paper_final_value",
    "value_verdict",
]

CLAIMS_COLUMNS: tuple[str, ...] = (
    "claim_id",
    "claim",
    "paper_value",
    "reproduced_value",
    "ci_low",
    "ci_high",
    "tolerance",
    "verdict",
    "evidence",
)
"""Columns of `claims_table`'s result (and of claims.csv)."""


# --------------------------------------------------------------------------- paper values


def paper_curve(paper: pd.DataFrame, env: str, model: str) -> pd.DataFrame:
    """The paper's Fig. 5 curve points of one model: columns step, mean_return, read_accuracy."""
    rows = paper.loc[
        (paper["env"] == env) & (paper["model"] == model) & (paper["kind"] == "curve"),
        ["step", "mean_return", "read_accuracy"],
    ]
    return rows.sort_values("step", kind="stable").reset_index(drop=True)


def paper_final_value(
    paper: pd.DataFrame, env: str, model: str, max_step: int, last_fraction: float = 0.1
) -> tuple[float, float]:
    """The paper's final return of a model, defined like `final_score` for a reproduced run.

    Uses the mean of the model's curve points with step in ((1-last_fraction)*max_step,
    max_step] -- the same window as the reproduced score, so a shorter budget compares against
    the paper's curve at that budget. Without curve points there (FNN lines are only given at
    the end), a `final` row at exactly max_step is used.

    Returns:
        (value, read_accuracy): NaNs if the figure has no value in that window; the read
        accuracy is the largest of the points used.
    """
    curve = paper_curve(paper, env, model)
    tail = curve.loc[(curve["step"] > max_step * (1 - last_fraction)) & (curve["step"] <= max_step)]
    if len(tail):
        return final_score(curve, max_step, last_fraction), float(tail["read_accuracy"].max())
    final = paper.loc[
        (paper["env"] == env)
        & (paper["model"] == model)
        & (paper["kind"] == "final")
        & (paper["step"] == max_step)
    ]
    if len(final):
        return float(final["mean_return"].mean()), float(final["read_accuracy"].max())
    return float("nan"), float("nan")


def _paper_difference(
    claim: Comparison,
    model_a: str,
    model_b: str,
    paper: pd.DataFrame,
    max_step: int,
    last_fraction: float,
    threshold: float | None,
) -> float:
    """The paper's mean(a) - mean(b) for a claim's metric, NaN where the figure cannot say."""
    if claim.metric == "final_return":
        a = paper_final_value(paper, claim.env, model_a, max_step, last_fraction)[0]
        b = paper_final_value(paper, claim.env, model_b, max_step, last_fraction)[0]
        return a - b
    curve_a = paper_curve(paper, claim.env, model_a)
    curve_b = paper_curve(paper, claim.env, model_b)
    if claim.metric == "auc":
        if curve_a.empty or curve_b.empty:
            return float("nan")
        # Only the steps both read-off curves cover, so neither gets credit for a longer range.
        start = max(curve_a["step"].min(), curve_b["step"].min())
        areas = [area_under_curve(c.loc[c["step"] >= start], max_step) for c in (curve_a, curve_b)]
        return areas[0] - areas[1]
    if claim.metric == "steps_to_threshold" and threshold is not None:
        a = steps_to_threshold(curve_a.loc[curve_a["step"] <= max_step], threshold)
        b = steps_to_threshold(curve_b.loc[curve_b["step"] <= max_step], threshold)
        return a - b
    return float("nan")  # transitions per second: the paper gives no numbers


# --------------------------------------------------------------------------- the table


def _fmt(x: float, signed: bool = False) -> str:
    if math.isnan(x):
        return "n/a"
    return f"{x:+.4g}" if signed else f"{x:.4g}"


def _values(frame: pd.DataFrame, model: str, column: str) -> np.ndarray:
    if frame.empty or column not in frame.columns:
        return np.zeros(0)
    return frame.loc[frame["model"] == model, column].to_numpy(dtype=np.float64)


#: How the evidence names each metric (final_scores.csv and compute.csv columns).
METRIC_NAMES: dict[str, str] = {
    "final_return": "final return (paper protocol)",
    "auc": "area under the curve",
    "steps_to_threshold": "steps to threshold",
    "transitions_per_s": "transitions per second",
}


def _pending_row(
    claim_id: str, text: str, evidence: str, verdict: Verdict = NOT_YET_RUN
) -> dict[str, object]:
    """A check with no numbers to show: its verdict (default "not yet run") and why."""
    nan = float("nan")
    return {
        "claim_id": claim_id,
        "claim": text,
        "paper_value": nan,
        "reproduced_value": nan,
        "ci_low": nan,
        "ci_high": nan,
        "tolerance": nan,
        "verdict": verdict,
        "evidence": evidence,
    }


def _scored_runs(metric: str, values: np.ndarray) -> int:
    """How many runs have a score. A NaN steps-to-threshold is a score (never reached: censored
    at the budget); any other NaN is a run without one (it stopped before the final window)."""
    if metric == "steps_to_threshold":
        return len(values)
    return int((~np.isnan(values)).sum())


def _censor_at_budget(
    values: dict[str, np.ndarray], max_step: int
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Steps to threshold with never-reached runs (NaN) counted as the budget, and a note per
    model that had some. Censoring understates, never overstates, a difference: such a run
    took at least max_step steps."""
    notes = []
    for model, steps in values.items():
        censored = int(np.isnan(steps).sum())
        if censored:
            notes.append(
                f"{censored} of {len(steps)} {model} runs never reached it "
                f"and count as the budget ({max_step})"
            )
    return {model: np.nan_to_num(steps, nan=max_step) for model, steps in values.items()}, notes


def _never_reached_row(
    claim: Comparison,
    text: str,
    models: tuple[str, str],
    threshold: float,
    max_step: int,
    paper_value: float,
) -> dict[str, object]:
    """Claims 3/5 when no run of either model reached the threshold: both sides would be the
    budget, so no difference is reported (a "0 [0, 0]" would look measured), only the paper's.
    Below the paper's budget the runs are too short to say; at it, the seeds cannot tell the
    models apart."""
    paper_budget = registry().paper_budgets.get(claim.env)
    short = paper_budget is not None and max_step < paper_budget
    evidence = (
        f"no {models[0]} or {models[1]} run reached {_fmt(threshold)} within {max_step} steps"
    )
    if short:
        evidence += f", a shorter budget than the paper's ({paper_budget}): needs paper scale"
    row = _pending_row(claim.claim_id, text, evidence, NEEDS_PAPER_SCALE if short else INCONCLUSIVE)
    return {**row, "paper_value": paper_value}


def _direction_row(
    claim: Comparison,
    model_a: str,
    model_b: str,
    final_scores: pd.DataFrame,
    throughput: pd.DataFrame,
    paper: pd.DataFrame,
    *,
    max_step: int,
    threshold: float | None,
    last_fraction: float,
    confidence: float,
    n_resamples: int,
    seed: int,
) -> dict[str, object]:
    source = throughput if claim.metric == "transitions_per_s" else final_scores
    a = _values(source, model_a, claim.metric)
    b = _values(source, model_b, claim.metric)
    text = f"{claim.env.capitalize()}: {claim.text}"
    missing = [
        model
        for model, values in ((model_a, a), (model_b, b))
        if not _scored_runs(claim.metric, values)
    ]
    if missing:
        return _pending_row(
            claim.claim_id, text, f"no scored {claim.env} runs of {', '.join(missing)}"
        )
    notes = []
    if claim.metric == "steps_to_threshold":
        if threshold is None:
            return _pending_row(
                claim.claim_id,
                text,
                "not measured: no threshold configured for this experiment "
                "(experiment key `threshold`)",
                INCONCLUSIVE,
            )
        text = f"{text} (steps to reach {_fmt(threshold)})"
        if np.isnan(a).all() and np.isnan(b).all():
            paper_diff = _paper_difference(
                claim, model_a, model_b, paper, max_step, last_fraction, threshold
            )
            return _never_reached_row(
                claim, text, (model_a, model_b), threshold, max_step, paper_diff
            )
        censored, notes = _censor_at_budget({model_a: a, model_b: b}, max_step)
        a, b = censored[model_a], censored[model_b]
    stats = compare_models(a, b, confidence, n_resamples, seed)
    verdict = (
        at_least_verdict(stats["diff"], stats["ci_low"], stats["ci_high"])
        if claim.at_least
        else direction_verdict(stats["diff"], stats["ci_low"], stats["ci_high"], claim.direction)
    )
    paper_diff = _paper_difference(
        claim, model_a, model_b, paper, max_step, last_fraction, threshold
    )
    evidence = (
        f"{METRIC_NAMES[claim.metric]}: {model_a} {_fmt(stats['mean_a'])} (n={stats['n_a']}) vs "
        f"{model_b} {_fmt(stats['mean_b'])} (n={stats['n_b']}); difference "
        f"{_fmt(stats['diff'], True)}, {confidence:.0%} CI [{_fmt(stats['ci_low'], True)}, "
        f"{_fmt(stats['ci_high'], True)}]; paper {_fmt(paper_diff, True)}"
    )
    if claim.metric == "transitions_per_s":
        notes.append("throughput is only comparable between runs on the same kind of machine")
    return {
        "claim_id": claim.claim_id,
        "claim": text,
        "paper_value": paper_diff,
        "reproduced_value": stats["diff"],
        "ci_low": stats["ci_low"],
        "ci_high": stats["ci_high"],
        "tolerance": float("nan"),  # a direction claim has no tolerance: the CI decides
        "verdict": verdict,
        "evidence": "; ".join([evidence, *notes]),
    }


def _value_row(
    claim_id: str,
    model: str,
    env: str,
    final_scores: pd.DataFrame,
    paper: pd.DataFrame,
    *,
    max_step: int,
    last_fraction: float,
    abs_tolerance: float,
    confidence: float,
    n_resamples: int,
    seed: int,
) -> dict[str, object]:
    values = _values(final_scores, model, "final_return")
    values = values[~np.isnan(values)]
    paper_value, read_accuracy = paper_final_value(paper, env, model, max_step, last_fraction)
    tolerance = value_tolerance(read_accuracy, abs_tolerance)
    mean = float(values.mean()) if len(values) else float("nan")
    ci_low, ci_high = t_ci(values, confidence)
    verdict = value_verdict(mean, ci_low, ci_high, paper_value, tolerance)
    low_step = max_step * (1 - last_fraction)
    if math.isnan(mean):
        evidence = f"no scored {env} runs of {model}"
    elif math.isnan(paper_value):
        evidence = (
            f"the paper's Fig. 5 has no {model} value for steps in ({low_step:.0f}, {max_step}]: "
            "needs a run at the paper's budget"
        )
    else:
        evidence = (
            f"{model} final return (paper protocol) {_fmt(mean)} (n={len(values)}), "
            f"{confidence:.0%} CI [{_fmt(ci_low)}, {_fmt(ci_high)}]; paper {_fmt(paper_value)} "
            f"read to +/-{_fmt(read_accuracy)}, so the band {_fmt(paper_value - tolerance)} to "
            f"{_fmt(paper_value + tolerance)} (tolerance {_fmt(tolerance)})"
        )
    return {
        "claim_id": claim_id,
        "claim": f"{env.capitalize()}: {model}'s final return (paper protocol) matches the "
        "paper's Fig. 5 value",
        "paper_value": paper_value,
        "reproduced_value": mean,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "tolerance": tolerance,
        "verdict": verdict,
        "evidence": evidence,
    }


def _claim_number(claim_id: str) -> int:
    """The paper claim a check's id files it under: '1c' -> 1, '3' -> 3 (ids start with it,
    reference/paper.yaml)."""
    return int(re.match(r"\d+", claim_id).group())


def _unplayed_row(claim_id: str, text: str, env: str, roles: Sequence[str]) -> dict[str, object]:
    """A claim whose role(s) no model of the experiment plays: nothing to judge."""
    named = " and ".join(f"'{role}'" for role in roles)
    return _pending_row(
        claim_id,
        text,
        f"no model of this {env} experiment has the role {named} "
        f"(the `role:` of a model in the experiment file)",
    )


def claims_table(
    final_scores: pd.DataFrame,
    throughput: pd.DataFrame,
    paper: pd.DataFrame,
    env: str,
    roles: Mapping[str, str],
    *,
    max_step: int,
    env_options: Mapping[str, object] | None = None,
    threshold: float | None = None,
    last_fraction: float = 0.1,
    abs_tolerance: float | None = None,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per check of the registry (reference/paper.yaml) about `env`, each judged on the
    models that play the roles it names, in the paper's claim order (by claim number, then id;
    the registry's ids put a claim's comparisons before its value checks).

    Checks whose roles no model plays, or whose models have no runs, say "not yet run", so an
    experiment with no runs at all still lists every check (warehouse: 1a, 1b, 1c, 1d, 2a, 2b,
    2c, 2d, 3, 6a, 6b).

    Args:
        final_scores: Columns model, seed, final_return, auc, steps_to_threshold (one row per
            run; NaN where a run has no score, e.g. never reached the threshold).
        throughput: Columns model, seed, transitions_per_s (one row per run).
        paper: The Fig. 5 values of `env` under the experiment's model names
            (`roles.paper_for_experiment`): env, model, step, mean_return, kind, read_accuracy.
        env: Environment of the runs.
        roles: The experiment's roster, model name -> role.
        max_step: Training budget in per-worker steps (final window, threshold censoring).
        env_options: The experiment's env options; a check that names options (claim 7:
            flicker) applies only when they match.
        threshold: Return threshold used for final_scores' steps_to_threshold (None: claims 3/5
            are "inconclusive", nothing was measured).
        last_fraction: Final-score window as a share of the budget (as in `final_score`).
        abs_tolerance: Smallest value-check tolerance (default: the env's `value_tolerance` in
            the registry, 1.0 for an env it does not list).
        confidence, n_resamples, seed: Bootstrap settings.

    Returns:
        Columns `CLAIMS_COLUMNS`: claim_id, claim, paper_value, reproduced_value, ci_low,
        ci_high, tolerance, verdict, evidence. For direction claims paper_value and
        reproduced_value are differences mean(a) - mean(b) and tolerance is NaN.
    """
    facts = registry()
    if abs_tolerance is None:
        fig5 = facts.fig5_rows.get(env)
        abs_tolerance = fig5.value_tolerance if fig5 is not None else 1.0
    played = models_by_role(roles)
    settings = {"confidence": confidence, "n_resamples": n_resamples, "seed": seed}
    rows = []
    options = env_options or {}
    for claim in facts.comparisons:
        if claim.env != env or any(options.get(k) != v for k, v in claim.env_options.items()):
            continue
        if claim.role_a not in played or claim.role_b not in played:
            missing = [r for r in (claim.role_a, claim.role_b) if r not in played]
            rows.append(
                _unplayed_row(claim.claim_id, f"{env.capitalize()}: {claim.text}", env, missing)
            )
            continue
        rows.append(
            _direction_row(
                claim,
                played[claim.role_a],
                played[claim.role_b],
                final_scores,
                throughput,
                paper,
                max_step=max_step,
                threshold=threshold,
                last_fraction=last_fraction,
                **settings,
            )
        )
    for check in facts.value_checks:
        if check.env != env:
            continue
        if check.role not in played:
            text = (
                f"{env.capitalize()}: the {check.role} model's final return (paper protocol) "
                "matches the paper's Fig. 5 value"
            )
            rows.append(_unplayed_row(check.claim_id, text, env, [check.role]))
            continue
        rows.append(
            _value_row(
                check.claim_id,
                played[check.role],
                env,
                final_scores,
                paper,
                max_step=max_step,
                last_fraction=last_fraction,
                abs_tolerance=float(abs_tolerance),
                **settings,
            )
        )
    # The paper's claim order (1a, 1b, 1c, 1d, 2a, ...), as the book's pages list them.
    rows.sort(key=lambda row: (_claim_number(str(row["claim_id"])), str(row["claim_id"])))
    return pd.DataFrame(rows, columns=list(CLAIMS_COLUMNS))
