"""Archived comparison tables the Methods page quotes (``report/archive/``).

Some runs the book discusses are not made by the quick or paper pipeline (for instance the
two LSTM variants at the paper's schedule); their tables are copied into the book's sources
with the command that made them, and compared here with the paper's figure.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from iam_repro.report.formatting import MISSING, RETURN_DECIMALS, format_ci, format_fixed

#: Results of runs the book quotes but the quick or paper pipeline does not make (copied from a
#: run's tables with the command in the folder's README), relative to the book's sources.
ARCHIVE_DIR = "archive"


def window_comparison(
    summary: pd.DataFrame,
    paper: pd.DataFrame,
    *,
    env: str,
    models: Iterable[str],
    paper_model: str,
    steps: Iterable[int],
) -> pd.DataFrame:
    """Our curve points beside the paper's, at chosen window ends.

    Args:
        summary: a curves_summary.csv frame (model, step, mean, ci_low, ci_high, n_seeds): the
            across-seed mean of worker 0's mean return per summary window, windows ending at
            `step` (per-worker steps).
        paper: the paper's Fig. 5 values (`iam_repro.reference.load_paper_fig5`).
        env: the environment whose paper curve to read.
        models: our models, one row each per step.
        paper_model: the paper's curve they are compared with.
        steps: window ends (per-worker steps).

    Returns:
        One row per step and model: step, model, ours ("mean [low, high]"), n_seeds, paper
        (the paper's value at that step, or "no point" where its figure has none).
    """
    curve = paper[(paper["env"] == env) & (paper["model"] == paper_model)]
    paper_at = dict(zip(curve["step"], curve["mean_return"], strict=True))
    models = list(models)
    rows = []
    for step in steps:
        for model in models:
            ours = summary[(summary["model"] == model) & (summary["step"] == step)]
            if ours.empty:
                text, seeds = MISSING, 0
            else:
                row = ours.iloc[0]
                ci = format_ci(row["ci_low"], row["ci_high"], decimals=RETURN_DECIMALS)
                text, seeds = f"{format_fixed(row['mean'], RETURN_DECIMALS)} {ci}", row["n_seeds"]
            paper_value = paper_at.get(step)
            rows.append(
                {
                    "step": f"{step:,}",
                    "model": model,
                    "ours": text,
                    "n_seeds": int(seeds),
                    "paper": "no point"
                    if paper_value is None
                    else format_fixed(paper_value, RETURN_DECIMALS),
                }
            )
    return pd.DataFrame(rows, columns=["step", "model", "ours", "n_seeds", "paper"])
