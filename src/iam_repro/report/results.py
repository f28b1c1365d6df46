"""Where the book finds the pipeline's results, and reading them with their column contract.

The book only reads ``results/``: per-experiment tables in ``results/tables/{experiment}/``,
figures in ``results/figures/{experiment}/``, and the build-wide ``results/tables/
claims_overview.csv`` and ``provenance.json``. A missing table reads as None (the page says
'not run'); a table without its columns is an error naming the rule that rewrites it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from iam_repro.analysis.overview import OVERVIEW_COLUMNS, experiment_order
from iam_repro.analysis.tables import OUTPUT_COLUMNS
from iam_repro.config.deviations import DEVIATION_COLUMNS

#: Environment variable holding the absolute path of the results directory.
RESULTS_ENV = "IAM_RESULTS_DIR"
#: Results directory used when ``IAM_RESULTS_DIR`` is unset (relative to ``report/``, the cwd
#: of the pages while they execute).
DEFAULT_RESULTS = "../results"

#: The tables an experiment folder holds, with the columns each must have: the aggregate
#: rule's outputs (workflow/rules/common.smk lists them from here), taken from the code that
#: writes them.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    **{name.removesuffix(".csv"): tuple(cols) for name, cols in OUTPUT_COLUMNS.items()},
    "deviations": tuple(DEVIATION_COLUMNS),
}

#: The build-wide table of every paper claim (rule claims_overview), in ``results/tables/``.
OVERVIEW_TABLE = "claims_overview"

#: File name of the rolling-average figure (rule plot_rolling) in ``results/figures/{exp}/``.
ROLLING_FIGURE = "rolling.png"


class MissingResultsError(FileNotFoundError):
    """A table or figure the book needs is not in the results directory."""


def results_dir(default: str | os.PathLike[str] = DEFAULT_RESULTS) -> Path:
    """The results directory: ``$IAM_RESULTS_DIR`` if set, else ``default`` (resolved)."""
    return Path(os.environ.get(RESULTS_ENV) or default).resolve()


def experiments(results: Path) -> list[str]:
    """Experiments present in this build: the sub-folders of ``results/tables``.

    ``warehouse`` (the paper's main benchmark) comes first when present, then by name.
    """
    tables = Path(results) / "tables"
    if not tables.is_dir():
        return []
    return experiment_order(
        p.name for p in tables.iterdir() if p.is_dir() and not p.name.startswith(".")
    )


def table_path(results: Path, experiment: str, name: str) -> Path:
    """Path of ``results/tables/{experiment}/{name}.csv``."""
    return Path(results) / "tables" / experiment / f"{name}.csv"


def overview_path(results: Path) -> Path:
    """Path of ``results/tables/claims_overview.csv``."""
    return Path(results) / "tables" / f"{OVERVIEW_TABLE}.csv"


def figure_path(results: Path, experiment: str, name: str = "fig5.png") -> Path:
    """Path of ``results/figures/{experiment}/{name}``."""
    return Path(results) / "figures" / experiment / name


def _read_checked(path: Path, required: Iterable[str], what: str, rule: str) -> pd.DataFrame:
    """Read a CSV table and check it has the ``required`` columns."""
    if not path.is_file():
        raise MissingResultsError(
            f"{path} does not exist: {what}. "
            f"Run the pipeline's {rule} rule (snakemake) before building the book."
        )
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ValueError(
            f"{path} is not a readable CSV table ({err}); rerun the {rule} rule to regenerate it."
        ) from err
    required = tuple(required)
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise ValueError(
            f"{path} lacks column(s) {missing}; expected {list(required)}. "
            f"Rerun the {rule} rule to regenerate it."
        )
    return frame


def load_table(results: Path, experiment: str, name: str) -> pd.DataFrame:
    """Read one of an experiment's result tables and check its columns.

    Args:
        results: the results directory.
        experiment: experiment name (a folder of ``results/tables``).
        name: table name without ``.csv``, one of ``TABLE_COLUMNS``.

    Raises:
        MissingResultsError: the file does not exist (message names the file and the rule).
        ValueError: the file lacks a required column, or is not a readable CSV.
    """
    return _read_checked(
        table_path(results, experiment, name),
        TABLE_COLUMNS.get(name, ()),
        f"experiment '{experiment}' has no '{name}' table",
        "aggregate",
    )


def try_load_table(results: Path, experiment: str, name: str) -> pd.DataFrame | None:
    """Like ``load_table`` but returns None when the file is absent (bad files still raise)."""
    try:
        return load_table(results, experiment, name)
    except MissingResultsError:
        return None


def try_load_overview(results: Path) -> pd.DataFrame | None:
    """``claims_overview.csv`` (columns ``OVERVIEW_COLUMNS``), or None when it is absent."""
    try:
        return _read_checked(
            overview_path(results), OVERVIEW_COLUMNS, "no claims overview", OVERVIEW_TABLE
        )
    except MissingResultsError:
        return None


def concat_tables(results: Path, name: str, names: Iterable[str] | None = None) -> pd.DataFrame:
    """One table from every experiment, stacked, with an ``experiment`` column first.

    Experiments without the table are skipped; with none, the frame is empty but has the
    table's columns.
    """
    frames = []
    for experiment in experiments(results) if names is None else names:
        frame = try_load_table(results, experiment, name)
        if frame is not None and len(frame):
            frames.append(frame.assign(experiment=experiment))
    columns = ["experiment", *TABLE_COLUMNS.get(name, ())]
    if not frames:
        return pd.DataFrame(columns=columns)
    merged = pd.concat(frames, ignore_index=True)
    return merged[["experiment", *[c for c in merged.columns if c != "experiment"]]]


def load_provenance(results: Path) -> dict[str, Any] | None:
    """``results/tables/provenance.json`` as a dict, or None when it is absent."""
    path = Path(results) / "tables" / "provenance.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON ({err}); rerun the aggregate rule.") from err
