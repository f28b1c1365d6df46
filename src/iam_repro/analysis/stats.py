"""Across-seed statistics: confidence intervals of a mean and of a difference, and summaries.

The unit is the run (seed): per-seed scores are independent, episodes within a run are not.
Intervals over seeds are Student-t intervals (Welch's for a difference): with the 2-5 seeds a
build has, a percentile bootstrap covers far less than its nominal 95 % (with 2 or 3 seeds it is
the range of the values; `benchmarks/bootstrap_coverage.py` measures it), while t keeps its
coverage for normal scores. The bootstrap stays for samples of many episodes (a run against a
random policy) and for the stratified intervals across experiments (`analysis.reliable`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy import stats as scipy_stats

__all__ = ["Interval", "bootstrap_ci", "bootstrap_means", "summarise", "t_ci", "welch_ci"]

Interval = Literal["t", "bootstrap"]
"""How an interval of a mean is made: Student-t (Welch for a difference) or percentile bootstrap."""


def _as_sample(values: Sequence[float] | np.ndarray, name: str = "values") -> np.ndarray:
    sample = np.asarray(values, dtype=np.float64)
    if sample.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {sample.shape}")
    if not np.all(np.isfinite(sample)):
        raise ValueError(f"{name} must be finite (drop NaN runs before bootstrapping): {sample}")
    return sample


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")


def _interval_sample(
    values: Sequence[float] | np.ndarray, confidence: float
) -> tuple[np.ndarray, tuple[float, float] | None]:
    """The checked sample of an interval of the mean, and the interval when it needs no
    estimate: (nan, nan) for fewer than two values, (c, c) exactly for a constant sample."""
    _check_confidence(confidence)
    sample = _as_sample(values)
    if len(sample) < 2:
        return sample, (float("nan"), float("nan"))
    if np.all(sample == sample[0]):
        return sample, (float(sample[0]), float(sample[0]))
    return sample, None


def bootstrap_means(
    values: Sequence[float] | np.ndarray, n_resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Means of `n_resamples` resamples (with replacement, same size) of `values`.

    Args:
        values: Sample, shape (n,), n >= 1, finite.
        n_resamples: Number of bootstrap resamples.
        rng: Source of randomness (the caller owns the seed).

    Returns:
        Shape (n_resamples,).
    """
    sample = _as_sample(values)
    if len(sample) == 0:
        raise ValueError("cannot bootstrap an empty sample")
    index = rng.integers(0, len(sample), size=(n_resamples, len(sample)))
    return sample[index].mean(axis=1)


def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval of the mean.

    Resample `values` with replacement `n_resamples` times, take each resample's mean, and
    return the (1-confidence)/2 and (1+confidence)/2 quantiles of those means (numpy's default
    linear interpolation) -- the same estimator as scipy.stats.bootstrap(method="percentile").

    Args:
        values: Per-seed scores, shape (n,), finite.
        confidence: Coverage of the interval, in (0, 1).
        n_resamples: Number of bootstrap resamples.
        seed: Seed of the resampling generator (results are deterministic).

    Returns:
        (low, high). A constant sample gives (c, c). Fewer than two values give (nan, nan): one
        seed says nothing about the spread, and a zero-width interval would look certain.
    """
    sample, trivial = _interval_sample(values, confidence)
    if trivial is not None:
        return trivial
    means = bootstrap_means(sample, n_resamples, np.random.default_rng(seed))
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return float(low), float(high)


def t_ci(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """Student-t confidence interval of the mean: mean +/- t_{(1+confidence)/2, n-1} * s / sqrt(n).

    Args:
        values: Per-seed scores, shape (n,), finite.
        confidence: Coverage of the interval, in (0, 1).

    Returns:
        (low, high). A constant sample gives (c, c); fewer than two values give (nan, nan).
    """
    sample, trivial = _interval_sample(values, confidence)
    if trivial is not None:
        return trivial
    n = len(sample)
    half = scipy_stats.t.ppf((1 + confidence) / 2, n - 1) * sample.std(ddof=1) / np.sqrt(n)
    mean = sample.mean()
    return float(mean - half), float(mean + half)


def welch_ci(
    a_values: Sequence[float] | np.ndarray,
    b_values: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Welch's confidence interval of mean(a) - mean(b) (unpaired, unequal variances).

    Half-width t_{(1+confidence)/2, nu} * sqrt(s_a^2/n_a + s_b^2/n_b), nu the Welch-Satterthwaite
    degrees of freedom -- what scipy.stats.ttest_ind(a, b, equal_var=False) reports.

    Args:
        a_values, b_values: Per-seed scores of the two models, finite.
        confidence: Coverage of the interval, in (0, 1).

    Returns:
        (low, high); (nan, nan) when a group has fewer than two values; (d, d) when both groups
        are constant.
    """
    _check_confidence(confidence)
    a, b = _as_sample(a_values, "a_values"), _as_sample(b_values, "b_values")
    if len(a) < 2 or len(b) < 2:
        return float("nan"), float("nan")
    diff = float(a.mean() - b.mean())
    var_a, var_b = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    if var_a + var_b == 0:
        return diff, diff
    dof = (var_a + var_b) ** 2 / (var_a**2 / (len(a) - 1) + var_b**2 / (len(b) - 1))
    half = float(scipy_stats.t.ppf((1 + confidence) / 2, dof) * np.sqrt(var_a + var_b))
    return diff - half, diff + half


def summarise(
    values: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
    interval: Interval = "t",
) -> dict[str, float | int]:
    """Mean, spread and CI of the mean of per-seed scores; NaN scores are left out.

    Args:
        values: Per-seed scores, shape (n,); NaN marks a run without a score.
        confidence: Coverage of the interval, in (0, 1).
        n_resamples, seed: As in `bootstrap_ci` (used by the bootstrap interval only).
        interval: "t" (`t_ci`, for seeds) or "bootstrap" (`bootstrap_ci`, for many episodes).

    Returns:
        {"mean", "std" (ddof=1, NaN for n < 2), "ci_low", "ci_high", "n" (finite values used)}.
    """
    sample = np.asarray(values, dtype=np.float64)
    sample = sample[~np.isnan(sample)]
    n = len(sample)
    if interval == "t":
        ci_low, ci_high = t_ci(sample, confidence)
    elif interval == "bootstrap":
        ci_low, ci_high = bootstrap_ci(sample, confidence, n_resamples, seed)
    else:
        raise ValueError(f"interval must be 't' or 'bootstrap', got {interval!r}")
    return {
        "mean": float(sample.mean()) if n else float("nan"),
        "std": float(sample.std(ddof=1)) if n >= 2 else float("nan"),
        "ci_low": ci_low,
        "ci_high": ci_high,
        "n": n,
    }
