"""Where a reproduced curve leaves the paper's: each point the paper's Fig. 5 gives, against our
across-seed curve in the summary window that holds the point's step.

Each point is judged as the value claims judge a final return (`verdicts.value_verdict`): the
paper's value +/- a tolerance (twice its reading accuracy, at least the environment's value
tolerance) against our 95 % CI over seeds. Our curve *departs* at a point when its whole CI lies
outside that band ("contradicted"), and *matches* when its whole CI lies inside ("reproduced");
with one seed there is no CI, and only the gap itself is reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iam_repro.analysis.verdicts import CONTRADICTED, REPRODUCED, value_tolerance, value_verdict

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
    "tolerance",
    "window_end",
    "ours",
    "ci_low",
    "ci_high",
    "n_seeds",
    "gap",
    "verdict",
)
#: One row per model with at least one such point.
SUMMARY_COLUMNS = (
    "model",
    "compared",
    "not_compared",
    "judged",
    "matches",
    "departs",
    "depart_spans",
    "mean_gap",
    "largest_gap",
    "largest_gap_step",
)

#: Sides of a departure, by the sign of ours minus the paper's.
ABOVE, BELOW = "ours above", "ours below"


def paper_points_on_curve(
    summary: pd.DataFrame, paper: pd.DataFrame, abs_tolerance: float
) -> pd.DataFrame:
    """Each paper point of a model we trained, beside our curve's window that holds its step.

    Args:
        summary: curves_summary.csv (model, step, mean, ci_low, ci_high, n_seeds): the
            across-seed mean return per summary window, `step` being the window's end.
        paper: the paper's Fig. 5 rows with our model names (`roles.paper_for_experiment`):
            model, step, mean_return, read_accuracy.
        abs_tolerance: the environment's value tolerance (`Fig5Row.value_tolerance`).

    Returns:
        `POINT_COLUMNS`, ordered by model and step. The window of a point at step s is the one
        with end e and s in (e - width, e], width being the spacing of our windows. `gap` is
        ours minus the paper's, `verdict` the point's `value_verdict`. Points past our last
        window (or in a gap of our grid) are left out.
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
                continue
            ours = curve.iloc[index]
            tolerance = value_tolerance(float(point.read_accuracy), abs_tolerance)
            rows.append(
                {
                    "model": model,
                    "step": int(point.step),
                    "paper": float(point.mean_return),
                    "tolerance": tolerance,
                    "window_end": int(ends[index]),
                    "ours": float(ours["mean"]),
                    "ci_low": float(ours["ci_low"]),
                    "ci_high": float(ours["ci_high"]),
                    "n_seeds": int(ours["n_seeds"]),
                    "gap": float(ours["mean"]) - float(point.mean_return),
                    "verdict": value_verdict(
                        float(ours["mean"]),
                        float(ours["ci_low"]),
                        float(ours["ci_high"]),
                        float(point.mean_return),
                        tolerance,
                    ),
                }
            )
    return pd.DataFrame(rows, columns=list(POINT_COLUMNS))


def departure_summary(points: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Per model: the paper points compared (and how many not: past our budget or in a gap of
    our grid), how many could be judged (our CI exists), at how many our curve matches and at
    how many it departs (and where), the mean gap (ours minus the paper's: a steady offset) and
    the largest gap by size.

    Args:
        points: `paper_points_on_curve`'s table.
        paper: the same paper rows, to count the points not compared.

    Returns:
        `SUMMARY_COLUMNS`; `judged`, `matches` and `departs` are 0 where no point had a CI, and
        `depart_spans` holds (first step, last step, side) for each run of consecutive compared
        points where our curve departs on the same side (a long departure is one span).
    """
    rows = []
    for model, group in points.groupby("model", sort=True):
        largest = group.loc[group["gap"].abs().idxmax()]
        rows.append(
            {
                "model": model,
                "compared": len(group),
                "not_compared": int((paper["model"] == model).sum()) - len(group),
                "judged": int(group["ci_low"].notna().sum()),
                "matches": int((group["verdict"] == REPRODUCED).sum()),
                "departs": int((group["verdict"] == CONTRADICTED).sum()),
                "depart_spans": _spans(group),
                "mean_gap": float(group["gap"].mean()),
                "largest_gap": float(largest["gap"]),
                "largest_gap_step": int(largest["step"]),
            }
        )
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def _spans(points: pd.DataFrame) -> tuple[tuple[int, int, str], ...]:
    """(first step, last step, side) of each run of consecutive points (in step order) where
    our curve departs on the same side."""
    spans: list[list] = []
    previous = None
    for step, verdict, gap in zip(points["step"], points["verdict"], points["gap"], strict=True):
        side = (ABOVE if gap > 0 else BELOW) if verdict == CONTRADICTED else None
        if side is not None and side == previous:
            spans[-1][1] = int(step)
        elif side is not None:
            spans.append([int(step), int(step), side])
        previous = side
    return tuple((first, last, side) for first, last, side in spans)
