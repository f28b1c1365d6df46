"""The across-experiment figures: performance profiles and sample efficiency, drawn with seaborn.

Both read a table of `iam_repro.analysis.across` (the statistics and their stratified-bootstrap
bands are computed there; seaborn draws the lines per role and styles the axes). Every role has
the colour it has in every other figure (`across.role_palette`). Figures are built on
`matplotlib.figure.Figure`, never registered with pyplot; seaborn's style applies only while a
figure is made (a context manager), so drawing leaves matplotlib's settings as they were. Save
with `iam_repro.io.save_figure_atomic`.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from iam_repro.analysis.across import role_label, role_palette
from iam_repro.reference import registry

__all__ = ["figure_performance_profiles", "figure_sample_efficiency"]

_STYLE = "whitegrid"


def _ordered_roles(table: pd.DataFrame, value: str) -> list[str]:
    """Roles with at least one finite value, in the registry's role order."""
    drawn = set(table.loc[table[value].notna(), "role"])
    order = registry().roles
    return sorted(
        drawn, key=lambda role: (order.index(role) if role in order else len(order), role)
    )


def _lines_with_bands(
    ax: Axes,
    table: pd.DataFrame,
    x: str,
    y: str,
    roles: list[str],
    runs_by_role: dict[str, int],
    steps: bool = False,
) -> None:
    """One seaborn line per role (its estimate) and a shaded band for its CI; `steps`: drawn
    as a step function (a value holds until the next x), else straight between points."""
    import seaborn as sns

    palette = role_palette(roles)
    labels = {role: f"{role_label(role)} ({runs_by_role.get(role, 0)} runs)" for role in roles}
    data = table.loc[table["role"].isin(roles) & table[y].notna()].copy()
    data["label"] = data["role"].map(labels)
    sns.lineplot(
        data=data,
        x=x,
        y=y,
        hue="label",
        hue_order=[labels[r] for r in roles],
        palette={labels[r]: palette[r] for r in roles},
        estimator=None,
        errorbar=None,
        lw=2,
        ax=ax,
        drawstyle="steps-post" if steps else "default",
    )
    for role in roles:
        band = data.loc[(data["role"] == role) & data["ci_low"].notna() & data["ci_high"].notna()]
        if len(band):
            ax.fill_between(
                band[x],
                band["ci_low"],
                band["ci_high"],
                color=palette[role],
                alpha=0.2,
                lw=0,
                step="post" if steps else None,
            )


def _empty(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")


def figure_performance_profiles(profiles: pd.DataFrame) -> Figure:
    """Performance profiles of every role: the share of runs (all experiments pooled) whose
    normalised final score exceeds tau, against tau, with 95 % stratified-bootstrap bands.

    Args:
        profiles: across_experiments_profiles.csv (role, tau, fraction, ci_low, ci_high, runs).

    Returns:
        The figure; with no finite profile, an empty panel saying so.
    """
    import seaborn as sns

    with sns.axes_style(_STYLE):
        fig = Figure(figsize=(7.5, 4.5), layout="constrained")
        ax = fig.add_subplot()
        roles = _ordered_roles(profiles, "fraction")
        runs = profiles.groupby("role")["runs"].max().to_dict() if len(profiles) else {}
        if roles:
            # The share of runs above tau is a step function of tau: drawn as one.
            _lines_with_bands(ax, profiles, "tau", "fraction", roles, runs, steps=True)
            for level, text in ((0.0, "random"), (1.0, "reference")):
                ax.axvline(level, color="0.5", ls="--", lw=1)
                ax.annotate(
                    text,
                    (level, 1.0),
                    xytext=(3, -12),
                    textcoords="offset points",
                    fontsize=8,
                    color="0.35",
                )
            ax.legend(title=None, fontsize=9)
        else:
            _empty(ax, "No normalised scores in this build")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("normalised score τ (0: uniformly random policy, 1: reference)")
        ax.set_ylabel("fraction of runs with score > τ")
        ax.set_title("Performance profiles across experiments (bands: 95 % stratified bootstrap)")
    return fig


def figure_sample_efficiency(efficiency: pd.DataFrame) -> Figure:
    """Sample efficiency of every role: the IQM of the runs' normalised rolling-average returns
    at each fraction of the budget, with 95 % stratified-bootstrap bands.

    Args:
        efficiency: across_experiments_efficiency.csv (role, budget_fraction, iqm, ci_low,
            ci_high, runs).

    Returns:
        The figure; with no finite value, an empty panel saying so.
    """
    import seaborn as sns

    with sns.axes_style(_STYLE):
        fig = Figure(figsize=(7.5, 4.5), layout="constrained")
        ax = fig.add_subplot()
        roles = _ordered_roles(efficiency, "iqm")
        runs = efficiency.groupby("role")["runs"].max().to_dict() if len(efficiency) else {}
        if roles:
            _lines_with_bands(ax, efficiency, "budget_fraction", "iqm", roles, runs)
            for level in (0.0, 1.0):
                ax.axhline(level, color="0.5", ls="--", lw=1)
            ax.legend(title=None, fontsize=9)
        else:
            _empty(ax, "No normalised learning curves in this build")
        ax.set_xlim(0, 1)
        ax.set_xlabel("fraction of the training budget")
        ax.set_ylabel("IQM of normalised return")
        ax.set_title("Sample efficiency across experiments (bands: 95 % stratified bootstrap)")
    return fig
