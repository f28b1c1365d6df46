"""Numbers, intervals and durations as the book prints them.

One module so that every page rounds the same way, and a missing value reads the same
everywhere (``MISSING``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd

#: What the prose shows for a number that is not in the results.
MISSING = "—"

#: Decimals shown for returns (the paper's figure is read to about 0.1-0.2).
RETURN_DECIMALS = 2


def is_missing(value: Any) -> bool:
    """Whether a cell holds nothing: None, NaN, an empty string or the text 'nan'."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == "" or value.strip().lower() == "nan"
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def as_float(value: Any) -> float | None:
    """The value as a float, or None when it is not a number (strings like 'n/a')."""
    if is_missing(value) or isinstance(value, bool):
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
    if is_missing(value):
        return MISSING
    number = as_float(value)
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
    if is_missing(value):
        return MISSING
    number = as_float(value)
    if number is None:
        return str(value)
    return f"{number:,.{decimals}f}"


def format_return(value: Any) -> str:
    """An episode return with ``RETURN_DECIMALS`` decimals."""
    return format_fixed(value, RETURN_DECIMALS)


def format_ci(low: Any, high: Any, digits: int = 3, decimals: int | None = None) -> str:
    """A confidence interval as '[low, high]', or '—' when either end is missing.

    Ends use ``format_fixed(x, decimals)`` when ``decimals`` is given, else
    ``format_value(x, digits)``.
    """
    if is_missing(low) or is_missing(high):
        return MISSING
    if decimals is not None:
        return f"[{format_fixed(low, decimals)}, {format_fixed(high, decimals)}]"
    return f"[{format_value(low, digits)}, {format_value(high, digits)}]"


def estimate_with_ci(value: Any, ci: str, fmt: Callable[[Any], str] = format_value) -> str:
    """'2.43 [1.63, 3.23]' (a value, written by ``fmt``, and its formatted CI), or the value
    alone when no CI."""
    text = fmt(value)
    return text if ci in {"", MISSING} else f"{text} {ci}"


def format_duration(seconds: Any) -> str:
    """A wall time in a readable unit: 45 -> '45 s', 2220 -> '37 min', 18720 -> '5.2 h'."""
    value = as_float(seconds)
    if value is None:
        return MISSING
    if value < 120:
        return f"{value:.0f} s"
    if value < 7200:
        return f"{value / 60:.0f} min"
    return f"{value / 3600:.1f} h"


def format_ratio(value: Any) -> str:
    """A ratio as '0.55×' ('—' when missing or not finite)."""
    number = as_float(value)
    if number is None or not math.isfinite(number):
        return MISSING
    return f"{number:.2f}×"
