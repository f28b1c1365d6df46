"""The "Across experiments" page: reading the across_experiments tables and figures, as HTML.

The page only reads what rules made: ``results/tables/across_experiments_*.csv`` (rule
across_experiments, `iam_repro.analysis.across`) and ``results/figures/
across_experiments_{profiles,efficiency}.png`` (rules plot_across_profiles and
plot_across_efficiency). A missing table or figure reads as None / a notice naming the rule;
a table without its columns is an error naming the rule that rewrites it.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from iam_repro.analysis.across import ACROSS_COLUMNS, REFERENCE_ROLE, role_label
from iam_repro.report.formatting import MISSING, format_ci, format_value
from iam_repro.report.markup import html_table, notice, show_html

__all__ = [
    "ACROSS_FIGURES",
    "across_figure_path",
    "aggregates_html",
    "improvement_html",
    "load_across_table",
    "normalisation_html",
    "show_across_figure",
    "show_across_table",
]

#: Figure kind -> (file name in ``results/figures/``, the rule that draws it).
ACROSS_FIGURES: dict[str, tuple[str, str]] = {
    "profiles": ("across_experiments_profiles.png", "plot_across_profiles"),
    "efficiency": ("across_experiments_efficiency.png", "plot_across_efficiency"),
}


def _table_path(results: Path, name: str) -> Path:
    return Path(results) / "tables" / f"{name}.csv"


def load_across_table(results: Path, name: str) -> pd.DataFrame | None:
    """``results/tables/<name>.csv`` (a name of `ACROSS_COLUMNS`), None when absent.

    Raises:
        ValueError: the file is not a readable CSV or lacks a column; the message names the
            rule that rewrites it.
    """
    path = _table_path(results, name)
    if not path.is_file():
        return None
    try:
        frame = pd.read_csv(path, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ValueError(
            f"{path} is not a readable CSV table ({err}); rerun the across_experiments rule."
        ) from err
    missing = [c for c in ACROSS_COLUMNS[name] if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{path} lacks column(s) {missing}; expected {list(ACROSS_COLUMNS[name])}. "
            "Rerun the across_experiments rule to regenerate it."
        )
    return frame


def _missing_table_notice(name: str) -> str:
    return notice(
        "Not run in this build",
        f"tables/{name}.csv is not in the results directory: the across_experiments rule did "
        "not run in this build.",
    )


def _ci(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(
        [format_ci(lo, hi) for lo, hi in zip(frame["ci_low"], frame["ci_high"], strict=True)],
        index=frame.index,
        dtype=object,
    )


def normalisation_html(normalisation: pd.DataFrame) -> str:
    """Per experiment: the returns that map to 0 and 1, where 1 comes from, and how many runs
    have a normalised score (with the reason where some do not)."""
    frame = normalisation.copy()
    frame["note"] = frame["note"].fillna("").astype(str)
    frame["normalised"] = [
        f"{int(n)} of {int(total)}"
        for n, total in zip(frame["normalised_runs"], frame["runs"], strict=True)
    ]
    return html_table(
        frame,
        {
            "experiment": "Experiment",
            "random_score": "0: random",
            "reference_score": "1: reference",
            "reference": "Reference",
            "normalised": "Runs normalised",
            "note": "Note",
        },
        verdict_column=None,
        caption="Normalisation per experiment",
        formats={"normalised": str, "note": lambda note: note or MISSING},
    )


def aggregates_html(aggregates: pd.DataFrame) -> str:
    """One row per model role: IQM and mean of the normalised final scores, each beside its
    95 % stratified-bootstrap CI ('—' where there is none: no experiment with two seeds)."""
    rows = []
    for role, group in aggregates.groupby("role", sort=False):
        by_metric = group.set_index("metric")
        row: dict[str, object] = {"role": role_label(str(role))}
        for metric in ("iqm", "mean"):
            entry = by_metric.loc[metric] if metric in by_metric.index else None
            row[metric] = math.nan if entry is None else entry["estimate"]
            row[f"{metric}_ci"] = (
                MISSING if entry is None else format_ci(entry["ci_low"], entry["ci_high"])
            )
        row["runs"] = int(group["runs"].max())
        row["experiments"] = int(group["experiments"].max())
        rows.append(row)
    columns = ["role", "iqm", "iqm_ci", "mean", "mean_ci", "runs", "experiments"]
    return html_table(
        pd.DataFrame(rows, columns=columns),
        {
            "role": "Model",
            "iqm": "IQM",
            "iqm_ci": "95% CI",
            "mean": "Mean",
            "mean_ci": "95% CI",
            "runs": "Runs",
            "experiments": "Experiments",
        },
        verdict_column=None,
        caption="Normalised final score per model, all experiments",
        formats={"iqm_ci": str, "mean_ci": str},
    )


def improvement_html(improvement: pd.DataFrame) -> str:
    """One row per other role X: P(IAM > X) with its 95 % CI and what it is based on."""
    frame = improvement.copy()
    frame["comparison"] = [
        f"P({role_label(a)} > {role_label(b)})"
        for a, b in zip(frame["role_a"], frame["role_b"], strict=True)
    ]
    frame["ci"] = _ci(frame)
    return html_table(
        frame,
        {
            "comparison": "Comparison",
            "probability": "Probability",
            "ci": "95% CI",
            "experiments": "Experiments",
            "runs_a": f"Runs of {role_label(REFERENCE_ROLE)}",
            "runs_b": "Runs of the other",
        },
        verdict_column=None,
        caption="Probability of improvement (averaged over experiments)",
        formats={"probability": format_value, "ci": str},
    )


def show_across_table(results: Path, name: str) -> None:
    """Display one across-experiment table as the page shows it, or a notice when absent or
    empty."""
    render = {
        "across_experiments_normalisation": normalisation_html,
        "across_experiments_aggregates": aggregates_html,
        "across_experiments_improvement": improvement_html,
    }[name]
    frame = load_across_table(results, name)
    if frame is None:
        show_html(_missing_table_notice(name))
    elif frame.empty:
        show_html(
            notice(
                "Nothing to show",
                "No experiment of this build has runs of the models this table compares.",
                kind="note",
            )
        )
    else:
        show_html(render(frame))


def across_figure_path(results: Path, kind: str) -> Path:
    """Path of an across-experiment figure (kind: a key of `ACROSS_FIGURES`)."""
    return Path(results) / "figures" / ACROSS_FIGURES[kind][0]


def show_across_figure(results: Path, kind: str) -> None:
    """Display an across-experiment figure, or a notice naming the rule that did not run."""
    path = across_figure_path(results, kind)
    if path.is_file():
        from IPython.display import Image, display

        display(Image(filename=str(path)))
        return
    show_html(
        notice(
            "Figure not available",
            f"figures/{path.name} is not in the results directory: the "
            f"{ACROSS_FIGURES[kind][1]} rule did not run in this build.",
        )
    )
