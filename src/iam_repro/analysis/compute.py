"""Compute cost per model: the across-seed means of ``compute.csv`` (table ``compute_models.csv``).

The paper's claim 6 is about throughput, and the book compares every model with IAM's, so the
ratio is worked out once here, by the aggregate rule, rather than by the book's pages.
"""

from __future__ import annotations

import math

import pandas as pd

__all__ = ["COMPUTE_MODELS_COLUMNS", "compute_per_model"]

#: Columns of ``compute_models.csv``, in order.
COMPUTE_MODELS_COLUMNS: tuple[str, ...] = (
    "model",
    "runs",
    "wall_time_s",
    "transitions_per_s",
    "relative_throughput",
)


def compute_per_model(compute: pd.DataFrame, reference_model: str | None) -> pd.DataFrame:
    """Mean wall time and throughput per model, and throughput relative to a reference model.

    Args:
        compute: ``compute.csv`` (one row per run: model, seed, wall_time_s, transitions_per_s...).
        reference_model: The model whose throughput is 1.0 (the experiment's IAM); None, absent
            from the table or with no positive throughput: every ratio is NaN.

    Returns:
        Columns of ``COMPUTE_MODELS_COLUMNS``: model, runs (rows of the model),
        wall_time_s and transitions_per_s (means over its runs), relative_throughput. Models
        in order of first appearance in ``compute``.
    """
    order = list(dict.fromkeys(compute["model"]))
    grouped = (
        compute.groupby("model", sort=False)
        .agg(
            runs=("seed", "size"),
            wall_time_s=("wall_time_s", "mean"),
            transitions_per_s=("transitions_per_s", "mean"),
        )
        .reindex(order)
        .reset_index()
    )
    reference = grouped.loc[grouped["model"] == reference_model, "transitions_per_s"]
    base = float(reference.iloc[0]) if len(reference) else math.nan
    grouped["relative_throughput"] = grouped["transitions_per_s"] / (base if base > 0 else math.nan)
    return grouped.loc[:, list(COMPUTE_MODELS_COLUMNS)]
