"""Statistics across experiments (iam_repro.analysis.reliable) against hand-computed values.

Each expected number below is worked out in the comment beside it from the definitions of
Agarwal et al. (2021) / rliable. Bootstrap intervals are checked on inputs whose replicate
distribution is known exactly (e.g. two runs {0, 1}: replicate means 0, 0.5, 1 with
probabilities 1/4, 1/2, 1/4, so the 2.5 % and 97.5 % quantiles of 10,000 replicates are 0 and 1).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

from iam_repro.analysis import reliable


def test_normalise_scores_maps_random_to_0_and_reference_to_1():
    # (x - r) / (ref - r) with r = 5, ref = 41: 5 -> 0, 41 -> 1, 23 -> 18/36 = 0.5
    assert reliable.normalise_scores([5.0, 41.0, 23.0], 5.0, 41.0) == pytest.approx([0, 1, 0.5])
    # traffic-like negative returns: r = -60, ref = -3.47; -31.735 is halfway
    assert reliable.normalise_scores([-31.735], -60.0, -3.47) == pytest.approx([0.5])


@pytest.mark.parametrize(
    ("random", "reference"), [(math.nan, 41.0), (5.0, math.nan), (5, 5), (9, 5)]
)
def test_normalise_scores_without_a_usable_scale_is_nan(random, reference):
    out = reliable.normalise_scores(np.ones((2, 3)), random, reference)
    assert out.shape == (2, 3) and np.isnan(out).all()


def test_reference_is_the_paper_value_else_the_best_run():
    assert reliable.reference_score(41.0, [30.0, 50.0]) == (41.0, "paper")
    assert reliable.reference_score(None, [3.0, math.nan, 7.5, 1.0]) == (7.5, "best run")
    assert reliable.reference_score(math.nan, [-2.0, -1.0]) == (-1.0, "best run")
    value, rule = reliable.reference_score(None, [math.nan])
    assert math.isnan(value) and rule == "none"


def test_iqm_hand_values():
    # 8 values: int(0.25 * 8) = 2 cut from each end -> mean(3, 4, 5, 6) = 4.5
    assert reliable.iqm([8, 1, 7, 2, 6, 3, 5, 4]) == 4.5
    # 6 values sorted 0 1 2 3 10 100: 1 cut from each end -> mean(1, 2, 3, 10) = 4.0
    assert reliable.iqm([10, 0, 1, 2, 3, 100]) == 4.0
    # fewer than 4 values: nothing cut, the mean
    assert reliable.iqm([1, 2, 6]) == 3.0
    assert reliable.iqm([7.0]) == 7.0
    assert math.isnan(reliable.iqm([]))
    assert math.isnan(reliable.iqm([math.nan]))


def test_iqm_pools_all_runs_of_all_tasks():
    # strata [0 1 2 3] and [10 100] pooled are the 6 values above -> 4.0
    estimate = reliable.interval_estimate([[0, 1, 2, 3], [10, 100]], "iqm")["estimate"]
    assert estimate == 4.0


def test_mean_is_the_mean_of_task_means():
    # (mean(0,1,2,3) + mean(10,100)) / 2 = (1.5 + 55) / 2 = 28.25 (the pooled mean would be 19.33)
    assert reliable.mean_of_means([[0, 1, 2, 3], [10, 100]]) == 28.25
    assert reliable.interval_estimate([[0, 1, 2, 3], [10, 100]], "mean")["estimate"] == 28.25
    # NaN runs and empty tasks are left out
    assert reliable.mean_of_means([[1, math.nan, 3], []]) == 2.0
    assert math.isnan(reliable.mean_of_means([]))


def test_probability_of_improvement_hand_values():
    # x = [3 4], y = [1 2 3]: pairs won by x: 3>1, 3>2, 3=3 (1/2), 4>1, 4>2, 4>3 -> 5.5 / 6
    assert reliable.probability_of_improvement([[3, 4]], [[1, 2, 3]]) == pytest.approx(11 / 12)
    # x = [1 2 3], y = [2 2]: 1<2 twice (0), 2=2 twice (1/2 each), 3>2 twice (2) -> 3 / 6
    assert reliable.probability_of_improvement([[1, 2, 3]], [[2, 2]]) == 0.5
    # averaged over tasks: (11/12 + 0) / 2 = 11/24
    both = reliable.probability_of_improvement([[3, 4], [0]], [[1, 2, 3], [1]])
    assert both == pytest.approx(11 / 24)
    # a task where one side has no score is left out; none left -> NaN
    assert reliable.probability_of_improvement([[3, 4], []], [[1, 2, 3], [1]]) == pytest.approx(
        11 / 12
    )
    assert math.isnan(reliable.probability_of_improvement([[1.0]], [[math.nan]]))


def test_probability_of_improvement_is_mann_whitney_u_over_nm():
    rng = np.random.default_rng(3)
    for n, m in [(1, 1), (2, 5), (5, 5), (7, 3)]:
        x, y = rng.integers(0, 4, n).astype(float), rng.integers(0, 4, m).astype(float)
        u = scipy.stats.mannwhitneyu(x, y, alternative="greater").statistic
        assert reliable.probability_of_improvement([x], [y]) == pytest.approx(u / (n * m))


def test_performance_profile_hand_values():
    # pooled scores 0, 0.5, 1, 1.5: share > 0 is 3/4, > 0.5 is 2/4, > 1 is 1/4, > 2 is 0
    profile = reliable.performance_profile([[0, 0.5], [1, 1.5]], [0, 0.5, 1, 2])
    assert profile.tolist() == [0.75, 0.5, 0.25, 0.0]
    assert np.isnan(reliable.performance_profile([[]], [0, 1])).all()


def test_profile_taus_span_random_reference_and_every_score():
    taus = reliable.profile_taus([0.2, 0.9], num=6)
    assert taus.tolist() == pytest.approx([0, 0.25, 0.5, 0.75, 1.0, 1.25])
    wide = reliable.profile_taus([-0.5, 2.0, math.nan], num=3)
    assert wide.tolist() == pytest.approx([-0.5, 0.75, 2.0])


def test_bootstrap_interval_of_two_runs_hand_computed():
    # replicate means of {0, 1}: 0 (p 1/4), 0.5 (p 1/2), 1 (p 1/4) -> 95 % interval [0, 1]
    result = reliable.interval_estimate([[0.0, 1.0]], "mean", n_resamples=10_000, seed=0)
    assert result == {"estimate": 0.5, "ci_low": 0.0, "ci_high": 1.0, "runs": 2, "tasks": 1}


def test_bootstrap_resamples_within_tasks_only():
    # Every replicate keeps each task's runs: [0 0] stays all 0, [1 1] all 1, so the mean of
    # task means is always 0.5 and the pooled 8 runs (four 0s, four 1s) always have IQM
    # mean(0, 0, 1, 1) = 0.5; a bootstrap across tasks would give other values.
    mean = reliable.interval_estimate([[0, 0], [1, 1]], "mean")
    assert (mean["ci_low"], mean["ci_high"]) == (0.5, 0.5)
    iqm = reliable.interval_estimate([[0, 0, 0, 0], [1, 1, 1, 1]], "iqm")
    assert (iqm["estimate"], iqm["ci_low"], iqm["ci_high"]) == (0.5, 0.5, 0.5)


def test_profile_band_hand_computed():
    # strata [0 0.5] and [1 1.5]; tau = 0.5: task 1 never exceeds it, task 2 always twice ->
    # always 2/4. tau = 0: task 2 gives 2, task 1 gives k ~ Binomial(2, 1/2) -> (2 + k)/4 in
    # {0.5 (1/4), 0.75 (1/2), 1 (1/4)} -> [0.5, 1]. tau = 1: k/4 from task 2 -> [0, 0.5].
    fraction, low, high = reliable.performance_profile_ci([[0, 0.5], [1, 1.5]], [0, 0.5, 1])
    assert fraction.tolist() == [0.75, 0.5, 0.25]
    assert low.tolist() == [0.5, 0.5, 0.0]
    assert high.tolist() == [1.0, 0.5, 0.5]


def test_probability_of_improvement_interval_hand_computed():
    # x = [0 2], y = [1]: the share of x above 1 in a replicate is 0, 1/2 or 1 with
    # probabilities 1/4, 1/2, 1/4 -> estimate 0.5, interval [0, 1]
    result = reliable.probability_of_improvement_ci([[0.0, 2.0]], [[1.0]])
    assert result == {
        "estimate": 0.5,
        "ci_low": 0.0,
        "ci_high": 1.0,
        "tasks": 1,
        "runs_x": 2,
        "runs_y": 1,
    }
    # The task where X cannot lose ([5] vs [1]) stays at 1 in every replicate: the average
    # over the two tasks is 0.75 with interval [0.5, 1].
    two = reliable.probability_of_improvement_ci([[0.0, 2.0], [5.0]], [[1.0], [1.0]])
    assert (two["estimate"], two["ci_low"], two["ci_high"]) == (0.75, 0.5, 1.0)


def test_degenerate_inputs_give_nan_not_errors():
    # one run: an estimate, no interval
    one = reliable.interval_estimate([[0.7]], "iqm")
    assert one["estimate"] == 0.7 and math.isnan(one["ci_low"]) and math.isnan(one["ci_high"])
    # one run on each of several tasks: resampling cannot vary -> no interval
    single = reliable.interval_estimate([[0.1], [0.9]], "mean")
    assert single["estimate"] == 0.5 and math.isnan(single["ci_low"])
    # nothing at all
    empty = reliable.interval_estimate([[], [math.nan]], "iqm")
    assert math.isnan(empty["estimate"]) and (empty["runs"], empty["tasks"]) == (0, 0)
    poi = reliable.probability_of_improvement_ci([[1.0]], [[0.0]])
    assert poi["estimate"] == 1.0 and math.isnan(poi["ci_low"])
    fraction, low, high = reliable.performance_profile_ci([[0.3]], [0, 1])
    assert fraction.tolist() == [1.0, 0.0] and np.isnan(low).all() and np.isnan(high).all()


def test_intervals_are_seeded_and_bracket_the_estimate():
    rng = np.random.default_rng(0)
    strata = [rng.normal(size=5), rng.normal(1, size=3), rng.normal(2, size=4)]
    first = reliable.interval_estimate(strata, "iqm", n_resamples=2_000, seed=7)
    assert first == reliable.interval_estimate(strata, "iqm", n_resamples=2_000, seed=7)
    assert first["ci_low"] < first["estimate"] < first["ci_high"]
    assert first["runs"] == 12 and first["tasks"] == 3


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="metric"):
        reliable.interval_estimate([[1.0]], "median")
    with pytest.raises(ValueError, match="1-D"):
        reliable.interval_estimate([[[1.0, 2.0]]], "iqm")
    with pytest.raises(ValueError, match="one stratum per task"):
        reliable.probability_of_improvement([[1.0]], [[1.0], [2.0]])
    with pytest.raises(ValueError, match="confidence"):
        reliable.interval_estimate([[0.0, 1.0]], "mean", confidence=1.5)


def test_values_at_fractions_interpolates_inside_the_curve_only():
    # curve at steps 100, 200, 400 of a 400-step budget; NaN at 300 is skipped
    steps, values = [100, 200, 300, 400], [1.0, 3.0, math.nan, 7.0]
    out = reliable.values_at_fractions(steps, values, 400, [0.1, 0.25, 0.5, 0.75, 1.0])
    # 40 steps: before the first point -> NaN; 100 -> 1; 200 -> 3; 300 -> halfway 3..7 = 5; 400 -> 7
    assert np.isnan(out[0])
    assert out[1:].tolist() == [1.0, 3.0, 5.0, 7.0]
    with pytest.raises(ValueError, match="budget"):
        reliable.values_at_fractions(steps, values, 0, [0.5])


def test_iqm_curve_is_the_iqm_of_each_fraction():
    # two tasks, fractions (0.5, 1): column 0 pools 0, 2, 4 -> 2 (3 runs: nothing trimmed);
    # column 1 pools 1, 3 (NaN dropped) -> 2.
    curve = reliable.iqm_curve([np.array([[0.0, 1.0], [2.0, math.nan]]), np.array([[4.0, 3.0]])])
    assert curve["estimate"].tolist() == [2.0, 2.0]
    assert curve["runs"].tolist() == [3, 2]
    # Column 0 resamples task 1's {0, 2} beside task 2's 4: means 4/3 (p 1/4), 2 (p 1/2),
    # 8/3 (p 1/4) -> [4/3, 8/3]. Column 1 has one run per task: no interval.
    assert curve["ci_low"][0] == pytest.approx(4 / 3)
    assert curve["ci_high"][0] == pytest.approx(8 / 3)
    assert np.isnan(curve["ci_low"][1]) and np.isnan(curve["ci_high"][1])
    assert reliable.iqm_curve([])["estimate"].shape == (0,)


def test_point_estimates_agree_with_rliable_where_it_is_installed():
    """Cross-check with rliable's own metrics (its bootstrap needs `arch`, which does not import
    with the pinned pandas, so only the point estimates are compared)."""
    metrics = pytest.importorskip("rliable.metrics")
    rng = np.random.default_rng(1)
    for n in (1, 2, 3, 5, 8):
        a, b = rng.normal(size=(n, 4)).round(1), rng.normal(size=(n, 4)).round(1)
        columns_a, columns_b = list(a.T), list(b.T)
        assert reliable.iqm(a) == pytest.approx(metrics.aggregate_iqm(a))
        assert reliable.mean_of_means(columns_a) == pytest.approx(metrics.aggregate_mean(a))
        assert reliable.probability_of_improvement(columns_a, columns_b) == pytest.approx(
            metrics.probability_of_improvement(a, b)
        )
