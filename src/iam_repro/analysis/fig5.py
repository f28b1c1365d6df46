"""What the paper's Fig. 5 shows per environment, and readable model names for legends.

The rows themselves are data (reference/paper.yaml, ``envs.<env>.fig5``): where the paper draws
the environment, the end of its x-axis, the claims about it and the role of each line.
"""

from __future__ import annotations

import re

from iam_repro.reference import Fig5Row, registry

__all__ = ["fig5_panel", "model_label"]


def fig5_panel(env: str) -> Fig5Row | None:
    """The Fig. 5 row of an environment, or None when the paper's figure does not show it."""
    return registry().fig5_rows.get(env)


def model_label(model: str) -> str:
    """Readable model name: 'FNN8' -> 'FNN (8 obs)'; other names unchanged."""
    match = re.fullmatch(r"FNN(\d+)", str(model))
    if match:
        return f"FNN ({match.group(1)} obs)"
    return str(model)
