"""Across-seed statistics: percentile-bootstrap confidence intervals and summaries.

The unit of resampling is the run (seed): per-seed scores are independent, episodes within a run
are not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["bootstrap_ci", "bootstrap_means", "summarise"]


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
    _check_confidence(confidence)
    sample = _as_sample(values)
    if len(sample) < 2:
        return float("nan"), float("nan")
    if np.all(sample == sample[0]):
        # Every resample mean is the constant; return it exactly, without summation rounding.
        return float(sample[0]), float(sample[0])
    means = bootstrap_means(sample, n_resamples, np.random.default_rng(seed))
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return float(low), float(high)


def summarise(
    values: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> dict[str, float | int]:
    """Mean, spread and bootstrap CI of per-seed scores; NaN scores are left out.

    Args:
        values: Per-seed scores, shape (n,); NaN marks a run without a score.
        confidence, n_resamples, seed: As in `bootstrap_ci`.

    Returns:
        {"mean", "std" (ddof=1, NaN for n < 2), "ci_low", "ci_high", "n" (finite values used)}.
    """
    sample = np.asarray(values, dtype=np.float64)
    sample = sample[~np.isnan(sample)]
    n = len(sample)
    ci_low, ci_high = bootstrap_ci(sample, confidence, n_resamples, seed)
    return {
        "mean": float(sample.mean()) if n else float("nan"),
        "std": float(sample.std(ddof=1)) if n >= 2 else float("nan"),
        "ci_low": ci_low,
        "ci_high": ci_high,
        "n": n,
    }
