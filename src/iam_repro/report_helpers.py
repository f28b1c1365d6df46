"""Small functions the report's pages call, so that the pages stay short.

The book (``report/``) only *reads* what the pipeline produced under ``results/``: tables in
``results/tables/{experiment}/``, figures in ``results/figures/{experiment}/`` and
``results/tables/provenance.json``. Nothing here trains or aggregates; the helpers load tables
(with a clear message when one is missing), turn them into HTML tables with verdict styling, and
format the few numbers that the pages' prose quotes via myst-nb ``glue``.

``build_book`` runs ``jupyter-book build`` the way the Snakemake report rule does.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from iam_repro.analysis.fig5 import Fig5Panel, fig5_panel, model_label
from iam_repro.analysis.tables import OUTPUT_COLUMNS, load_reference_fig5, rolling_window
from iam_repro.config.deviations import DEVIATION_COLUMNS
from iam_repro.io.atomic import write_text_atomic

#: Environment variable holding the absolute path of the results directory.
RESULTS_ENV = "IAM_RESULTS_DIR"
#: Environment variable holding the absolute path of MathJax 3's ``es5`` folder.
MATHJAX_ENV = "IAM_MATHJAX_DIR"
#: Results directory used when ``IAM_RESULTS_DIR`` is unset (relative to ``report/``, the cwd
#: of the pages while they execute).
DEFAULT_RESULTS = "../results"

#: The tables an experiment folder holds, with the columns each must have (the aggregate
#: rule's contract, taken from the code that writes them).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    **{name.removesuffix(".csv"): tuple(cols) for name, cols in OUTPUT_COLUMNS.items()},
    "deviations": tuple(DEVIATION_COLUMNS),
}

#: What the prose shows for a number that is not in the results.
MISSING = "—"

#: Verdict words used in the claims tables, and the CSS class each is shown with.
VERDICTS: dict[str, str] = {
    "reproduced": "verdict-reproduced",
    "partly": "verdict-partly",
    "not reproduced": "verdict-not-reproduced",
    "not yet run": "verdict-not-run",
}


@dataclass(frozen=True)
class PaperClaim:
    """One claim of the paper that the report tests (spec/paper.md, "Claims to test")."""

    number: int
    experiment: str
    text: str


#: The seven claims, in the paper's words as summarised by spec/paper.md. These are the
#: *paper's* statements (not results), so they are typed here; every result comes from a table.
PAPER_CLAIMS: tuple[PaperClaim, ...] = (
    PaperClaim(1, "warehouse", "IAM ends above LSTM (final return, and area under the curve)."),
    PaperClaim(
        2,
        "warehouse",
        "IAM ends above FNN with 8 stacked observations and above FNN with 1 observation.",
    ),
    PaperClaim(3, "warehouse", "IAM learns faster than LSTM (steps to reach a return threshold)."),
    PaperClaim(4, "traffic", "IAM ends above LSTM and above both FNNs."),
    PaperClaim(5, "traffic", "IAM learns much faster than LSTM (steps to reach a return of -10)."),
    PaperClaim(
        6,
        "all",
        "IAM trains faster in wall-clock time than LSTM and than FNN with "
        "stacked frames (measured throughput).",
    ),
    PaperClaim(
        7,
        "atari",
        "Flickering Atari: IAM (attention) is at least as good as LSTM and as "
        "FNN with 4 frames (model against model; the paper's numbers are unavailable).",
    ),
)


class MissingResultsError(FileNotFoundError):
    """A table or figure the book needs is not in the results directory."""


# --------------------------------------------------------------------------------------------
# Locating and loading results


def results_dir(default: str | os.PathLike[str] = DEFAULT_RESULTS) -> Path:
    """The results directory: ``$IAM_RESULTS_DIR`` if set, else ``default`` (resolved)."""
    return Path(os.environ.get(RESULTS_ENV) or default).resolve()


def experiments(results: Path) -> list[str]:
    """Experiments present in this build: the sub-folders of ``results/tables`` (sorted).

    ``warehouse`` (the paper's main benchmark) comes first when present.
    """
    tables = Path(results) / "tables"
    if not tables.is_dir():
        return []
    names = sorted(p.name for p in tables.iterdir() if p.is_dir() and not p.name.startswith("."))
    return sorted(names, key=lambda name: name != "warehouse")


def table_path(results: Path, experiment: str, name: str) -> Path:
    """Path of ``results/tables/{experiment}/{name}.csv``."""
    return Path(results) / "tables" / experiment / f"{name}.csv"


def figure_path(results: Path, experiment: str, name: str = "fig5.png") -> Path:
    """Path of ``results/figures/{experiment}/{name}``."""
    return Path(results) / "figures" / experiment / name


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
    path = table_path(results, experiment, name)
    if not path.is_file():
        raise MissingResultsError(
            f"{path} does not exist: experiment '{experiment}' has no '{name}' table. "
            "Run the pipeline's aggregate rule (snakemake) before building the book."
        )
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ValueError(
            f"{path} is not a readable CSV table ({err}); rerun the aggregate "
            "rule to regenerate it."
        ) from err
    required = TABLE_COLUMNS.get(name, ())
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise ValueError(
            f"{path} lacks column(s) {missing}; expected {list(required)}. "
            "Rerun the aggregate rule to regenerate it."
        )
    return frame


def try_load_table(results: Path, experiment: str, name: str) -> pd.DataFrame | None:
    """Like ``load_table`` but returns None when the file is absent (bad files still raise)."""
    try:
        return load_table(results, experiment, name)
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


# --------------------------------------------------------------------------------------------
# Formatting


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == "" or value.strip().lower() == "nan"
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _as_float(value: Any) -> float | None:
    """The value as a float, or None when it is not a number (strings like 'n/a')."""
    if _is_missing(value) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def format_value(value: Any, digits: int = 3) -> str:
    """A number in a short human form; strings pass through; missing values become '—'.

    Examples: 38.234 -> '38.2', 0.01234 -> '0.0123', 2200000 -> '2.2e6', 1234.0 -> '1,234',
    12 -> '12', float('nan') -> '—', 'not available' -> 'not available'.
    """
    if _is_missing(value):
        return MISSING
    number = _as_float(value)
    if number is None:
        return str(value)
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    magnitude = abs(number)
    if magnitude >= 1e5:
        mantissa, exponent = f"{number:.{digits - 1}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    if number == int(number):
        return f"{int(number):,}"
    if magnitude >= 1000:
        return f"{number:,.0f}"
    return f"{number:.{digits}g}"


def format_fixed(value: Any, decimals: int = 2) -> str:
    """A number with a fixed number of decimals (returns: 38.3428 -> '38.34'); missing -> '—'.

    Strings that are not numbers pass through ('not available').
    """
    if _is_missing(value):
        return MISSING
    number = _as_float(value)
    if number is None:
        return str(value)
    return f"{number:,.{decimals}f}"


def format_ci(low: Any, high: Any, digits: int = 3, decimals: int | None = None) -> str:
    """A confidence interval as '[low, high]', or '—' when either end is missing.

    Ends use ``format_fixed(x, decimals)`` when ``decimals`` is given, else
    ``format_value(x, digits)``.
    """
    if _is_missing(low) or _is_missing(high):
        return MISSING
    if decimals is not None:
        return f"[{format_fixed(low, decimals)}, {format_fixed(high, decimals)}]"
    return f"[{format_value(low, digits)}, {format_value(high, digits)}]"


def normalise_verdict(verdict: Any) -> str:
    """Map a verdict string onto one of ``VERDICTS`` (case and spacing insensitive).

    'Reproduced' -> 'reproduced', 'partly reproduced' -> 'partly', 'not_reproduced' ->
    'not reproduced'; missing -> 'not yet run'. Unknown words are returned lower-cased.
    """
    if _is_missing(verdict):
        return "not yet run"
    text = re.sub(r"[\s_-]+", " ", str(verdict).strip().lower())
    if text.startswith("not reproduced") or text in {"no", "failed"}:
        return "not reproduced"
    if text.startswith("partly") or text.startswith("partial"):
        return "partly"
    if text.startswith("not yet") or text in {"not run", "missing", "no data"}:
        return "not yet run"
    if text.startswith("reproduced") or text == "yes":
        return "reproduced"
    return text


def verdict_badge(verdict: Any) -> str:
    """HTML for a verdict, styled by its class (see report/_static/custom.css)."""
    word = normalise_verdict(verdict)
    css = VERDICTS.get(word, "verdict-other")
    return f'<span class="verdict {css}">{html.escape(word)}</span>'


def html_table(
    frame: pd.DataFrame,
    columns: Mapping[str, str] | None = None,
    *,
    verdict_column: str | None = "verdict",
    digits: int = 3,
    caption: str | None = None,
    formats: Mapping[str, Callable[[Any], str]] | None = None,
) -> str:
    """Render a DataFrame as an HTML table for the book.

    Args:
        frame: the rows to show.
        columns: which columns to show, in order, mapped to their headers (default: all,
            headed by their names).
        verdict_column: a column (by its name in ``frame``) shown as a coloured verdict badge.
        digits: significant digits for numbers (see ``format_value``).
        caption: optional caption above the table.
        formats: per-column formatters (value -> text) replacing ``format_value``.

    Returns:
        An HTML string: ``<table class="iam-table">`` with escaped cells.
    """
    columns = dict(columns) if columns is not None else {c: str(c) for c in frame.columns}
    formats = dict(formats or {})
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise KeyError(f"html_table: column(s) {absent} not in the table {list(frame.columns)}")
    parts = ['<div class="iam-table-wrap"><table class="iam-table">']
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    # A column is right-aligned when every value it holds is a number (or missing).
    numeric = {
        column: column != verdict_column
        and all(_as_float(v) is not None or _is_missing(v) for v in frame[column])
        for column in columns
    }
    # Each cell carries its column's class (col-<name>, for widths in custom.css) and "num".
    css = {
        column: f' class="col-{_slug(str(column))}{" num" if numeric[column] else ""}"'
        for column in columns
    }
    parts.append("<thead><tr>")
    for column, header in columns.items():
        parts.append(f"<th{css[column]}>{html.escape(str(header))}</th>")
    parts.append("</tr></thead><tbody>")
    for _, row in frame.iterrows():
        parts.append("<tr>")
        for column in columns:
            value = row[column]
            if column == verdict_column:
                cell = verdict_badge(value)
            elif column in formats:
                cell = html.escape(formats[column](value))
            else:
                cell = html.escape(format_value(value, digits))
            parts.append(f"<td{css[column]}>{cell}</td>")
        parts.append("</tr>")
    parts.append("</tbody></table></div>")
    return "".join(parts)


def notice(title: str, text: str, kind: str = "warning") -> str:
    """HTML admonition (the theme's note/warning box) for messages such as 'not run'."""
    return (
        f'<div class="admonition {html.escape(kind)}"><p class="admonition-title">'
        f"{html.escape(title)}</p><p>{html.escape(text)}</p></div>"
    )


def not_run_notice(experiment: str, what: str = "results") -> str:
    """The standard 'not run in this build' box for an experiment without tables."""
    return notice(
        f"{experiment}: not run in this build",
        f"The results directory holds no {what} for the '{experiment}' experiment, so this "
        "section is empty. Select the experiment (config/config.yaml, key 'experiments') and "
        "rerun the pipeline to fill it.",
    )


def show_html(markup: str) -> None:
    """Display HTML as a cell output (imported lazily: IPython exists only in the kernel)."""
    from IPython.display import HTML, display

    display(HTML(markup))


def preset_note(preset: str) -> str:
    """One sentence on what the build's preset means for comparisons with the paper."""
    if preset == "paper":
        return (
            "Runs use the paper's training budget, so their returns can be set against the paper's."
        )
    if preset in {"smoke", "quick"}:
        return (
            f"The '{preset}' preset trains for a small fraction of the paper's budget: it "
            "checks that the pipeline works, and its returns and verdicts say nothing about "
            "the paper."
        )
    if preset == "unknown":
        return "No provenance.json was found, so the preset of these results is unknown."
    return (
        f"'{preset}' is not one of the standard presets (smoke, quick, paper); see the "
        "Provenance page for the budget used."
    )


# --------------------------------------------------------------------------------------------
# Claims


def claim_number(claim_id: Any) -> int | None:
    """The paper-claim number a claims-table id refers to: 1, '1', '1a', 'claim-2b' -> int."""
    if _is_missing(claim_id):
        return None
    number = _as_float(claim_id)
    if number is not None and number == int(number):
        return int(number)
    match = re.search(r"(\d+)", str(claim_id))
    return int(match.group(1)) if match else None


#: Columns of the frames that ``claims_overview`` and ``experiment_claims`` return.
CLAIM_FRAME_COLUMNS = [
    "number",
    "claim_id",
    "experiment",
    "claim",
    "paper_value",
    "reproduced_value",
    "ci",
    "tolerance",
    "verdict",
    "evidence",
]


def claims_overview(claims: pd.DataFrame) -> pd.DataFrame:
    """Every paper claim 1–7 with the reproduced rows that test it.

    Args:
        claims: claims tables of all experiments stacked (``concat_tables(results, 'claims')``),
            with an ``experiment`` column.

    Returns:
        One row per claims-table row, ordered by claim number, plus one 'not yet run' row for
        each paper claim that no table tests; rows whose id matches no paper claim come last.
        Columns: number, claim_id, experiment, claim, paper_value, reproduced_value, ci,
        tolerance, verdict, evidence.
    """
    columns = CLAIM_FRAME_COLUMNS
    rows: list[dict[str, Any]] = []
    claims = claims.copy()
    claims["number"] = [claim_number(c) for c in claims["claim_id"]] if len(claims) else []
    known = {c.number for c in PAPER_CLAIMS}
    for paper_claim in PAPER_CLAIMS:
        tested = claims[claims["number"] == paper_claim.number]
        if tested.empty:
            rows.append(
                {
                    "number": paper_claim.number,
                    "claim_id": str(paper_claim.number),
                    "experiment": paper_claim.experiment,
                    "claim": paper_claim.text,
                    "paper_value": None,
                    "reproduced_value": None,
                    "ci": MISSING,
                    "tolerance": None,
                    "verdict": "not yet run",
                    "evidence": "no results in this build",
                }
            )
            continue
        for _, row in tested.iterrows():
            rows.append(_claim_row(row, paper_claim.number))
    for _, row in claims[~claims["number"].isin(known)].iterrows():
        rows.append(_claim_row(row, row["number"]))
    return pd.DataFrame(rows, columns=columns)


def _claim_row(row: pd.Series, number: Any) -> dict[str, Any]:
    return {
        "number": number,
        "claim_id": format_value(row["claim_id"]),
        "experiment": row.get("experiment", ""),
        "claim": row["claim"],
        "paper_value": row["paper_value"],
        "reproduced_value": row["reproduced_value"],
        "ci": format_ci(row["ci_low"], row["ci_high"]),
        "tolerance": row["tolerance"],
        "verdict": normalise_verdict(row["verdict"]),
        "evidence": row["evidence"],
    }


def estimate_with_ci(value: Any, ci: str) -> str:
    """'2.43 [1.63, 3.23]' (a value and its formatted CI), or the value alone when no CI."""
    text = format_value(value)
    return text if ci in {"", MISSING} else f"{text} {ci}"


#: Headers of the claims table as the pages show it.
CLAIM_COLUMNS = {
    "claim_id": "#",
    "experiment": "experiment",
    "claim": "claim",
    "verdict": "verdict",
    "paper_value": "paper",
    "reproduced": "reproduced [95% CI]",
    "tolerance": "tolerance",
    "evidence": "evidence",
}


def claims_html(
    overview: pd.DataFrame, caption: str | None = None, *, show_experiment: bool = True
) -> str:
    """HTML for a ``claims_overview`` (or ``experiment_claims``) frame or a subset of its rows."""
    reproduced = [
        estimate_with_ci(value, ci)
        for value, ci in zip(overview["reproduced_value"], overview["ci"], strict=True)
    ]
    columns = {k: v for k, v in CLAIM_COLUMNS.items() if show_experiment or k != "experiment"}
    return html_table(overview.assign(reproduced=reproduced), columns, caption=caption)


def experiment_claims(claims: pd.DataFrame, experiment: str) -> pd.DataFrame:
    """One experiment's claims table in the shape of ``claims_overview`` (no 'not yet run' rows)."""
    rows = [
        _claim_row(row, claim_number(row["claim_id"]))
        for _, row in claims.assign(experiment=experiment).iterrows()
    ]
    return pd.DataFrame(rows, columns=CLAIM_FRAME_COLUMNS)


def claim_verdict_text(claims: pd.DataFrame, number: int) -> str:
    """One line stating the verdict(s) of a paper claim, for the pages' prose.

    'reproduced' when one row tests the claim; 'reproduced (1a), partly (1b)' when several;
    'not yet run' when none.
    """
    if claims.empty:
        return "not yet run"
    tested = claims[[claim_number(c) == number for c in claims["claim_id"]]]
    if tested.empty:
        return "not yet run"
    verdicts = [normalise_verdict(v) for v in tested["verdict"]]
    if len(verdicts) == 1:
        return verdicts[0]
    return ", ".join(f"{v} ({c})" for v, c in zip(verdicts, tested["claim_id"], strict=True))


def verdict_counts(overview: pd.DataFrame) -> str:
    """'3 reproduced, 1 partly, 2 not reproduced, 4 not yet run' over the overview's rows."""
    counts = overview["verdict"].value_counts()
    order = [*VERDICTS, *[v for v in counts.index if v not in VERDICTS]]
    return ", ".join(f"{counts[v]} {v}" for v in order if v in counts)


# --------------------------------------------------------------------------------------------
# Results tables


#: Decimals shown for returns (the paper's figure is read to about 0.1-0.2).
RETURN_DECIMALS = 2

#: Headers of the final-return summary table.
SUMMARY_COLUMNS = {
    "label": "model",
    "n_seeds": "seeds",
    "mean": "mean",
    "std": "std",
    "ci": "95% CI",
    "paper_value": "paper (Fig. 5)",
}


def _format_return(value: Any) -> str:
    return format_fixed(value, RETURN_DECIMALS)


def summary_html(summary: pd.DataFrame, caption: str | None = None) -> str:
    """HTML table of ``summary.csv``: final return across seeds per model, and the paper's."""
    frame = summary.assign(
        label=[model_label(m) for m in summary["model"]],
        ci=[
            format_ci(lo, hi, decimals=RETURN_DECIMALS)
            for lo, hi in zip(summary["ci_low"], summary["ci_high"], strict=True)
        ],
    )
    formats = dict.fromkeys(("mean", "std", "paper_value"), _format_return)
    return html_table(frame, SUMMARY_COLUMNS, verdict_column=None, caption=caption, formats=formats)


def estimate_text(summary: pd.DataFrame | None, model: str) -> str:
    """'38.34 (95% CI 38.15 to 38.53)' for one model's final return, or 'not run'."""
    if summary is None:
        return MISSING
    rows = summary[summary["model"] == model]
    if rows.empty:
        return MISSING
    row = rows.iloc[0]
    mean = _format_return(row["mean"])
    if _is_missing(row["ci_low"]) or _is_missing(row["ci_high"]):
        return mean
    return f"{mean} (95% CI {_format_return(row['ci_low'])} to {_format_return(row['ci_high'])})"


def seeds_text(summary: pd.DataFrame | None) -> str:
    """How many seeds each model has in a summary: '5', '2–5' when models differ, '—' if none."""
    if summary is None or summary.empty:
        return MISSING
    counts = pd.to_numeric(summary["n_seeds"], errors="coerce").dropna().astype(int)
    if counts.empty:
        return "an unknown number of"
    low, high = int(counts.min()), int(counts.max())
    return str(low) if low == high else f"{low}–{high}"


def paper_value_text(summary: pd.DataFrame | None, model: str) -> str:
    """The paper's value for one model from the summary table, or '—' when absent."""
    if summary is None:
        return MISSING
    rows = summary[summary["model"] == model]
    if rows.empty or _is_missing(rows.iloc[0]["paper_value"]):
        return MISSING
    return _format_return(rows.iloc[0]["paper_value"])


def _join_or(labels: list[str]) -> str:
    """'IAM', 'IAM or LSTM', 'A, B or C'."""
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"


def paper_reading_text(
    summary: pd.DataFrame | None,
    paper: pd.DataFrame,
    env: str,
    models: Iterable[str],
    budget: float | None,
) -> str:
    """What the paper's Fig. 5 reads for some models at this build's budget, as a clause.

    The values are the summary table's ``paper_value`` (the paper's curve over the same last
    part of the budget as the reproduced final return; its FNN values exist only at its own
    budget). Where a model has none, the clause says why from the figure's points, instead of
    quoting a dash: a quick run ends before the paper's first point.

    Args:
        summary: ``summary.csv`` (None: the experiment did not run, and dashes stand in).
        paper: The Fig. 5 reference (``load_reference_fig5()``).
        env: The environment whose row of the figure is read.
        models: The models, in the order the sentence names them.
        budget: Per-worker steps of this build's runs (None: unknown).

    Returns:
        e.g. 'the paper's figure reads about 41.00 and 35.40', 'the paper's figure has no IAM
        or LSTM point before 200,000 steps', 'the paper's figure reads about 29.00 for IAM and
        has no LSTM point before 300,000 steps'.
    """
    models = list(models)
    values = {model: paper_value_text(summary, model) for model in models}
    missing = [model for model in models if values[model] == MISSING]
    if summary is None or not missing:
        return f"the paper's figure reads about {' and '.join(values.values())}"
    read = [model for model in models if model not in missing]
    labels = _join_or([model_label(model) for model in missing])
    steps = paper.loc[(paper["env"] == env) & paper["model"].isin(missing), "step"]
    if budget is None or steps.empty:
        gap = f"has no {labels} value at this budget"
    elif (steps > budget).all():
        gap = f"has no {labels} point before {int(steps.min()):,} steps"
    elif (steps < budget).all():
        gap = f"has no {labels} point after {int(steps.max()):,} steps"
    else:
        gap = f"has no {labels} point near {int(budget):,} steps"
    if not read:
        return f"the paper's figure {gap}"
    found = " and ".join(f"{values[model]} for {model_label(model)}" for model in read)
    return f"the paper's figure reads about {found} and {gap}"


def run_budget(compute: pd.DataFrame | None, curves: pd.DataFrame | None) -> float | None:
    """Per-worker steps of an experiment's runs: the longest run in ``compute.csv``, else the
    last step of its curves, else None."""
    for frame, column in ((compute, "steps_per_worker"), (curves, "step")):
        if frame is not None and len(frame) and pd.notna(frame[column].max()):
            return float(frame[column].max())
    return None


#: File name of the rolling-average figure (rule plot_rolling) in ``results/figures/{exp}/``.
ROLLING_FIGURE = "rolling.png"


def rolling_note(rolling: pd.DataFrame | None) -> str:
    """One sentence saying what the rolling-average figure shows, its window read from
    ``curves_rolling.csv`` (``window_episodes``; the number of workers is transitions / step)."""
    window = None if rolling is None else rolling_window(rolling)
    if window is None:
        return "No rolling-average curves are in this build's results."
    workers = (rolling["transitions"] / rolling["step"]).round().unique()
    who = f"all {int(workers[0])} workers" if len(workers) == 1 else "all workers"
    return (
        f"Each curve is a rolling average: at each step, the mean return of the last "
        f"{window:,} episodes that ended by then, over {who} of the run (thin lines: single "
        "seeds; thick: their mean). This is the curve most RL libraries log; the Fig. 5 "
        "comparison above follows the paper's protocol instead (the mean return of worker 0's "
        "episodes per window of steps), so the paper's values are not drawn here."
    )


def show_rolling(results: Path, experiment: str) -> None:
    """Display an experiment's rolling-average figure and the sentence saying what it shows."""
    figure = figure_path(results, experiment, ROLLING_FIGURE)
    if figure.is_file():
        from IPython.display import Image, display

        display(Image(filename=str(figure)))
        note = rolling_note(try_load_table(results, experiment, "curves_rolling"))
        show_html(f"<p>{html.escape(note)}</p>")
    else:
        show_html(
            notice(
                "Figure not available",
                f"{figure.relative_to(results)} is not in the results directory: the "
                "plot_rolling rule did not run in this build.",
            )
        )


def format_duration(seconds: Any) -> str:
    """A wall time in a readable unit: 45 -> '45 s', 2220 -> '37 min', 18720 -> '5.2 h'."""
    value = _as_float(seconds)
    if value is None:
        return MISSING
    if value < 120:
        return f"{value:.0f} s"
    if value < 7200:
        return f"{value / 60:.0f} min"
    return f"{value / 3600:.1f} h"


def format_ratio(value: Any) -> str:
    """A ratio as '0.55×' ('—' when missing or not finite)."""
    number = _as_float(value)
    if number is None or not math.isfinite(number):
        return MISSING
    return f"{number:.2f}×"


#: Headers of the per-run compute table.
COMPUTE_RUN_COLUMNS = {
    "label": "model",
    "seed": "seed",
    "wall_time_s": "wall time",
    "transitions": "transitions",
    "steps_per_worker": "steps per worker",
    "transitions_per_s": "transitions / s",
    "device": "device",
    "resumes": "resumed",
}

#: Headers of the per-model compute table.
COMPUTE_MODEL_COLUMNS = {
    "label": "model",
    "runs": "runs",
    "wall_time_s": "mean wall time",
    "transitions_per_s": "mean transitions / s",
    "relative": "relative to IAM",
}

_COMPUTE_FORMATS: dict[str, Callable[[Any], str]] = {
    "wall_time_s": format_duration,
    "transitions_per_s": lambda v: format_fixed(v, 0),
    "relative": format_ratio,
}


def compute_per_model(compute: pd.DataFrame) -> pd.DataFrame:
    """Mean wall time and throughput per model (a display summary of ``compute.csv``).

    Columns: model, label, runs, wall_time_s, transitions_per_s, relative (throughput divided
    by IAM's; NaN when IAM is absent). Model order as first seen in the table.
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
    grouped["label"] = [model_label(m) for m in grouped["model"]]
    iam = grouped.loc[grouped["model"] == "IAM", "transitions_per_s"]
    base = float(iam.iloc[0]) if len(iam) and float(iam.iloc[0]) > 0 else math.nan
    grouped["relative"] = grouped["transitions_per_s"] / base
    return grouped


def compute_models_html(compute: pd.DataFrame, caption: str | None = None) -> str:
    """HTML table of ``compute_per_model(compute)``."""
    return html_table(
        compute_per_model(compute),
        COMPUTE_MODEL_COLUMNS,
        verdict_column=None,
        caption=caption,
        formats=_COMPUTE_FORMATS,
    )


def compute_runs_html(compute: pd.DataFrame, caption: str | None = None) -> str:
    """HTML table of ``compute.csv``, one row per run."""
    return html_table(
        compute.assign(label=[model_label(m) for m in compute["model"]]),
        COMPUTE_RUN_COLUMNS,
        verdict_column=None,
        caption=caption,
        formats=_COMPUTE_FORMATS,
    )


#: Headers of the per-run scores table.
SCORE_COLUMNS = {
    "label": "model",
    "seed": "seed",
    "final_return": "final return",
    "auc": "area under the curve",
    "steps_to_threshold": "steps to threshold",
}


def scores_html(scores: pd.DataFrame, caption: str | None = None) -> str:
    """HTML table of ``final_scores.csv``, one row per run ('—': threshold never reached)."""
    return html_table(
        scores.assign(label=[model_label(m) for m in scores["model"]]),
        SCORE_COLUMNS,
        verdict_column=None,
        caption=caption,
        formats={"final_return": _format_return},
    )


def ppo_name_table() -> pd.DataFrame:
    """Our PPO setting names against the original code's keys and other libraries' names.

    Built from ``iam_repro.ppo.config.NAME_MAP`` with the original protocol's value of each
    setting (``PPOConfig()`` defaults: the warehouse column of spec/ppo.md).
    Columns: ours, original, common, value.
    """
    from iam_repro.ppo.config import NAME_MAP, PPOConfig

    defaults = PPOConfig().to_dict()
    rows = [
        {
            "ours": ours,
            "original": original,
            "common": common,
            "value": format_value(defaults.get(ours), digits=4),
        }
        for ours, (original, common) in NAME_MAP.items()
    ]
    return pd.DataFrame(rows, columns=["ours", "original", "common", "value"])


#: Headers of the deviations table.
DEVIATION_COLUMNS = {
    "experiment": "experiment",
    "model": "model",
    "option": "option",
    "value": "value",
    "original": "original",
    "description": "what it changes",
}


def _slug(text: str) -> str:
    """'Flicker Pong!' -> 'flicker-pong' (for HTML ids and classes)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def heading_html(text: str, level: int = 2) -> str:
    """An HTML heading (for sections generated in a loop, such as one per experiment)."""
    return f'<h{level} class="iam-heading" id="{_slug(text)}">{html.escape(text)}</h{level}>'


def provenance_frame(provenance: Mapping[str, Any]) -> pd.DataFrame:
    """The build-level fields of provenance.json as (item, value) rows."""
    commit = str(provenance.get("git_commit", "unknown"))
    if provenance.get("git_dirty"):
        commit += " (with uncommitted changes)"
    rows = [
        ("preset", provenance.get("preset", "unknown")),
        ("experiments", ", ".join(provenance.get("experiments", [])) or "none"),
        ("git commit", commit),
        ("generated (UTC)", provenance.get("generated_utc", "unknown")),
        ("runs", str(len(provenance.get("runs", [])))),
    ]
    return pd.DataFrame(rows, columns=["item", "value"])


def versions_frame(provenance: Mapping[str, Any]) -> pd.DataFrame:
    """The package versions of provenance.json as (package, version) rows."""
    versions = provenance.get("versions", {}) or {}
    return pd.DataFrame([(k, str(v)) for k, v in versions.items()], columns=["package", "version"])


#: Headers of the per-run provenance table.
RUN_COLUMNS = {
    "run_id": "run",
    "config_digest": "config digest",
    "wall_time_s": "wall time",
    "transitions_per_s": "transitions / s",
    "hostname": "host",
}


def runs_frame(provenance: Mapping[str, Any]) -> pd.DataFrame:
    """The per-run records of provenance.json (columns of ``RUN_COLUMNS``; missing keys blank)."""
    return pd.DataFrame(provenance.get("runs", []) or [], columns=list(RUN_COLUMNS))


def runs_html(provenance: Mapping[str, Any]) -> str:
    """HTML table of the per-run records of provenance.json."""
    return html_table(
        runs_frame(provenance),
        RUN_COLUMNS,
        verdict_column=None,
        formats={
            "wall_time_s": format_duration,
            "transitions_per_s": lambda v: format_fixed(v, 0),
            "config_digest": lambda v: MISSING if _is_missing(v) else str(v),
            "hostname": lambda v: MISSING if _is_missing(v) else str(v),
        },
    )


# --------------------------------------------------------------------------------------------
# Results chapters (one per Fig. 5 environment: warehouse.md, traffic.md)


@dataclass(frozen=True)
class ChapterResults:
    """What a results chapter reads of one experiment (None: the table is not in the results).

    Attributes:
        experiment: The experiment name (a folder of ``results/tables``).
        panel: The paper's Fig. 5 row for the experiment's environment.
        results: The results directory.
        preset: The preset of this build ('unknown' without provenance.json).
        summary, curves, scores, compute: ``summary.csv``, ``curves_summary.csv``,
            ``final_scores.csv`` and ``compute.csv`` of the experiment.
        claims: Its ``claims.csv`` with an ``experiment`` column (empty when absent).
        rolling: Its ``curves_rolling.csv``.
    """

    experiment: str
    panel: Fig5Panel
    results: Path
    preset: str
    summary: pd.DataFrame | None
    curves: pd.DataFrame | None
    scores: pd.DataFrame | None
    compute: pd.DataFrame | None
    claims: pd.DataFrame
    rolling: pd.DataFrame | None = None

    @property
    def ran(self) -> bool:
        """Whether the experiment has results in this build."""
        return self.summary is not None


def load_chapter(
    experiment: str, env: str | None = None, results: Path | None = None
) -> ChapterResults:
    """Load everything a results chapter shows for one experiment.

    Args:
        experiment: The experiment name.
        env: Its environment (default: the experiment name, as for the shipped experiments).
        results: The results directory (default: ``results_dir()``).

    Raises:
        KeyError: the paper's Fig. 5 has no row for ``env``.
    """
    env = env or experiment
    panel = fig5_panel(env)
    if panel is None:
        raise KeyError(f"the paper's Fig. 5 has no row for environment '{env}'")
    results = results_dir() if results is None else Path(results)
    provenance = load_provenance(results) or {}
    return ChapterResults(
        experiment=experiment,
        panel=panel,
        results=results,
        preset=str(provenance.get("preset", "unknown")),
        summary=try_load_table(results, experiment, "summary"),
        curves=try_load_table(results, experiment, "curves_summary"),
        scores=try_load_table(results, experiment, "final_scores"),
        compute=try_load_table(results, experiment, "compute"),
        claims=concat_tables(results, "claims", [experiment]),
        rolling=try_load_table(results, experiment, "curves_rolling"),
    )


def chapter_texts(chapter: ChapterResults, paper: pd.DataFrame | None = None) -> dict[str, str]:
    """The numbers and phrases a results chapter's prose quotes, by glue name (no prefix).

    Keys: status, last_step, preset_note, seeds, frames, threshold, rolling_note (what the
    rolling-average figure shows: ``rolling_note``); paper_recurrent and paper_feedforward
    (what the paper's figure reads for IAM and LSTM, and for the two FNNs: ``paper_reading_text``
    with ``paper``, default ``load_reference_fig5()``); per model role (IAM, LSTM, FNN1, FNNk =
    FNN with k stacked observations): final_<role> (from the summary table), tps_<role> and
    wall_<role> (mean transitions per second and wall time per run, from the compute table);
    claim<n> for each paper claim about the environment.
    """
    panel = chapter.panel
    paper = load_reference_fig5() if paper is None else paper
    budget = run_budget(chapter.compute, chapter.curves)
    models = panel.models
    texts = {
        "status": ""
        if chapter.ran
        else f"The {chapter.experiment} experiment was not run in this build; each dash below "
        "stands for a missing result.",
        "last_step": MISSING
        if chapter.curves is None or chapter.curves.empty
        else f"{format_value(chapter.curves['step'].max())} steps",
        "preset_note": preset_note(chapter.preset),
        "seeds": seeds_text(chapter.summary),
        "frames": str(panel.frames),
        "threshold": _claimed_threshold(chapter.claims),
        "rolling_note": rolling_note(chapter.rolling),
        "paper_recurrent": paper_reading_text(
            chapter.summary, paper, panel.env, [models["IAM"], models["LSTM"]], budget
        ),
        "paper_feedforward": paper_reading_text(
            chapter.summary, paper, panel.env, [models["FNN1"], models["FNNk"]], budget
        ),
    }
    per_model = (
        compute_per_model(chapter.compute).set_index("model")
        if chapter.compute is not None and not chapter.compute.empty
        else pd.DataFrame(columns=["transitions_per_s", "wall_time_s"])
    )
    for role, model in models.items():
        texts[f"final_{role}"] = estimate_text(chapter.summary, model)
        row = per_model.loc[model] if model in per_model.index else None
        texts[f"tps_{role}"] = MISSING if row is None else format_fixed(row["transitions_per_s"], 0)
        texts[f"wall_{role}"] = MISSING if row is None else format_duration(row["wall_time_s"])
    for number in panel.claims:
        texts[f"claim{number}"] = claim_verdict_text(chapter.claims, number)
    return texts


def _claimed_threshold(claims: pd.DataFrame) -> str:
    """The return threshold of the learning-speed claim, as its claim text states it
    ('... (steps to reach -10)', written by iam_repro.analysis.claims), or '—'."""
    for text in claims["claim"].astype(str) if len(claims) else []:
        match = re.search(r"\(steps to reach ([^)]+)\)", text)
        if match:
            return match.group(1)
    return MISSING


def glue_texts(prefix: str, texts: Mapping[str, str]) -> None:
    """Glue every text under ``<prefix>_<key>`` for ``{glue:text}`` roles (myst-nb's glue)."""
    from myst_nb import glue

    for key, value in texts.items():
        glue(f"{prefix}_{key}", value, display=False)


def show_chapter_figure(chapter: ChapterResults, name: str = "fig5.png") -> None:
    """Display one of the experiment's figures (default: its Fig. 5 panels; ``ROLLING_FIGURE``:
    its rolling-average curves), or a notice that the plot rule did not run."""
    figure = figure_path(chapter.results, chapter.experiment, name)
    if figure.is_file():
        from IPython.display import Image, display

        display(Image(filename=str(figure)))
    else:
        shown = (
            figure.relative_to(chapter.results)
            if figure.is_relative_to(chapter.results)
            else figure
        )
        show_html(
            notice(
                "Figure not available",
                f"{shown} is not in the results directory: the plot rule did not run in this "
                "build.",
            )
        )


def show_chapter_summary(chapter: ChapterResults) -> None:
    """Display the final-return summary table, or the 'not run' notice."""
    if chapter.summary is None:
        show_html(not_run_notice(chapter.experiment, "final scores"))
    else:
        show_html(summary_html(chapter.summary))


def show_chapter_claims(chapter: ChapterResults) -> None:
    """Display the rows of the paper claims about this environment (placeholders if not run)."""
    overview = claims_overview(chapter.claims)
    rows = overview[overview["number"].isin(list(chapter.panel.claims))]
    show_html(claims_html(rows, show_experiment=False))


def show_chapter_scores(chapter: ChapterResults) -> None:
    """Display the per-run scores, or the 'not run' notice."""
    if chapter.scores is None:
        show_html(not_run_notice(chapter.experiment, "per-run scores"))
    else:
        show_html(scores_html(chapter.scores))


def show_chapter_compute(chapter: ChapterResults) -> None:
    """Display mean wall time and throughput per model, or the 'not run' notice."""
    if chapter.compute is None or chapter.compute.empty:
        show_html(not_run_notice(chapter.experiment, "compute records"))
    else:
        show_html(compute_models_html(chapter.compute))


#: Returns of fixed policies on the traffic environment (episode return, mean ± population std
#: over 50 episodes, seeds 1..50), measured by running the authors' original environment code
#: under SUMO 1.28 with ``--default.departspeed 0``: spec/traffic.md, section 10, and
#: ``policy_stats`` of its golden file (shared/reference/traffic_golden.json). Facts about the
#: environment, not results of this pipeline.
TRAFFIC_POLICY_RETURNS: dict[str, tuple[float, float]] = {
    "uniform random": (-39.9, 2.9),
    "always green north (action 0)": (-133.1, 3.4),
    "always green west (action 1)": (-129.8, 3.2),
    "switch every 20 steps": (-34.3, 2.4),
    "switch every 10 steps": (-35.9, 3.8),
    "queue-greedy heuristic (memoryless)": (-10.6, 8.1),
}
#: Episodes behind each of ``TRAFFIC_POLICY_RETURNS`` (episode seeds 1..50).
TRAFFIC_POLICY_EPISODES = 50


def traffic_texts(paper: pd.DataFrame | None = None) -> dict[str, str]:
    """Calibration numbers the traffic chapter quotes, by glue name (no prefix).

    Keys: sumo_version (the pinned SUMO release, ``iam_repro.envs.requirements.SUMO_VERSION``),
    random, random_std, heuristic, policy_episodes (from ``TRAFFIC_POLICY_RETURNS``
    and ``TRAFFIC_POLICY_EPISODES``), paper_start and
    paper_start_step (the earliest traffic point of the paper's Fig. 5, from the packaged
    reference table).
    """
    from iam_repro.envs.requirements import SUMO_VERSION

    paper = load_reference_fig5() if paper is None else paper
    curve = paper[(paper["env"] == "traffic") & (paper["kind"] == "curve")]
    first = curve.sort_values("step", kind="stable").iloc[0] if len(curve) else None
    returns = TRAFFIC_POLICY_RETURNS
    return {
        "sumo_version": SUMO_VERSION,
        "random": format_fixed(returns["uniform random"][0], 1),
        "random_std": format_fixed(returns["uniform random"][1], 1),
        "heuristic": format_fixed(returns["queue-greedy heuristic (memoryless)"][0], 1),
        "policy_episodes": str(TRAFFIC_POLICY_EPISODES),
        "paper_start": MISSING if first is None else format_fixed(first["mean_return"], 0),
        "paper_start_step": MISSING if first is None else format_value(first["step"]),
    }


def traffic_policy_html() -> str:
    """HTML table of ``TRAFFIC_POLICY_RETURNS`` (policy, mean return, std)."""
    frame = pd.DataFrame(
        [(name, mean, std) for name, (mean, std) in TRAFFIC_POLICY_RETURNS.items()],
        columns=["policy", "mean", "std"],
    )
    return html_table(
        frame,
        {"policy": "fixed policy", "mean": "mean episode return", "std": "std"},
        verdict_column=None,
        formats={"mean": lambda v: format_fixed(v, 1), "std": lambda v: format_fixed(v, 1)},
    )


# --------------------------------------------------------------------------------------------
# Building the book


def build_book(
    report_src: str | os.PathLike[str],
    results_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    mathjax_dir: str | os.PathLike[str],
    *,
    timeout_s: float | None = 1800,
) -> Path:
    """Build the Jupyter Book with the pipeline's command and return its HTML directory.

    Runs ``jupyter-book build <report_src> --path-output <out_dir> --all -W --keep-going`` with
    ``IAM_RESULTS_DIR`` and ``IAM_MATHJAX_DIR`` set (absolute paths). Warnings are errors, so a
    page whose code fails, a missing glue key or a broken reference fails the build.

    Args:
        report_src: the book's source folder (``report/``).
        results_dir: the pipeline's results folder (holding ``tables/`` and ``figures/``).
        out_dir: where ``_build/html`` is written.
        mathjax_dir: MathJax 3's ``es5`` folder (holds ``tex-chtml.js``), copied into the book.
        timeout_s: wall-clock limit for the whole build.

    Returns:
        ``<out_dir>/_build/html``.

    Raises:
        FileNotFoundError: the sources, the MathJax folder or jupyter-book is missing.
        RuntimeError: the build failed; the message ends with the tail of its log.
    """
    report_src = Path(report_src).resolve()
    out_dir = Path(out_dir).resolve()
    mathjax_dir = Path(mathjax_dir).resolve()
    if not (report_src / "_config.yml").is_file():
        raise FileNotFoundError(f"{report_src} is not a Jupyter Book folder (no _config.yml)")
    if not (mathjax_dir / "tex-chtml.js").is_file():
        raise FileNotFoundError(
            f"{mathjax_dir} is not MathJax 3's es5 folder (no tex-chtml.js); run "
            "scripts/setup.sh, which fetches it into .cache/mathjax/es5"
        )
    # The jupyter-book next to this interpreter, so the book runs in the same environment
    # (and finds the python3 kernel installed into it).
    candidate = Path(sys.executable).parent / "jupyter-book"
    executable = str(candidate) if candidate.exists() else shutil.which("jupyter-book")
    if executable is None:
        raise FileNotFoundError("jupyter-book is not installed: pip install -e '.[workflow]'")
    out_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env[RESULTS_ENV] = str(Path(results_dir).resolve())
    env[MATHJAX_ENV] = str(mathjax_dir)
    # Pages import this package; make sure they get this very copy even without an install.
    src = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    env.setdefault("MPLBACKEND", "Agg")
    # No __pycache__ inside report/ (its files are the report rule's inputs).
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [
        executable,
        "build",
        str(report_src),
        "--path-output",
        str(out_dir),
        "--all",
        "-W",
        "--keep-going",
    ]
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired as err:
        raise RuntimeError(
            f"jupyter-book build timed out after {timeout_s} s: {' '.join(command)}"
        ) from err
    log = _ANSI_ESCAPE.sub("", (done.stdout or "") + (done.stderr or ""))
    # Inside _build (git-ignored), also when the book is built in place (out_dir = report/).
    log_path = out_dir / "_build" / "jupyter-book-build.log"
    write_text_atomic(log_path, log)
    html_dir = out_dir / "_build" / "html"
    if done.returncode != 0 or not (html_dir / "index.html").is_file():
        tail = "\n".join(log.splitlines()[-40:])
        # A page whose code failed leaves its traceback in reports/<page>.err.log.
        tracebacks = "".join(
            f"\n--- {path.name} (end) ---\n" + "\n".join(path.read_text().splitlines()[-15:])
            for path in sorted((html_dir / "reports").glob("*.err.log"))
        )
        raise RuntimeError(
            f"jupyter-book build failed (exit {done.returncode}); full log in "
            f"{log_path}; last lines:\n{tail}{_ANSI_ESCAPE.sub('', tracebacks)}"
        )
    return html_dir


_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# ------------------------------------------------------------------------ archived comparisons

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
        paper: the paper's Fig. 5 values (`load_reference_fig5`).
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
