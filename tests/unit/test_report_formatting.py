"""iam_repro.report.formatting: how the book prints numbers, intervals and durations."""

from __future__ import annotations

import math

import pytest

from iam_repro.report import formatting as f


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (38.234, "38.2"),
        (0.01234, "0.0123"),
        (2_200_000, "2.2e6"),
        (1.25e7, "1.25e7"),
        (1234.0, "1,234"),
        (1234.6, "1,235"),
        (12, "12"),
        (-0.4, "-0.4"),
        (float("nan"), "—"),
        (None, "—"),
        ("", "—"),
        ("not available", "not available"),
        ("5.600000000000001", "5.6"),
        (math.inf, "∞"),
    ],
)
def test_format_value(value, text) -> None:
    assert f.format_value(value) == text


def test_fixed_ci_duration_and_ratio_formats() -> None:
    assert f.format_fixed(38.3428) == "38.34"
    assert f.format_fixed(41) == "41.00"
    assert f.format_fixed(None) == "—"
    assert f.format_return(-3.5) == "-3.50"
    assert f.format_ci(1.2345, 2.5) == "[1.23, 2.5]"
    assert f.format_ci(1.2345, 2.5, decimals=2) == "[1.23, 2.50]"
    assert f.format_ci(1.0, float("nan")) == "—"
    assert [f.format_duration(s) for s in (45, 2220, 18720, None)] == [
        "45 s",
        "37 min",
        "5.2 h",
        "—",
    ]
    assert f.format_ratio(0.554) == "0.55×"
    assert f.format_ratio(math.nan) == "—"


def test_estimate_with_ci_leaves_out_a_missing_interval() -> None:
    assert f.estimate_with_ci(2.5, "[1.5, 3.5]") == "2.5 [1.5, 3.5]"
    assert f.estimate_with_ci(1.2e6, f.MISSING) == "1.2e6"


def test_missing_and_numeric_cells() -> None:
    assert f.is_missing(" nan ") and f.is_missing(None) and not f.is_missing(0)
    assert f.as_float("2.5") == 2.5
    assert f.as_float("n/a") is None and f.as_float(True) is None


def test_estimate_with_ci_writes_the_value_with_the_formatter_given() -> None:
    assert f.estimate_with_ci(-0.2, "[-1.10, 0.70]", fmt=f.format_return) == "-0.20 [-1.10, 0.70]"
    assert f.estimate_with_ci(3.5, f.MISSING, fmt=f.format_return) == "3.50"
