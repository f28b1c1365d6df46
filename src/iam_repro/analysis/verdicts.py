"""The verdict a claim check gets, and the rules that give it (``iam_repro.analysis.claims``).

One principle: a claim gets a verdict only when its confidence interval over seeds settles it.
"reproduced" when the whole CI lies in the claimed region, "contradicted" when it lies wholly
outside, "inconclusive" when it reaches across the region's edge (whatever the sign of the
mean), "inconclusive (n = 1)" when a model has one seed and so no CI, "needs paper scale" when
runs exist but end before the paper has a value, "not yet run" when a model the check needs is
not in the build. `compare_models` gives the difference of two models' per-seed means with its
CI (Welch's over seeds; `analysis.stats` says why not a bootstrap); the three rule functions turn
an estimate and its CI into a verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

from iam_repro.analysis.stats import Interval, bootstrap_means, welch_ci

__all__ = [
    "CONTRADICTED",
    "INCONCLUSIVE",
    "NEEDS_PAPER_SCALE",
    "NOT_YET_RUN",
    "ONE_SEED",
    "REPRODUCED",
    "VERDICTS",
    "Verdict",
    "at_least_verdict",
    "compare_models",
    "direction_verdict",
    "value_tolerance",
    "value_verdict",
]

Verdict = Literal[
    "reproduced",
    "contradicted",
    "inconclusive",
    "inconclusive (n = 1)",
    "needs paper scale",
    "not yet run",
]

REPRODUCED: Verdict = "reproduced"
CONTRADICTED: Verdict = "contradicted"
INCONCLUSIVE: Verdict = "inconclusive"
ONE_SEED: Verdict = "inconclusive (n = 1)"
NEEDS_PAPER_SCALE: Verdict = "needs paper scale"
NOT_YET_RUN: Verdict = "not yet run"

VERDICTS: tuple[Verdict, ...] = (
    REPRODUCED,
    CONTRADICTED,
    INCONCLUSIVE,
    ONE_SEED,
    NEEDS_PAPER_SCALE,
    NOT_YET_RUN,
)
"""Every verdict a check can get, in the order the book counts them (rules: module doc)."""


def compare_models(
    a_values: Sequence[float] | np.ndarray,
    b_values: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
    interval: Interval = "t",
) -> dict[str, float | int]:
    """Difference of means mean(a) - mean(b) with its CI; the groups are unpaired.

    interval "t": Welch's interval (`stats.welch_ci`), for per-seed scores. "bootstrap": a
    percentile bootstrap that resamples each group independently and takes the
    (1-confidence)/2 and (1+confidence)/2 quantiles of the resampled differences, for samples
    of many episodes.

    Args:
        a_values: Per-seed scores of model a, shape (n_a,); NaN entries are left out.
        b_values: Per-seed scores of model b, shape (n_b,); NaN entries are left out.
        confidence: Coverage of the interval, in (0, 1).
        n_resamples: Bootstrap resamples (bootstrap interval only).
        seed: Seed of the resampling generator (bootstrap interval only).
        interval: "t" or "bootstrap", as above.

    Returns:
        {"diff", "ci_low", "ci_high", "mean_a", "mean_b", "n_a", "n_b"}; diff is NaN if a group
        is empty, the CI is NaN if a group has fewer than two values.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    a = np.asarray(a_values, dtype=np.float64)
    b = np.asarray(b_values, dtype=np.float64)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    nan = float("nan")
    result: dict[str, float | int] = {
        "diff": nan,
        "ci_low": nan,
        "ci_high": nan,
        "mean_a": float(a.mean()) if len(a) else nan,
        "mean_b": float(b.mean()) if len(b) else nan,
        "n_a": len(a),
        "n_b": len(b),
    }
    if len(a) == 0 or len(b) == 0:
        return result
    result["diff"] = float(result["mean_a"] - result["mean_b"])
    if len(a) < 2 or len(b) < 2:
        return result
    if interval == "t":
        result["ci_low"], result["ci_high"] = welch_ci(a, b, confidence)
        return result
    if interval != "bootstrap":
        raise ValueError(f"interval must be 't' or 'bootstrap', got {interval!r}")
    rng = np.random.default_rng(seed)
    diffs = bootstrap_means(a, n_resamples, rng) - bootstrap_means(b, n_resamples, rng)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(diffs, [alpha, 1 - alpha])
    result["ci_low"], result["ci_high"] = float(low), float(high)
    return result


def _no_ci(ci_low: float, ci_high: float) -> bool:
    """Whether a CI is missing (compare_models and the stats intervals give NaN for one seed)."""
    return math.isnan(ci_low) or math.isnan(ci_high)


def direction_verdict(diff: float, ci_low: float, ci_high: float, direction: int) -> Verdict:
    """Verdict for "a > b" (direction=+1) or "a < b" (direction=-1) from mean(a) - mean(b) and
    its CI: reproduced when the whole CI is strictly on the claimed side of 0, contradicted
    when it is strictly on the other side, inconclusive when it contains 0 (the sign of the
    mean plays no part). NaN diff: not yet run; NaN CI (a model with one seed): inconclusive
    (n = 1)."""
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    if math.isnan(diff):
        return NOT_YET_RUN
    if _no_ci(ci_low, ci_high):
        return ONE_SEED
    # On the claim's own scale (x direction) the claimed side is > 0.
    low, high = sorted((direction * ci_low, direction * ci_high))
    if low > 0:
        return REPRODUCED
    if high < 0:
        return CONTRADICTED
    return INCONCLUSIVE


def at_least_verdict(diff: float, ci_low: float, ci_high: float) -> Verdict:
    """Verdict for "a is at least as good as b" (claim 7) from mean(a) - mean(b) and its CI:
    the claimed side is >= 0 (a tie is "at least as good"), so reproduced when ci_low >= 0,
    contradicted when ci_high < 0, inconclusive otherwise. NaN diff: not yet run; NaN CI (a
    model with one seed): inconclusive (n = 1)."""
    if math.isnan(diff):
        return NOT_YET_RUN
    if _no_ci(ci_low, ci_high):
        return ONE_SEED
    if ci_low >= 0:
        return REPRODUCED
    if ci_high < 0:
        return CONTRADICTED
    return INCONCLUSIVE


def value_tolerance(read_accuracy: float, abs_tolerance: float) -> float:
    """Half-width of the band around a paper value read off its figure: twice the reading
    accuracy, at least `abs_tolerance` (the environment's); NaN read accuracy (no paper value)
    stays NaN, which max() would silently drop."""
    return float("nan") if math.isnan(read_accuracy) else max(2 * read_accuracy, abs_tolerance)


def value_verdict(
    value: float, ci_low: float, ci_high: float, paper_value: float, tolerance: float
) -> Verdict:
    """Verdict for "the reproduced mean equals the paper's value": reproduced when the whole CI
    lies within paper_value +/- tolerance, contradicted when it lies wholly outside that band,
    inconclusive when it reaches across an edge of the band. NaN value (no runs): not yet run;
    NaN paper value (none at this budget): needs paper scale; NaN CI (one seed): inconclusive
    (n = 1)."""
    if math.isnan(value):
        return NOT_YET_RUN
    if math.isnan(paper_value):
        return NEEDS_PAPER_SCALE
    if _no_ci(ci_low, ci_high):
        return ONE_SEED
    band_low, band_high = paper_value - tolerance, paper_value + tolerance
    if band_low <= ci_low and ci_high <= band_high:
        return REPRODUCED
    if ci_high < band_low or ci_low > band_high:
        return CONTRADICTED
    return INCONCLUSIVE
