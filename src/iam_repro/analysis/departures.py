"""Where a reproduced curve leaves the paper's: each point the paper's Fig. 5 gives, against our
across-seed curve in the summary window that holds the point's step.

A point lies outside our curve when the paper's value, widened by its reading accuracy (how
precisely it was read off the figure), does not meet our 95 % CI at all. With one seed there is
no CI, and only the gap itself is reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "POINT_COLUMNS",
    "SUMMARY_COLUMNS",
    "departure_summary",
    "paper_points_on_curve",
]

#: One row per paper point that falls within our curve's budget.
POINT_COLUMNS = (
    "model",
    "step",
    "paper",
    "read_accuracy",
    "window_end",
    "ours",
    "ci_low",
    "ci_high",
    "n_seeds",
    "gap",
    "position",
)
#: One row per model with at least one such point.
SUMMARY_COLUMNS = (
    "model",
    "compared",
    "not_compared",
    "outside",
    "outside_spans",
    "largest_gap",
    "largest_gap_step",
)

#: `position` values: where the paper's point lies relative to our CI.
WITHIN, ABOVE, BELOW, NO_CI = "within", "paper above", "paper below", "no CI"


def paper_points_on_curve(summary: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Each paper point of a model we trained, beside our curve's window that holds its step.

    Args:
        summary: curves_summary.csv (model, step, mean, ci_low, ci_high, n_seeds): the
            across-seed mean return per summary window, `step` being the window's end.
        paper: the paper's Fig. 5 rows with our model names (`roles.paper_for_experiment`):
            model, step, mean_return, read_accuracy.

    Returns:
        `POINT_COLUMNS`, ordered by model and step. The window of a point at step s is the one
        with end e and s in (e - width, e], width being the spacing of our windows. `gap` is
        ours minus the paper's; `position` one of 'within', 'paper above', 'paper below' or
        'no CI' (fewer than 2 seeds). Points past our last window are left out.
    """
    rows = []
    for model, points in paper.groupby("model", sort=True):
        curve = summary.loc[summary["model"] == model].sort_values("step")
        if curve.empty:
            continue
        ends = curve["step"].to_numpy()
        width = np.diff(ends).min() if len(ends) > 1 else ends[0]
        for point in points.sort_values("step").itertuples(index=False):
            index = int(np.searchsorted(ends, point.step, side="left"))
            if index == len(ends) or ends[index] - point.step >= width:
                continue  # past our budget, or in a gap of our grid
            ours = curve.iloc[index]
            rows.append(
                {
                    "model": model,
                    "step": int(point.step),
                    "paper": float(point.mean_return),
                    "read_accuracy": float(point.read_accuracy),
                    "window_end": int(ends[index]),
                    "ours": float(ours["mean"]),
                    "ci_low": ours["ci_low"],
                    "ci_high": ours["ci_high"],
                    "n_seeds": int(ours["n_seeds"]),
                    "gap": float(ours["mean"]) - float(point.mean_return),
                    "position": _position(point.mean_return, point.read_accuracy, ours),
                }
            )
    return pd.DataFrame(rows, columns=list(POINT_COLUMNS))


def _position(paper: float, accuracy: float, ours: pd.Series) -> str:
    if ours["n_seeds"] < 2 or pd.isna(ours["ci_low"]) or pd.isna(ours["ci_high"]):
        return NO_CI
    if paper - accuracy > ours["ci_high"]:
        return ABOVE
    if paper + accuracy < ours["ci_low"]:
        return BELOW
    return WITHIN


def departure_summary(points: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Per model: how many paper points were compared (and how many not: past our budget or
    in a gap of our grid), at how many (and which steps) the paper lies outside our CI, and the
    largest gap (ours minus the paper's, by size) and its step.

    Args:
        points: `paper_points_on_curve`'s table.
        paper: the same paper rows, to count the points not compared.

    Returns:
        `SUMMARY_COLUMNS`; `outside` is missing (NaN) where no compared point had a CI, and
        `outside_spans` holds (first step, last step, position) for each run of consecutive
        compared points outside our CI on the same side (a long departure is one span).
    """
    rows = []
    for model, group in points.groupby("model", sort=True):
        with_ci = group.loc[group["position"] != NO_CI]
        outside = with_ci.loc[with_ci["position"] != WITHIN]
        largest = group.loc[group["gap"].abs().idxmax()]
        rows.append(
            {
                "model": model,
                "compared": len(group),
                "not_compared": int((paper["model"] == model).sum()) - len(group),
                "outside": len(outside) if len(with_ci) else np.nan,
                "outside_spans": _spans(group),
                "largest_gap": float(largest["gap"]),
                "largest_gap_step": int(largest["step"]),
            }
        )
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def _spans(points: pd.DataFrame) -> tuple[tuple[int, int, str], ...]:
    """(first step, last step, position) of each run of consecutive points (in step order)
    that lie outside our CI on the same side."""
    spans: list[list] = []
    previous = WITHIN
    for step, position in zip(points["step"], points["position"], strict=True):
        if position in (ABOVE, BELOW):
            if position == previous:
                spans[-1][1] = int(step)
            else:
                spans.append([int(step), int(step), position])
        previous = position
    return tuple((first, last, position) for first, last, position in spans)
