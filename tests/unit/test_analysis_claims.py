"""Claim verdicts: the rules on hand-made numbers, and the claims table on synthetic scores."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from iam_repro.analysis.claims import (
    CLAIMS_COLUMNS,
    at_least_verdict,
    claims_table,
    compare_models,
    direction_verdict,
    paper_final_value,
    value_verdict,
)
from iam_repro.analysis.roles import paper_for_experiment
from iam_repro.reference import load_paper_fig5

NAN = float("nan")
# The experiment files' rosters (the paper's own names, so its Fig. 5 needs no renaming).
WAREHOUSE_ROLES = {"FNN1": "fnn_1", "FNN8": "fnn_k", "LSTM": "lstm", "IAM": "iam"}
TRAFFIC_ROLES = {"FNN1": "fnn_1", "FNN32": "fnn_k", "LSTM": "lstm", "IAM": "iam"}


@pytest.fixture(scope="module")
def paper() -> pd.DataFrame:
    return load_paper_fig5()


def test_compare_models_by_hand() -> None:
    same = compare_models([2.0, 2.0], [1.0, 1.0])
    assert (same["diff"], same["ci_low"], same["ci_high"]) == (1.0, 1.0, 1.0)
    # Welch: s_a^2 / n_a = 0.5 / 2 = 0.25, b constant, so nu = n_a - 1 = 1 and the half-width is
    # t_{0.975, 1} * sqrt(0.25) = 12.7062 * 0.5.
    spread = compare_models([0.0, 1.0], [0.0, 0.0])
    assert spread["diff"] == 0.5
    assert (spread["ci_low"], spread["ci_high"]) == pytest.approx((0.5 - 6.3531, 0.5 + 6.3531))
    assert (spread["mean_a"], spread["mean_b"], spread["n_a"], spread["n_b"]) == (0.5, 0.0, 2, 2)
    # The bootstrap (for episodes): a's resample means are 0, 0.5, 1, so the CI spans them.
    resampled = compare_models([0.0, 1.0], [0.0, 0.0], interval="bootstrap")
    assert (resampled["diff"], resampled["ci_low"], resampled["ci_high"]) == (0.5, 0.0, 1.0)
    with pytest.raises(ValueError, match="interval"):
        compare_models([0.0, 1.0], [0.0, 0.0], interval="normal")


def test_compare_models_small_and_empty_groups() -> None:
    one = compare_models([3.0], [1.0, 2.0])
    assert one["diff"] == 1.5 and math.isnan(one["ci_low"]) and math.isnan(one["ci_high"])
    empty = compare_models([], [1.0, 2.0])
    assert math.isnan(empty["diff"]) and empty["n_a"] == 0
    dropped = compare_models([1.0, NAN, 3.0], [0.0, 0.0])
    assert dropped["n_a"] == 2 and dropped["diff"] == 2.0


@pytest.mark.parametrize(
    ("diff", "low", "high", "direction", "verdict"),
    [
        (1.0, 0.5, 1.5, 1, "reproduced"),
        (1.0, -0.5, 1.5, 1, "inconclusive"),  # the CI contains 0: the mean's sign is no verdict
        (-1.0, -1.5, 0.5, 1, "inconclusive"),  # ... whichever side the mean is on
        (1.0, 0.0, 1.5, 1, "inconclusive"),  # a CI touching 0 does not exclude it
        (0.0, 0.0, 0.0, 1, "inconclusive"),  # identical seeds, a tie: not "above"
        (1.0, NAN, NAN, 1, "inconclusive (n = 1)"),  # one seed: no CI
        (-1.0, -2.0, -0.5, 1, "contradicted"),  # the whole CI below 0
        (-1.0, -2.0, 0.0, 1, "inconclusive"),  # touching 0 from the other side
        (-1.0, -2.0, -0.5, -1, "reproduced"),
        (-1.0, -2.0, 0.5, -1, "inconclusive"),
        (1.0, 0.5, 1.5, -1, "contradicted"),
        (NAN, NAN, NAN, 1, "not yet run"),
        (NAN, NAN, NAN, -1, "not yet run"),
    ],
)
def test_direction_verdict_rules(
    diff: float, low: float, high: float, direction: int, verdict: str
) -> None:
    assert direction_verdict(diff, low, high, direction) == verdict


def test_direction_must_be_a_sign() -> None:
    with pytest.raises(ValueError):
        direction_verdict(1.0, 0.0, 2.0, 0)


@pytest.mark.parametrize(
    ("value", "low", "high", "paper_value", "tolerance", "verdict"),
    [
        # The band is paper_value +/- tolerance: [39, 41] for the paper's 40.
        (40.5, 40.0, 41.0, 40.0, 1.0, "reproduced"),  # the CI just fits the band
        (40.0, 39.0, 41.0, 40.0, 1.0, "reproduced"),  # both ends exactly on the band's edges
        (40.5, 39.5, 41.5, 40.0, 1.0, "inconclusive"),  # the mean is inside, the CI is not
        (38.0, 37.0, 39.0, 40.0, 1.0, "inconclusive"),  # mean outside, CI reaches the band
        (38.0, 37.5, 38.5, 40.0, 1.0, "contradicted"),  # the whole CI below 39
        (42.0, 41.5, 42.5, 40.0, 1.0, "contradicted"),  # the whole CI above 41
        (40.0, NAN, NAN, 40.0, 1.0, "inconclusive (n = 1)"),  # one seed, even a perfect match
        (NAN, NAN, NAN, 40.0, 1.0, "not yet run"),
        (NAN, NAN, NAN, NAN, NAN, "not yet run"),  # no runs outranks no paper value
        (38.0, 37.0, 39.0, NAN, NAN, "needs paper scale"),  # no paper value at this budget
    ],
)
def test_value_verdict_rules(
    value: float, low: float, high: float, paper_value: float, tolerance: float, verdict: str
) -> None:
    assert value_verdict(value, low, high, paper_value, tolerance) == verdict


def test_paper_final_value_reads_the_same_window_as_final_score(paper: pd.DataFrame) -> None:
    # Warehouse IAM points in (3.6e6, 4e6]: 40.85, 40.80, 41.10, 41.00.
    assert paper_final_value(paper, "warehouse", "IAM", 4_000_000) == pytest.approx((40.9375, 0.1))
    assert paper_final_value(paper, "warehouse", "IAM", 1_000_000) == (36.8, 0.2)
    # FNN lines exist only at the end of training.
    assert paper_final_value(paper, "warehouse", "FNN8", 4_000_000) == (35.65, 0.1)
    assert all(math.isnan(x) for x in paper_final_value(paper, "warehouse", "FNN8", 2_000_000))
    assert paper_final_value(paper, "traffic", "FNN32", 2_000_000) == (-4.18, 0.05)


def scores() -> pd.DataFrame:
    rows = {
        # model: (final_return per seed, auc per seed, steps_to_threshold per seed)
        "IAM": ([41.0, 42.0, 40.0], [30.0, 34.0, 29.0], [1e6, 1.2e6, NAN]),
        "LSTM": ([35.0, 36.0, 34.0], [29.0, 32.0, 30.0], [NAN, NAN, NAN]),
        "FNN8": ([35.4, 35.5, 35.6], [28.0, 28.0, 28.0], [NAN, NAN, NAN]),
        "FNN1": ([41.4, 41.5, 41.6], [33.0, 33.0, 33.0], [2e6, 2e6, 2e6]),
    }
    return pd.DataFrame(
        [
            {"model": m, "seed": s, "final_return": f[s], "auc": a[s], "steps_to_threshold": t[s]}
            for m, (f, a, t) in rows.items()
            for s in range(3)
        ]
    )


def throughput() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": ["IAM", "IAM", "LSTM", "LSTM"],
            "seed": [0, 1, 0, 1],
            "transitions_per_s": [1000.0, 1100.0, 500.0, 600.0],
        }
    )


def test_claims_table_on_a_synthetic_warehouse_experiment(paper: pd.DataFrame) -> None:
    table = claims_table(
        scores(),
        throughput(),
        paper,
        "warehouse",
        WAREHOUSE_ROLES,
        max_step=4_000_000,
        threshold=35.0,
    )
    assert tuple(table.columns) == CLAIMS_COLUMNS
    rows = table.set_index("claim_id")
    # The paper's claim order: by claim number, comparisons before the value checks.
    ids = ["1a", "1b", "1c", "1d", "2a", "2b", "2c", "2d", "3", "6a", "6b"]
    assert list(rows.index) == ids
    # Welch CIs of differences, t CIs of means (t_{0.975, 2} = 4.3027; 3 seeds each).
    assert rows["verdict"].to_dict() == {
        "1a": "reproduced",  # 41 vs 35, s = 1 each: 6 +/- t_{0.975, 4} * sqrt(2/3) = [3.73, 8.27]
        "1b": "inconclusive",  # 31 vs 30.3, CI [-4.75, 6.09] contains 0
        "2a": "reproduced",
        "2b": "inconclusive",  # FNN1 (41.5) above IAM (41), but CI [-2.95, 1.95] contains 0
        "3": "inconclusive",  # censored IAM run (counts as 4e6): CI [-6.10e6, 2.23e6]
        "6a": "reproduced",
        "6b": "not yet run",  # no FNN8 throughput
        "1c": "inconclusive",  # 41 +/- 2.48 = [38.52, 43.48] vs band 40.94 +/- 1: reaches out
        "1d": "inconclusive",  # 35 +/- 2.48 vs band [34.33, 36.33]: reaches out
        "2c": "reproduced",  # 35.5 +/- 0.248 = [35.25, 35.75] inside the band [34.65, 36.65]
        "2d": "contradicted",  # 41.5 +/- 0.248 wholly above the band [38.35, 40.35]
    }
    assert (rows.loc["2d", "ci_low"], rows.loc["2d", "ci_high"]) == pytest.approx(
        (41.5 - 0.24841, 41.5 + 0.24841), abs=1e-5
    )
    assert (rows.loc["1a", "ci_low"], rows.loc["1a", "ci_high"]) == pytest.approx(
        (6 - 2.26696, 6 + 2.26696), abs=1e-5
    )
    assert (rows.loc["3", "ci_low"], rows.loc["3", "ci_high"]) == pytest.approx(
        (-6.09998e6, 2.23331e6), rel=1e-5
    )
    assert rows.loc["1a", "reproduced_value"] == 6.0
    assert rows.loc["1a", "paper_value"] == pytest.approx(40.9375 - 35.325)
    assert rows.loc["2b", "paper_value"] == pytest.approx(40.9375 - 39.35)
    assert rows.loc["1b", "paper_value"] > 0
    # Paper: IAM first reaches 35 at 1e6 (36.8), LSTM at 3.3e6 (35.05).
    assert rows.loc["3", "paper_value"] == -2.3e6
    # Never-reached runs count as the budget: IAM mean (1e6 + 1.2e6 + 4e6) / 3, LSTM 4e6.
    assert rows.loc["3", "reproduced_value"] == pytest.approx((1e6 + 1.2e6 + 4e6) / 3 - 4e6)
    assert "1 of 3 IAM runs never reached it" in rows.loc["3", "evidence"]
    assert "3 of 3 LSTM runs" in rows.loc["3", "evidence"]
    assert rows.loc["3", "claim"] == "Warehouse: IAM learns faster than LSTM (steps to reach 35)"
    assert math.isnan(rows.loc["6a", "paper_value"])
    assert "FNN8" in rows.loc["6b", "evidence"]
    assert rows.loc["1c", "tolerance"] == 1.0  # max(2 x 0.1, 1.0)
    assert math.isnan(rows.loc["1a", "tolerance"])
    assert "paper 39.35" in rows.loc["2d", "evidence"]


def test_tolerance_follows_the_reading_accuracy(paper: pd.DataFrame) -> None:
    table = claims_table(
        scores(),
        throughput(),
        paper,
        "warehouse",
        WAREHOUSE_ROLES,
        max_step=1_000_000,
        abs_tolerance=0.1,
    )
    rows = table.set_index("claim_id")
    assert rows.loc["1c", "tolerance"] == pytest.approx(0.4)  # 2 x 0.2 at step 1e6
    # The FNN8 runs exist, but the paper's FNN value is only at 4e6: not "not yet run".
    assert rows.loc["2c", "verdict"] == "needs paper scale"
    assert "paper's budget" in rows.loc["2c", "evidence"]
    assert rows.loc["2c", "reproduced_value"] == 35.5  # our measurement is still shown
    # Runs exist but no threshold was given: nothing measured, and no number shown.
    assert rows.loc["3", "verdict"] == "inconclusive"
    assert "no threshold" in rows.loc["3", "evidence"]
    assert math.isnan(rows.loc["3", "reproduced_value"])


def test_no_runs_means_every_claim_is_not_yet_run(paper: pd.DataFrame) -> None:
    empty_scores = pd.DataFrame(
        columns=["model", "seed", "final_return", "auc", "steps_to_threshold"]
    )
    empty_compute = pd.DataFrame(columns=["model", "seed", "transitions_per_s"])
    table = claims_table(
        empty_scores,
        empty_compute,
        paper,
        "traffic",
        TRAFFIC_ROLES,
        max_step=2_000_000,
        threshold=-10.0,
    )
    assert set(table["verdict"]) == {"not yet run"}
    ids = ["4a", "4b", "4c", "4d", "4e", "4f", "4g", "5", "6a", "6b"]
    assert list(table["claim_id"]) == ids
    assert table.set_index("claim_id").loc["4d", "paper_value"] == pytest.approx(-3.47)


def test_claims_are_deterministic(paper: pd.DataFrame) -> None:
    first = claims_table(
        scores(), throughput(), paper, "warehouse", WAREHOUSE_ROLES, max_step=4_000_000
    )
    second = claims_table(
        scores(), throughput(), paper, "warehouse", WAREHOUSE_ROLES, max_step=4_000_000
    )
    pd.testing.assert_frame_equal(first, second)
    assert np.isfinite(first["ci_low"].iloc[0])


def test_threshold_claim_needs_paper_scale_when_no_run_reached_the_threshold(
    paper: pd.DataFrame,
) -> None:
    never = scores().assign(steps_to_threshold=NAN)
    rows = claims_table(
        never, throughput(), paper, "warehouse", WAREHOUSE_ROLES, max_step=100_000, threshold=35.0
    ).set_index("claim_id")
    # Both censored at a budget shorter than the paper's 4e6: the runs exist, but are too short.
    assert rows.loc["3", "verdict"] == "needs paper scale"
    assert "no IAM or LSTM run reached 35 within 100000 steps" in rows.loc["3", "evidence"]
    assert "paper's (4000000)" in rows.loc["3", "evidence"]
    # No measured-looking "0 [0, 0]": the difference and its CI are left empty.
    row = rows.loc["3"]
    assert all(math.isnan(row[c]) for c in ("reproduced_value", "ci_low", "ci_high"))


def test_threshold_never_reached_at_the_papers_budget_is_inconclusive(
    paper: pd.DataFrame,
) -> None:
    never = scores().assign(steps_to_threshold=NAN)
    rows = claims_table(
        never, throughput(), paper, "warehouse", WAREHOUSE_ROLES, max_step=4_000_000, threshold=35.0
    ).set_index("claim_id")
    # The paper's budget, and still no run got there: longer runs are not the answer.
    assert rows.loc["3", "verdict"] == "inconclusive"
    assert "needs paper scale" not in rows.loc["3", "evidence"]
    assert math.isnan(rows.loc["3", "reproduced_value"])
    # The paper's own difference is still shown: IAM first reached 35 at 1e6, LSTM at 3.3e6.
    assert rows.loc["3", "paper_value"] == -2.3e6


def test_one_seed_of_a_model_is_inconclusive_whatever_the_gap(paper: pd.DataFrame) -> None:
    """LSTM with one seed, 10 below IAM: no CI, so no verdict, however large the gap."""
    one = scores()
    one = one[(one["model"] != "LSTM") | (one["seed"] == 0)]
    rows = claims_table(
        one, throughput(), paper, "warehouse", WAREHOUSE_ROLES, max_step=4_000_000, threshold=35.0
    ).set_index("claim_id")
    assert rows.loc["1a", "verdict"] == "inconclusive (n = 1)"
    assert rows.loc["1a", "reproduced_value"] == 6.0  # 41 - 35
    assert math.isnan(rows.loc["1a", "ci_low"])
    assert "LSTM 35 (n=1)" in rows.loc["1a", "evidence"]
    assert rows.loc["1d", "verdict"] == "inconclusive (n = 1)"  # the value check too


def traffic_scores() -> pd.DataFrame:
    rows = {
        # model: (final_return per seed, steps_to_threshold -10 per seed); auc is not claimed.
        "IAM": ([-3.4, -3.6, -3.5], [400_000, 450_000, 500_000]),
        "LSTM": ([-4.3, -4.1, -4.2], [1_800_000, 1_900_000, NAN]),
        "FNN1": ([-5.7, -5.5, -5.6], [600_000, 650_000, 700_000]),
        "FNN32": ([-4.1, -3.3, -4.3], [800_000, 900_000, 850_000]),
    }
    return pd.DataFrame(
        [
            {
                "model": m,
                "seed": s,
                "final_return": f[s],
                "auc": -10.0,
                "steps_to_threshold": t[s],
            }
            for m, (f, t) in rows.items()
            for s in range(3)
        ]
    )


def test_claims_table_on_a_synthetic_traffic_experiment(paper: pd.DataFrame) -> None:
    throughput = pd.DataFrame(
        {
            "model": ["IAM", "IAM", "LSTM", "LSTM", "FNN32", "FNN32"],
            "seed": [0, 1, 0, 1, 0, 1],
            "transitions_per_s": [3000.0, 3100.0, 2000.0, 2100.0, 3500.0, 3600.0],
        }
    )
    table = claims_table(
        traffic_scores(),
        throughput,
        paper,
        "traffic",
        TRAFFIC_ROLES,
        max_step=2_000_000,
        threshold=-10.0,
    )
    rows = table.set_index("claim_id")
    assert list(rows.index) == ["4a", "4b", "4c", "4d", "4e", "4f", "4g", "5", "6a", "6b"]
    assert rows["verdict"].to_dict() == {
        "4a": "reproduced",  # -3.5 vs -4.2, s = 0.1 each: 0.7 +/- 0.23
        "4b": "reproduced",  # -3.5 vs -5.6
        "4c": "inconclusive",  # -3.5 vs -3.9: one FNN32 seed (-3.3) beats IAM, the CI reaches 0
        "5": "reproduced",  # IAM at 0.45e6, LSTM at (1.8e6 + 1.9e6 + 2e6 censored) / 3
        "6a": "reproduced",
        "6b": "contradicted",  # FNN32 is faster here: -500 +/- t_{0.975, 2} * 70.7 = [-804, -196]
        "4d": "reproduced",  # -3.5 +/- 0.25 inside -3.47 +/- 0.5 (the 2e6 point only)
        "4e": "reproduced",  # -4.2 +/- 0.25 inside -4.23 +/- 0.6
        "4f": "reproduced",  # -5.6 +/- 0.25 inside -5.60 +/- 0.5
        "4g": "inconclusive",  # -3.9 +/- 1.31 (s = 0.53) leaves -4.18 +/- 0.5 on both sides
    }
    assert rows.loc["4a", "reproduced_value"] == pytest.approx(0.7)
    assert rows.loc["4a", "ci_low"] > 0
    # The paper's own differences at 2e6: IAM -3.47, LSTM -4.23, FNN1 -5.6, FNN32 -4.18.
    assert rows.loc["4a", "paper_value"] == pytest.approx(-3.47 + 4.23)
    assert rows.loc["4b", "paper_value"] == pytest.approx(-3.47 + 5.6)
    assert rows.loc["4c", "paper_value"] == pytest.approx(-3.47 + 4.18)
    # Claim 5: steps to -10; the never-reached LSTM run counts as the whole budget.
    assert rows.loc["5", "claim"] == "Traffic: IAM learns faster than LSTM (steps to reach -10)"
    expected = 450_000 - (1_800_000 + 1_900_000 + 2_000_000) / 3
    assert rows.loc["5", "reproduced_value"] == pytest.approx(expected)
    assert rows.loc["5", "ci_high"] < 0
    assert (
        "1 of 3 LSTM runs never reached it and count as the budget (2000000)"
        in (rows.loc["5", "evidence"])
    )
    # Paper: IAM is above -10 at its first point (5e5), LSTM first at 1.1e6 (-5.2).
    assert rows.loc["5", "paper_value"] == -600_000
    assert rows.loc["4g", "tolerance"] == 0.5  # max(2 x 0.05, 0.5)
    assert rows.loc["4e", "tolerance"] == pytest.approx(0.6)  # 2 x 0.3, the LSTM reading


def test_traffic_lstm_that_ends_above_iam_contradicts_claim_4a(paper: pd.DataFrame) -> None:
    scores = traffic_scores()
    scores.loc[scores["model"] == "LSTM", "final_return"] = [-3.0, -3.1, -2.9]
    rows = claims_table(
        scores,
        scores.iloc[0:0],
        paper,
        "traffic",
        TRAFFIC_ROLES,
        max_step=2_000_000,
        threshold=-10.0,
    ).set_index("claim_id")
    assert rows.loc["4a", "verdict"] == "contradicted"  # -3.5 vs -3.0, CI [-0.73, -0.27]
    assert rows.loc["6a", "verdict"] == "not yet run"  # no throughput records


def test_claims_follow_roles_whatever_the_models_are_called(paper: pd.DataFrame) -> None:
    """A roster with other names judges the same checks on the same numbers."""
    names = {"IAM": "Memory", "LSTM": "Recurrent", "FNN8": "Stack", "FNN1": "Single"}
    roles = {names[m]: role for m, role in WAREHOUSE_ROLES.items()}
    mine = paper_for_experiment(paper, "warehouse", roles)
    assert set(mine["model"]) == set(names.values())  # the paper's lines under our names
    renamed = claims_table(
        scores().replace({"model": names}),
        throughput().replace({"model": names}),
        mine,
        "warehouse",
        roles,
        max_step=4_000_000,
        threshold=35.0,
    )
    original = claims_table(
        scores(),
        throughput(),
        paper,
        "warehouse",
        WAREHOUSE_ROLES,
        max_step=4_000_000,
        threshold=35.0,
    )
    back = {new: old for old, new in names.items()}
    pd.testing.assert_frame_equal(renamed.replace(back, regex=True), original)
    assert "Memory 41 (n=3) vs Recurrent 35 (n=3)" in renamed.loc[0, "evidence"]
    assert renamed.loc[2, "claim"].startswith("Warehouse: Memory's final return (paper protocol)")


def test_a_role_no_model_plays_is_not_yet_run(paper: pd.DataFrame) -> None:
    roles = {"IAM": "iam", "LSTM": "lstm", "FNN8": "other"}
    rows = claims_table(
        scores(), throughput(), paper, "warehouse", roles, max_step=4_000_000, threshold=35.0
    ).set_index("claim_id")
    assert rows.loc["1a", "verdict"] == "reproduced"
    for claim_id in ("2a", "2b", "6b", "2c", "2d"):  # FNN8 plays no role: not in the build
        assert rows.loc[claim_id, "verdict"] == "not yet run"
        assert "role 'fnn_" in rows.loc[claim_id, "evidence"]


def test_at_least_as_good_needs_the_whole_ci_at_or_above_zero() -> None:
    assert at_least_verdict(0.5, 0.2, 1.0) == "reproduced"
    assert at_least_verdict(0.0, 0.0, 0.0) == "reproduced"  # a tie is "at least as good"
    assert at_least_verdict(0.5, 0.0, 1.0) == "reproduced"  # 0 is on the claimed side
    assert at_least_verdict(0.5, -0.2, 1.0) == "inconclusive"  # could be slightly worse
    assert at_least_verdict(-0.5, -1.0, 0.1) == "inconclusive"
    assert at_least_verdict(-0.5, -1.0, 0.0) == "inconclusive"  # 0 is still in the CI
    assert at_least_verdict(-0.5, -1.0, -0.1) == "contradicted"
    assert at_least_verdict(NAN, NAN, NAN) == "not yet run"
    assert at_least_verdict(0.5, NAN, NAN) == "inconclusive (n = 1)"  # one seed: no CI


def test_claim_7_is_judged_on_flickering_atari_only(paper: pd.DataFrame) -> None:
    roles = {"FNN4": "fnn_k", "LSTM": "lstm", "IAM": "iam"}
    atari = pd.DataFrame(
        [
            {"model": m, "seed": s, "final_return": v + s, "auc": 0.0, "steps_to_threshold": NAN}
            for m, v in (("IAM", 10.0), ("LSTM", 4.0), ("FNN4", 11.0))
            for s in range(3)
        ]
    )
    no_compute = pd.DataFrame(columns=["model", "seed", "transitions_per_s"])
    flicker = claims_table(
        atari, no_compute, paper, "atari", roles, max_step=100, env_options={"flicker": True}
    ).set_index("claim_id")
    assert list(flicker.index) == ["7a", "7b"]
    assert flicker.loc["7a", "verdict"] == "reproduced"  # 11 vs 5, CI [4.67, 7.33]
    assert flicker.loc["7b", "verdict"] == "inconclusive"  # 11 vs 12, CI [-2.33, 0.33]
    assert flicker.loc["7a", "claim"].startswith("Atari: with flicker, IAM ends at least")
    plain = claims_table(
        atari, no_compute, paper, "atari", roles, max_step=100, env_options={"flicker": False}
    )
    assert plain.empty
