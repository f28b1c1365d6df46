"""What the paper's Fig. 5 shows per environment, so that plots and pages need no env names.

Each row of Fig. 5 compares IAM, LSTM, FNN with 1 observation and FNN with k stacked
observations on one environment (spec/paper.md). The model names follow the experiment files:
``FNN1`` and ``FNN<k>`` (warehouse k = 8, traffic k = 32).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FIG5_PANELS", "Fig5Panel", "fig5_panel", "model_label"]


@dataclass(frozen=True)
class Fig5Panel:
    """One row of the paper's Fig. 5.

    Attributes:
        env: Environment name (as in experiment files and the Fig. 5 reference).
        row: Where the paper shows it ("top", "bottom").
        max_step: End of the paper's x-axis, in per-worker steps (its training budget).
        frames: k, the number of stacked observations of the second FNN baseline.
        claims: Numbers of the paper claims (spec/paper.md) about this environment's returns.
    """

    env: str
    row: str
    max_step: int
    frames: int
    claims: tuple[int, ...]

    @property
    def stacked_fnn(self) -> str:
        """Model name of FNN with k stacked observations (the paper's red dashed line)."""
        return f"FNN{self.frames}"

    @property
    def models(self) -> dict[str, str]:
        """Role -> model name of the four models the paper compares: IAM, LSTM, FNN1, FNNk."""
        return {"IAM": "IAM", "LSTM": "LSTM", "FNN1": "FNN1", "FNNk": self.stacked_fnn}


FIG5_PANELS: dict[str, Fig5Panel] = {
    "warehouse": Fig5Panel("warehouse", "top", 4_000_000, 8, (1, 2, 3)),
    "traffic": Fig5Panel("traffic", "bottom", 2_000_000, 32, (4, 5)),
}
"""The paper's Fig. 5 rows (spec/paper.md; budgets from spec/ppo.md)."""


def fig5_panel(env: str) -> Fig5Panel | None:
    """The Fig. 5 row of an environment, or None when the paper's figure does not show it."""
    return FIG5_PANELS.get(env)


def model_label(model: str) -> str:
    """Readable model name: 'FNN8' -> 'FNN (8 obs)'; other names unchanged."""
    match = re.fullmatch(r"FNN(\d+)", str(model))
    if match:
        return f"FNN ({match.group(1)} obs)"
    return str(model)
