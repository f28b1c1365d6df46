"""The book's HTML building blocks: a table renderer, verdict badges, notices and headings.

Pages emit HTML (not Markdown) for generated content so that the tables keep their column
classes and verdict colours (report/_static/custom.css), and every cell is escaped here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from iam_repro.analysis.overview import normalise_verdict
from iam_repro.report.formatting import as_float, format_value, is_missing

#: Verdict words used in the claims and vs-random tables (in the order the book counts them),
#: and the CSS class each is shown with: one colour per outcome, whichever table.
VERDICTS: dict[str, str] = {
    # claims.csv (iam_repro.analysis.claims.VERDICTS): does the CI over seeds settle the claim?
    "reproduced": "verdict-reproduced",
    "contradicted": "verdict-contradicted",
    "inconclusive": "verdict-inconclusive",
    "inconclusive (n = 1)": "verdict-inconclusive",
    "needs paper scale": "verdict-needs-scale",
    "not yet run": "verdict-not-run",
    # vs_random.csv (iam_repro.analysis.random_baseline): did a run end above chance?
    "above random": "verdict-reproduced",
    "not distinguishable": "verdict-inconclusive",
    "below random": "verdict-contradicted",
}


def slug(text: str) -> str:
    """'Flicker Pong!' -> 'flicker-pong' (for HTML ids and classes)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


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
        and all(as_float(v) is not None or is_missing(v) for v in frame[column])
        for column in columns
    }
    # Each cell carries its column's class (col-<name>, for widths in custom.css) and "num".
    css = {
        column: f' class="col-{slug(str(column))}{" num" if numeric[column] else ""}"'
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


def heading_html(text: str, level: int = 2) -> str:
    """An HTML heading (for sections generated in a loop, such as one per experiment)."""
    return f'<h{level} class="iam-heading" id="{slug(text)}">{html.escape(text)}</h{level}>'


def show_html(markup: str) -> None:
    """Display HTML as a cell output (imported lazily: IPython exists only in the kernel)."""
    from IPython.display import HTML, display

    display(HTML(markup))
