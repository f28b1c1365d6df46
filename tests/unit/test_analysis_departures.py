"""iam_repro.analysis.departures: the paper's Fig. 5 points against our curve, by hand."""

from __future__ import annotations

import math

import pandas as pd

from iam_repro.analysis.departures import departure_summary, paper_points_on_curve

NAN = float("nan")


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
        ("IAM", 100, 10.5, 0.2),  # inside [9, 11]
        ("IAM", 150, 22.0, 0.5),  # window (100, 200]: 21.5 > 21, the paper lies above
        ("IAM", 300, 27.0, 1.0),  # 28 < 29: below
        ("IAM", 400, 35.0, 0.2),  # past our budget
        ("LSTM", 200, 15.0, 0.2),  # one seed: no CI
        ("FNN1", 100, 1.0, 0.1),  # a model we did not train
    ]
)


def test_each_point_meets_the_window_that_holds_its_step() -> None:
    points = paper_points_on_curve(SUMMARY, PAPER)
    assert list(zip(points["model"], points["step"], points["window_end"], strict=True)) == [
        ("IAM", 100, 100),
        ("IAM", 150, 200),
        ("IAM", 300, 300),
        ("LSTM", 200, 200),
    ]
    assert list(points["position"]) == ["within", "paper above", "paper below", "no CI"]
    assert list(points["gap"]) == [-0.5, -2.0, 3.0, -7.0]


def test_reading_accuracy_widens_the_papers_point() -> None:
    # 21.4 - 0.5 = 20.9 reaches into [19, 21]: within, though 21.4 alone lies above
    points = paper_points_on_curve(SUMMARY, _paper([("IAM", 200, 21.4, 0.5)]))
    assert list(points["position"]) == ["within"]


def test_a_point_in_a_gap_of_our_grid_is_not_compared() -> None:
    gappy = _summary([("IAM", s, 1.0, 0.0, 2.0, 2) for s in (100, 300, 400)])
    points = paper_points_on_curve(gappy, _paper([("IAM", 200, 20.0, 0.2)]))
    # windows are 100 wide (the grid's spacing); the one ending at 300 holds (200, 300]
    assert points.empty


def test_the_summary_counts_points_outside_and_finds_the_largest_gap() -> None:
    summary = departure_summary(paper_points_on_curve(SUMMARY, PAPER), PAPER)
    iam, lstm = (summary.loc[summary["model"] == m].iloc[0] for m in ("IAM", "LSTM"))
    assert (iam["compared"], iam["not_compared"], iam["outside"]) == (3, 1, 2)
    assert iam["outside_spans"] == ((150, 150, "paper above"), (300, 300, "paper below"))
    assert (iam["largest_gap"], iam["largest_gap_step"]) == (3.0, 300)
    assert (lstm["compared"], lstm["not_compared"]) == (1, 0)
    assert math.isnan(lstm["outside"]) and lstm["outside_spans"] == ()
    assert (lstm["largest_gap"], lstm["largest_gap_step"]) == (-7.0, 200)
    assert "FNN1" not in set(summary["model"])


def test_consecutive_points_on_one_side_make_one_span() -> None:
    steps = (100, 200, 300, 400, 500, 600)
    curve = _summary([("IAM", s, 10.0, 9.0, 11.0, 2) for s in steps])
    # above, above, within, below, below, above
    paper = _paper([("IAM", s, v, 0.1) for s, v in zip(steps, (12, 13, 10, 5, 6, 14), strict=True)])
    summary = departure_summary(paper_points_on_curve(curve, paper), paper)
    assert summary["outside"].tolist() == [5]
    assert summary["outside_spans"].tolist() == [
        ((100, 200, "paper above"), (400, 500, "paper below"), (600, 600, "paper above"))
    ]
