"""Did a run learn? Its final episodes against a uniformly random policy in the same env.

The random policy's episodes come from rule random_baseline (`iam_repro.jobs.random_policy`).
A run's *final episodes* are its last `window` episodes of all workers, ordered by end step as
the rolling curve orders them, so their mean is the rolling curve's last value. The unit here is
the episode, not the seed: the question is whether the policy a run ended with plays better than
chance, which one run can answer (the quick presets train one Atari seed). Claims about models
compare seeds (`iam_repro.analysis.claims`).

Verdicts (difference of means, final minus random, with a percentile-bootstrap CI that
resamples each group's episodes independently, `compare_models`):

- "above random": the whole CI lies above 0;
- "below random": the whole CI lies below 0;
- "not distinguishable": the CI contains 0, or cannot be computed (fewer than two episodes).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from iam_repro.analysis.claims import compare_models
from iam_repro.analysis.stats import summarise

__all__ = [
    "RANDOM_POLICY_TABLE_COLUMNS",
    "VS_RANDOM_COLUMNS",
    "final_episode_returns",
    "random_policy_summary",
    "vs_random_row",
    "vs_random_verdict",
]

RANDOM_POLICY_TABLE_COLUMNS: tuple[str, ...] = ("episodes", "mean", "std", "ci_low", "ci_high")
"""Columns of random_policy.csv: one row, the random policy's episode returns summarised."""

VS_RANDOM_COLUMNS: tuple[str, ...] = (
    "model",
    "seed",
    "final_episodes",
    "final_mean",
    "random_mean",
    "diff",
    "ci_low",
    "ci_high",
    "verdict",
)
"""Columns of vs_random.csv: one row per run."""


def final_episode_returns(episodes: pd.DataFrame, window: int) -> np.ndarray:
    """Returns of a run's last `window` episodes (all workers; by end step, ties by worker).

    Args:
        episodes: One run's episode rows with columns r, worker, step.
        window: Episodes kept (fewer when the run has fewer).
    """
    ordered = episodes.sort_values(["step", "worker"], kind="stable")
    return ordered["r"].to_numpy(dtype=np.float64)[-window:]


def random_policy_summary(
    returns: np.ndarray, confidence: float, n_resamples: int, seed: int
) -> pd.DataFrame:
    """random_policy.csv: the random episodes' count, mean, spread and the CI of their mean."""
    stats = summarise(returns, confidence, n_resamples, seed, interval="bootstrap")
    row = {"episodes": stats["n"], **{k: stats[k] for k in ("mean", "std", "ci_low", "ci_high")}}
    return pd.DataFrame([row], columns=list(RANDOM_POLICY_TABLE_COLUMNS))


def vs_random_verdict(diff: float, ci_low: float, ci_high: float) -> str:
    """The verdict of the module docstring for a difference (final - random) and its CI."""
    if math.isnan(diff) or math.isnan(ci_low) or math.isnan(ci_high):
        return "not distinguishable"
    if ci_low > 0:
        return "above random"
    if ci_high < 0:
        return "below random"
    return "not distinguishable"


def vs_random_row(
    model: str,
    seed: int,
    final_returns: np.ndarray,
    random_returns: np.ndarray,
    confidence: float,
    n_resamples: int,
    bootstrap_seed: int,
) -> dict[str, object]:
    """One row of vs_random.csv (`VS_RANDOM_COLUMNS`)."""
    compared = compare_models(
        final_returns, random_returns, confidence, n_resamples, bootstrap_seed, "bootstrap"
    )
    return {
        "model": model,
        "seed": seed,
        "final_episodes": compared["n_a"],
        "final_mean": compared["mean_a"],
        "random_mean": compared["mean_b"],
        "diff": compared["diff"],
        "ci_low": compared["ci_low"],
        "ci_high": compared["ci_high"],
        "verdict": vs_random_verdict(compared["diff"], compared["ci_low"], compared["ci_high"]),
    }
