"""iam_repro.analysis.departures: the paper's Fig. 5 points against our curve, by hand."""

from __future__ import annotations

import pandas as pd

from iam_repro.analysis.departures import departure_summary, paper_points_on_curve

NAN = float("nan")
TOLERANCE = 1.0  # the environment's; a point's band is max(2 x read accuracy, this)


def _summary(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["model", "step", "mean", "ci_low", "ci_high", "n_seeds"])


def _paper(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["model", "step", "mean_return", "read_accuracy"])


SUMMARY = _summary(
    [
        ("IAM", 100, 10.0, 9.0, 11.0, 2),
        ("IAM", 200, 20.0, 19.0, 21.0, 2),
        ("IAM", 300, 30.0, 29.0, 31.0, 2),
        ("LSTM", 100, 5.0, NAN, NAN, 1),
        ("LSTM", 200, 8.0, NAN, NAN, 1),
    ]
)
PAPER = _paper(
    [
        ("IAM", 100, 10.0, 0.2),  # band [9, 11] holds our CI [9, 11]: a match
        ("IAM", 150, 22.5, 0.2),  # window (100, 200]; band [21.5, 23.5] above [19, 21]
        ("IAM", 300, 27.0, 0.6),  # tolerance 1.2: band [25.8, 28.2] below [29, 31]
        ("IAM", 400, 35.0, 0.2),  # past our budget
        ("LSTM", 200, 15.0, 0.2),  # one seed: no CI
        ("FNN1", 100, 1.0, 0.1),  # a model we did not train
    ]
)


def test_each_point_meets_the_window_that_holds_its_step_and_is_judged() -> None:
    points = paper_points_on_curve(SUMMARY, PAPER, TOLERANCE)
    assert list(zip(points["model"], points["step"], points["window_end"], strict=True)) == [
        ("IAM", 100, 100),
        ("IAM", 150, 200),
        ("IAM", 300, 300),
        ("LSTM", 200, 200),
    ]
    assert list(points["tolerance"]) == [1.0, 1.0, 1.2, 1.0]
    assert list(points["verdict"]) == [
        "reproduced",
        "contradicted",
        "contradicted",
        "inconclusive (n = 1)",
    ]
    assert list(points["gap"]) == [0.0, -2.5, 3.0, -7.0]


def test_reading_accuracy_widens_the_band() -> None:
    # 22.1 +/- 1 misses [19, 21]; read to +/-0.6 it is +/- 1.2, which reaches 20.9
    for accuracy, verdict in ((0.2, "contradicted"), (0.6, "inconclusive")):
        point = paper_points_on_curve(SUMMARY, _paper([("IAM", 200, 22.1, accuracy)]), TOLERANCE)
        assert list(point["verdict"]) == [verdict]


def test_a_point_in_a_gap_of_our_grid_is_not_compared() -> None:
    gappy = _summary([("IAM", s, 1.0, 0.0, 2.0, 2) for s in (100, 300, 400)])
    points = paper_points_on_curve(gappy, _paper([("IAM", 200, 20.0, 0.2)]), TOLERANCE)
    # windows are 100 wide (the grid's spacing); the one ending at 300 holds (200, 300]
    assert points.empty


def test_the_summary_counts_matches_and_departures_and_finds_the_largest_gap() -> None:
    summary = departure_summary(paper_points_on_curve(SUMMARY, PAPER, TOLERANCE), PAPER)
    iam, lstm = (summary.loc[summary["model"] == m].iloc[0] for m in ("IAM", "LSTM"))
    assert (iam["compared"], iam["not_compared"], iam["judged"]) == (3, 1, 3)
    assert (iam["matches"], iam["departs"]) == (1, 2)
    assert iam["depart_spans"] == ((150, 150, "ours below"), (300, 300, "ours above"))
    assert iam["mean_gap"] == (0.0 - 2.5 + 3.0) / 3
    assert (iam["largest_gap"], iam["largest_gap_step"]) == (3.0, 300)
    assert (lstm["compared"], lstm["judged"], lstm["matches"], lstm["departs"]) == (1, 0, 0, 0)
    assert lstm["depart_spans"] == ()
    assert (lstm["largest_gap"], lstm["largest_gap_step"]) == (-7.0, 200)
    assert "FNN1" not in set(summary["model"])


def test_consecutive_departures_on_one_side_make_one_span() -> None:
    steps = (100, 200, 300, 400, 500, 600)
    curve = _summary([("IAM", s, 10.0, 9.0, 11.0, 2) for s in steps])
    # against our CI [9, 11] with bands of +/-1: below, below, match, above, above, below
    values = (13, 14, 10, 7, 6, 14)
    paper = _paper([("IAM", s, v, 0.1) for s, v in zip(steps, values, strict=True)])
    summary = departure_summary(paper_points_on_curve(curve, paper, TOLERANCE), paper)
    assert (summary["matches"].tolist(), summary["departs"].tolist()) == ([1], [5])
    assert summary["depart_spans"].tolist() == [
        ((100, 200, "ours below"), (400, 500, "ours above"), (600, 600, "ours below"))
    ]
