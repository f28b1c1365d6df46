"""Bootstrap CIs against hand computations and scipy's implementation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from iam_repro.analysis.stats import bootstrap_ci, summarise, t_ci, welch_ci


def test_constant_sample_gives_a_zero_width_interval() -> None:
    assert bootstrap_ci([0.1, 0.1, 0.1]) == (0.1, 0.1)


def test_fewer_than_two_values_give_no_interval() -> None:
    assert all(np.isnan(bootstrap_ci([4.0])))
    assert all(np.isnan(bootstrap_ci([])))


def test_two_values_by_hand() -> None:
    # Resample means of {0, 1}: 0 (p=1/4), 0.5 (1/2), 1 (1/4). The 2.5% and 97.5% quantiles
    # fall inside the point masses at 0 and 1.
    assert bootstrap_ci([0.0, 1.0]) == (0.0, 1.0)


def test_three_values_by_hand() -> None:
    # {0, 0, 3}: mean 0 with p=(2/3)^3=0.30, mean 3 with p=(1/3)^3=0.037 > 0.025.
    assert bootstrap_ci([0.0, 0.0, 3.0]) == (0.0, 3.0)
    # At 99% the upper tail (0.005) lies inside the mass at 3 as well; at 90% (0.05 > 0.037)
    # it does not: the upper bound drops to the next support point, mean 2 (p=6/27).
    assert bootstrap_ci([0.0, 0.0, 3.0], confidence=0.9)[1] == 2.0


def test_matches_scipy_percentile_bootstrap() -> None:
    sample = np.random.default_rng(1).normal(10.0, 2.0, size=30)
    ours = bootstrap_ci(sample, confidence=0.95, n_resamples=20_000, seed=3)
    theirs = stats.bootstrap(
        (sample,),
        np.mean,
        confidence_level=0.95,
        n_resamples=20_000,
        method="percentile",
        rng=np.random.default_rng(4),
    ).confidence_interval
    standard_error = sample.std(ddof=1) / np.sqrt(len(sample))
    # Independent Monte Carlo estimates: agree to a fraction of a standard error (the
    # resampling noise of each is ~0.03 standard errors here).
    assert ours[0] == pytest.approx(theirs.low, abs=0.2 * standard_error)
    assert ours[1] == pytest.approx(theirs.high, abs=0.2 * standard_error)
    # And the interval is where theory puts it: mean +/- 1.96 standard errors.
    assert ours[0] == pytest.approx(sample.mean() - 1.96 * standard_error, abs=0.3 * standard_error)


def test_seed_makes_it_deterministic() -> None:
    sample = np.random.default_rng(0).normal(size=12)  # enough distinct resample means
    assert bootstrap_ci(sample, seed=5) == bootstrap_ci(sample, seed=5)
    assert bootstrap_ci(sample, seed=5) != bootstrap_ci(sample, seed=6)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        bootstrap_ci([1.0, np.nan])
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci([1.0, 2.0], confidence=95)
    with pytest.raises(ValueError, match="1-D"):
        bootstrap_ci([[1.0, 2.0]])


def test_summarise_by_hand_and_skips_nan() -> None:
    result = summarise([1.0, 2.0, 3.0, np.nan])
    assert result["mean"] == 2.0
    assert result["std"] == 1.0  # ddof=1: sqrt((1 + 0 + 1) / 2)
    assert result["n"] == 3
    # t interval: 2 +/- t_{0.975, 2} * 1 / sqrt(3) = 2 +/- 4.30265 / 1.73205.
    assert (result["ci_low"], result["ci_high"]) == pytest.approx(
        (2 - 2.48414, 2 + 2.48414), abs=1e-5
    )
    resampled = summarise([1.0, 2.0, 3.0, np.nan], interval="bootstrap")
    assert (resampled["ci_low"], resampled["ci_high"]) == (1.0, 3.0)  # the range, see above


def test_t_interval_by_hand_and_against_scipy() -> None:
    assert t_ci([0.0, 2.0]) == pytest.approx(
        (1 - 12.70620, 1 + 12.70620), abs=1e-5
    )  # t_{0.975,1} * 1 / 1
    assert t_ci([0.1, 0.1, 0.1]) == (0.1, 0.1)
    assert all(np.isnan(t_ci([4.0])))
    sample = np.random.default_rng(2).normal(3.0, 1.0, size=7)
    expected = stats.ttest_1samp(sample, 0.0).confidence_interval(0.9)
    assert t_ci(sample, confidence=0.9) == pytest.approx((expected.low, expected.high))


def test_welch_interval_against_scipy() -> None:
    a, b = np.array([40.7, 40.6, 41.2]), np.array([35.1, 36.0, 35.5, 34.9])
    expected = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert welch_ci(a, b) == pytest.approx((expected.low, expected.high))
    assert welch_ci([2.0, 2.0], [1.0, 1.0]) == (1.0, 1.0)  # both constant: no spread at all
    assert all(np.isnan(welch_ci([2.0], [1.0, 1.5])))


def test_summarise_one_and_no_values() -> None:
    one = summarise([5.0])
    assert (one["mean"], one["n"]) == (5.0, 1)
    assert np.isnan(one["std"]) and np.isnan(one["ci_low"]) and np.isnan(one["ci_high"])
    none = summarise([np.nan])
    assert none["n"] == 0 and np.isnan(none["mean"])
