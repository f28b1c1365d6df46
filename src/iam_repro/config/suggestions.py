"""The "did you mean ...?" part of a config message's fix, for names the user mistyped."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

__all__ = ["choose_fix", "did_you_mean"]


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest choice to `word` (case-insensitive), or None."""
    by_lower = {str(c).lower(): str(c) for c in choices}
    match = difflib.get_close_matches(str(word).lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[match[0]] if match else None


def choose_fix(word: str, choices: Sequence[str], what: str) -> str:
    """A fix for an undefined `what` (model, preset, ...): the closest name, then all names."""
    suggestion = did_you_mean(word, choices)
    listed = ", ".join(choices) if choices else "(none)"
    head = f"did you mean '{suggestion}'? " if suggestion else ""
    return f"{head}Defined {what}s: {listed}."
