"""iam_repro.report.markup: the HTML table renderer, verdict badges, notices and headings."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from iam_repro.report.formatting import format_fixed
from iam_repro.report.markup import (
    heading_html,
    html_table,
    not_run_notice,
    notice,
    verdict_badge,
)


def test_verdict_badge_classes_and_escaping() -> None:
    assert verdict_badge("Contradicted") == (
        '<span class="verdict verdict-contradicted">contradicted</span>'
    )
    assert "verdict-inconclusive" in verdict_badge("inconclusive (n = 1)")
    assert "verdict-needs-scale" in verdict_badge("needs paper scale")
    assert "verdict-not-run" in verdict_badge(float("nan"))
    assert "verdict-other" in verdict_badge("partly")  # an older table's word: not a verdict
    assert verdict_badge("<b>odd</b>") == (
        '<span class="verdict verdict-other">&lt;b&gt;odd&lt;/b&gt;</span>'
    )


def test_html_table_selects_orders_escapes_and_aligns() -> None:
    frame = pd.DataFrame(
        {"name": ["a<b", "c"], "value": [1.23456, None], "verdict": ["reproduced", "x"]}
    )
    table = html_table(frame, {"value": "V", "name": "N", "verdict": "ok"}, caption="Cap")
    assert table.startswith('<div class="iam-table-wrap"><table class="iam-table">')
    assert "<caption>Cap</caption>" in table
    headers = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", table)
    assert headers == ["V", "N", "ok"]
    cells = re.findall(r"<td([^>]*)>(.*?)</td>", table)
    assert cells[0] == (' class="col-value num"', "1.23")
    assert cells[1] == (' class="col-name"', "a&lt;b")
    assert "verdict-reproduced" in cells[2][1]
    assert cells[3] == (' class="col-value num"', "—")  # a missing number keeps the alignment
    assert '<th class="col-value num">V</th>' in table and '<th class="col-name">N</th>' in table
    with pytest.raises(KeyError, match="missing_col"):
        html_table(frame, {"missing_col": "x"})


def test_html_table_uses_column_formats() -> None:
    frame = pd.DataFrame({"mean": [38.3428], "n": [5]})
    table = html_table(frame, formats={"mean": format_fixed}, verdict_column=None)
    assert '<td class="col-mean num">38.34</td>' in table
    assert '<td class="col-n num">5</td>' in table


def test_notices_escape_their_text() -> None:
    box = notice("T<", "x & y", kind="note")
    assert box.startswith('<div class="admonition note">')
    assert "T&lt;" in box and "x &amp; y" in box
    assert "warehouse: not run in this build" in not_run_notice("warehouse")


def test_heading_html_slug() -> None:
    assert heading_html("Flicker Pong!") == (
        '<h2 class="iam-heading" id="flicker-pong">Flicker Pong!</h2>'
    )
