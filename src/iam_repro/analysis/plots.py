"""Learning-curve figures: the paper's Fig. 5 with its values overlaid, and rolling averages.

The Fig. 5 overlay is drawn with matplotlib alone (exact control of its panels, and the paper's
band: mean +/- 1 std over seeds); the rolling-average figure lets seaborn aggregate over seeds
and draw the band (a 95 % Student-t CI of the mean over seeds, the estimator of the tables,
`iam_repro.analysis.stats.t_ci`). Every figure names the band it draws, and
every model takes its role's colour (`iam_repro.analysis.roles.role_colors`).

Figures are built on `matplotlib.figure.Figure` directly and always drawn on a given Axes:
nothing is registered with pyplot's figure registry and no backend is selected (seaborn
imports pyplot, but is never asked for a current figure or Axes), and saving uses the Agg
renderer for raster formats. Save with `iam_repro.io.save_figure_atomic`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from iam_repro.analysis.fig5 import fig5_panel, model_label
from iam_repro.analysis.roles import order_models, paper_for_experiment, role_colors
from iam_repro.analysis.stats import t_ci
from iam_repro.analysis.tables import TableSettings, rolling_window

__all__ = [
    "figure_fig5",
    "figure_rolling",
    "plot_learning_curves",
    "plot_rolling_curves",
]

_FALLBACK_COLORS = ("tab:green", "tab:purple", "tab:pink", "tab:olive", "gold", "navy")
"""Colours of models without a role; none of them is a role's (reference/paper.yaml)."""

_TABLE_SETTINGS = TableSettings()
"""The tables' default settings (confidence 0.95)."""

_PAPER_BAND = "±1 std"
"""The band of the paper's Fig. 5, which the overlay draws around our means too."""


def _color_map(
    models: Sequence[str], roles: Mapping[str, str], colors: Mapping[str, str] | None
) -> dict[str, str]:
    """Colour per model: `colors`, else its role's (reference/paper.yaml), else a spare one
    that no role uses."""
    chosen = {**role_colors(roles), **(colors or {})}
    unknown = [m for m in models if m not in chosen]
    for i, model in enumerate(unknown):
        chosen[model] = _FALLBACK_COLORS[i % len(_FALLBACK_COLORS)]
    return chosen


def _single_env(paper: pd.DataFrame) -> pd.DataFrame:
    if "env" in paper.columns and paper["env"].nunique() > 1:
        raise ValueError(
            f"paper holds several envs {sorted(paper['env'].unique())}: select one first"
        )
    return paper


def plot_learning_curves(
    summary: pd.DataFrame,
    paper: pd.DataFrame,
    *,
    ax: Axes | None = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    roles: Mapping[str, str] | None = None,
    models: Sequence[str] | None = None,
    colors: Mapping[str, str] | None = None,
    legend: bool = True,
) -> Axes:
    """Reproduced mean curves with +/-1 std bands, and the paper's Fig. 5 values on top.

    Draws, per model: the reproduced across-seed mean (solid line) with a band of +/- one
    standard deviation (the paper's convention; none where the std is undefined, with one
    seed); the paper's curve points (markers on a dashed line, IAM and LSTM); the paper's final
    FNN values as dashed horizontal lines. Legend labels use `model_label` ("FNN (32 obs)"); the
    legend ends with an entry naming the band (`_fig5_band_label`).

    Args:
        summary: Across-seed curves (curves_summary.csv): columns model, step, mean, std.
        paper: Fig. 5 rows of one env under the experiment's model names
            (`roles.paper_for_experiment`): columns model, step, mean_return, kind
            ("curve" | "final"); an `env` column, if present, must hold one value.
        ax: Axes to draw on (default: a new figure's).
        xlim, ylim: Axis limits (default: matplotlib's).
        roles: The experiment's roster, model -> role: sets the order and each role's colour.
        models: Models to draw, reproduced and paper alike (default: all, in table order).
        colors: Colour per model, overriding the role colours.
        legend: Whether to add a legend.

    Returns:
        The Axes drawn on.
    """
    paper = _single_env(paper)
    if ax is None:
        ax = Figure(figsize=(6, 4), layout="constrained").add_subplot()
    roles = roles or {}
    if models is None:
        models = order_models([*summary["model"], *paper["model"]], roles)
    color = _color_map(models, roles, colors)

    drawn = False  # whether any model has a band
    for model in models:
        mine = summary.loc[summary["model"] == model].sort_values("step")
        if mine.empty:
            continue
        x = mine["step"].to_numpy(dtype=np.float64)
        mean = mine["mean"].to_numpy(dtype=np.float64)
        std = mine["std"].to_numpy(dtype=np.float64)
        label = model_label(model)
        ax.plot(x, mean, color=color[model], lw=1.5, label=f"{label} (reproduced)")
        if np.isfinite(std).any():  # one seed: no std, no band
            band = ax.fill_between(
                x,
                mean - std,
                mean + std,
                where=np.isfinite(std),
                color=color[model],
                alpha=0.2,
                lw=0,
            )
            band.set_gid(f"{model} std band")  # names the band in SVG output and for tests
            drawn = True

    for model in models:
        label = model_label(model)
        theirs = paper.loc[paper["model"] == model].sort_values("step")
        curve = theirs.loc[theirs["kind"] == "curve"]
        if not curve.empty:
            ax.plot(
                curve["step"],
                curve["mean_return"],
                color=color[model],
                ls="--",
                lw=1,
                marker="o",
                ms=3,
                label=f"{label} (paper)",
            )
        for row in theirs.loc[theirs["kind"] == "final"].itertuples():
            ax.axhline(
                row.mean_return,
                color=color[model],
                ls="--",
                lw=1,
                label=f"{label} (paper, final at {row.step:.3g})",
            )

    return _finish_axes(ax, xlim, ylim, legend, [_band_key(_fig5_band_label(drawn), drawn)])


def _fig5_band_label(drawn: bool) -> str:
    """The Fig. 5 overlay's legend entry naming its band (`drawn`: whether any model has one)."""
    ours = f"band: {_PAPER_BAND} over seeds" if drawn else "no band: one seed"
    return f"{ours} (ours; paper: {_PAPER_BAND})"


def _band_key(label: str, drawn: bool = True) -> Patch:
    """A legend entry for a band: a grey swatch (none when no band is drawn) and its name."""
    if drawn:
        return Patch(facecolor="0.55", alpha=0.35, lw=0, label=label)
    return Patch(facecolor="none", edgecolor="none", label=label)


def _finish_axes(
    ax: Axes,
    xlim: tuple[float, float] | None,
    ylim: tuple[float, float] | None,
    legend: bool,
    keys: Sequence[Artist] = (),
) -> Axes:
    """The axis labels every curve panel shares, the given limits, and a legend if asked (the
    labelled artists, then `keys`: entries that name what the bands and thin lines are)."""
    ax.set_xlabel("Steps (per worker)")
    ax.set_ylabel("Average return")
    if xlim is not None:
        ax.set_xlim(*xlim)
    if ylim is not None:
        ax.set_ylim(*ylim)
    handles, _ = ax.get_legend_handles_labels()
    if legend and handles:
        ax.legend(handles=[*handles, *keys], fontsize="small")
    return ax


def _fit_ylim(
    summary: pd.DataFrame, paper: pd.DataFrame, x_low: float, x_high: float
) -> tuple[float, float] | None:
    """y-range covering the reproduced bands and the paper's curve points in [x_low, x_high],
    and the paper's final (horizontal) lines, which cross every x-range."""
    mine = summary.loc[summary["step"].between(x_low, x_high)]
    theirs = paper.loc[
        ((paper["kind"] == "curve") & paper["step"].between(x_low, x_high))
        | (paper["kind"] == "final")
    ]
    std = mine["std"].fillna(0.0).to_numpy(dtype=np.float64)
    values = np.concatenate(
        [
            mine["mean"].to_numpy(dtype=np.float64) - std,
            mine["mean"].to_numpy(dtype=np.float64) + std,
            theirs["mean_return"].to_numpy(dtype=np.float64),
        ]
    )
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return None
    low, high = float(values.min()), float(values.max())
    pad = 0.05 * (high - low) if high > low else max(abs(high) * 0.05, 0.5)
    return low - pad, high + pad


def figure_fig5(
    summary: pd.DataFrame,
    paper: pd.DataFrame,
    env: str,
    *,
    roles: Mapping[str, str] | None = None,
    max_step: int | None = None,
    models: Sequence[str] | None = None,
    colors: Mapping[str, str] | None = None,
) -> Figure:
    """Two-panel comparison with one row of the paper's Fig. 5 (warehouse: top, traffic: bottom).

    Left: the paper's whole x-axis (or the budget, when longer), so that the paper's IAM and
    LSTM curves are drawn in full beside the reproduced ones whatever the budget; the range
    zoomed at right is shaded. Right: a zoom with a y-range fitted to the reproduced bands, the
    paper's points there and its final FNN lines. When the budget ends before the paper's
    x-axis does (quick presets), the zoom shows the whole budget, which fills only the first
    few per cent of the left panel; otherwise its second half, where the final differences (a
    few return units, invisible at full scale: traffic climbs from about -42 to -4) are.

    Args:
        summary: curves_summary.csv of one experiment (columns model, step, mean, std).
        paper: The Fig. 5 reference of all envs (`load_paper_fig5()`); rows of `env` are used,
            each line drawn with the experiment's model that plays its role.
        env: Environment to show.
        roles: The experiment's roster, model -> role (models.csv).
        max_step: Budget in per-worker steps (default: the last reproduced step, else the
            paper's last step).
        models, colors: As in `plot_learning_curves`.

    Returns:
        The figure (not registered with pyplot; save it with `save_figure_atomic`).
    """
    roles = roles or {}
    paper_env = paper_for_experiment(paper, env, roles) if "env" in paper.columns else paper
    paper_end = int(paper_env["step"].max()) if len(paper_env) else 0
    if max_step is None:
        max_step = int(summary["step"].max()) if len(summary) else paper_end or 1
    x_low = 0.0 if max_step < paper_end else max_step / 2
    fig = Figure(figsize=(12, 5), layout="constrained")
    ax_full, ax_zoom = fig.subplots(1, 2)
    plot_learning_curves(
        summary,
        paper_env,
        ax=ax_full,
        xlim=(0, max(max_step, paper_end)),
        roles=roles,
        models=models,
        colors=colors,
        legend=False,
    )
    part = "our whole budget" if x_low == 0 else "second half of our budget"
    zoomed = ax_full.axvspan(x_low, max_step, color="0.9", zorder=0, label=f"{part} (zoomed)")
    zoomed.set_gid("zoom region")
    shown = (summary, paper_env)
    if models is not None:
        shown = tuple(frame.loc[frame["model"].isin(list(models))] for frame in shown)
    plot_learning_curves(
        summary,
        paper_env,
        ax=ax_zoom,
        xlim=(x_low, max_step),
        ylim=_fit_ylim(*shown, x_low, max_step),
        roles=roles,
        models=models,
        colors=colors,
        legend=False,
    )
    full_title = "the paper's whole x-axis" if paper_end >= max_step else "whole budget"
    ax_full.set_title(f"{env}: {full_title}")
    ax_zoom.set_title(f"{env}: zoom on {part}")
    # Below both panels: the zoom holds fewer lines when the paper has no point in its range.
    handles, _ = ax_full.get_legend_handles_labels()
    drawn = any(c.get_gid() and c.get_gid().endswith("std band") for c in ax_full.collections)
    if handles:
        handles.append(_band_key(_fig5_band_label(drawn), drawn))
        fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize="small")
    ours = (
        f"band: {_PAPER_BAND} over seeds, as the paper's"
        if drawn
        else f"one seed: no band; paper: {_PAPER_BAND}"
    )
    panel = fig5_panel(env)
    if panel is None:  # e.g. atari: the paper's values are not available
        fig.suptitle(f"{env}: reproduced ({ours}); the paper gives no values")
    else:
        fig.suptitle(
            f"Fig. 5 ({panel.row} row), {env}: reproduced ({ours}) and the paper's values (dashed)"
        )
    return fig


def _seeds_label(n_seeds: int) -> str:
    return "1 seed, no band" if n_seeds == 1 else f"mean of {n_seeds} seeds"


def _ci_label(confidence: float) -> str:
    return f"{confidence * 100:g} % t CI of the mean over seeds"


def _rolling_description(seeds: Sequence[int], confidence: float) -> str:
    """What the rolling figure draws, by the number of seeds of each model drawn."""
    if not seeds or max(seeds) == 1:
        return "one seed per model: each line is that seed's curve, no band"
    ci = f"{confidence * 100:g} % t CI over seeds"
    none = " (none for a 1-seed model)" if min(seeds) == 1 else ""
    return f"thick: mean over seeds; band: {ci}{none}; thin: each seed"


def _seed_counts(rolling: pd.DataFrame, models: Sequence[str]) -> list[int]:
    counts = rolling.groupby("model")["seed"].nunique()
    return [int(counts[m]) for m in models if m in counts.index]


def plot_rolling_curves(
    rolling: pd.DataFrame,
    *,
    ax: Axes | None = None,
    xlim: tuple[float, float] | None = None,
    roles: Mapping[str, str] | None = None,
    models: Sequence[str] | None = None,
    colors: Mapping[str, str] | None = None,
    legend: bool = True,
    settings: TableSettings = _TABLE_SETTINGS,
) -> Axes:
    """Rolling-average learning curves: the mean over seeds with a Student-t CI band (seaborn),
    and each seed thin.

    The mean and its band are drawn by `seaborn.lineplot` on the steps every seed of the model
    has (like curves_summary.csv), so they never average fewer seeds at the start, where a
    seed's first episode ends later. The band is the Student-t CI of the mean over seeds that
    the tables give (`stats.t_ci` with the settings' confidence). A model with one seed gets
    neither band nor thin line: its line is the seed's.

    Args:
        rolling: curves_rolling.csv of one experiment: columns model, seed, step, mean_return.
        ax: Axes to draw on (default: a new figure's).
        xlim: x-axis limits (default: matplotlib's).
        roles: The experiment's roster, model -> role: sets the order and each role's colour.
        models: Models to draw (default: all, in table order).
        colors: Colour per model, overriding the role colours.
        legend: Whether to add a legend (one entry per model, its mean line; then entries
            naming the band and the thin lines, when drawn).
        settings: The tables' settings (config's `aggregation` block): the confidence.

    Returns:
        The Axes drawn on.
    """
    if ax is None:
        ax = Figure(figsize=(6, 4), layout="constrained").add_subplot()
    roles = roles or {}
    if models is None:
        models = order_models(rolling["model"], roles)
    color = _color_map(models, roles, colors)

    def ci(values: pd.Series) -> tuple[float, float]:
        return t_ci(values.to_numpy(dtype=np.float64), settings.confidence)

    for model in models:
        runs = rolling.loc[rolling["model"] == model]
        if runs.empty:
            continue
        by_step = runs.pivot_table(index="step", columns="seed", values="mean_return")
        n_seeds = by_step.shape[1]
        if n_seeds > 1:
            for seed in by_step.columns:
                line = by_step[seed].dropna()
                (seed_line,) = ax.plot(
                    line.index, line.to_numpy(), color=color[model], lw=0.7, alpha=0.35
                )
                seed_line.set_gid(f"{model} seed {seed}")
        common = by_step.dropna().rename_axis(columns="seed").stack().rename("mean_return")
        n_lines, n_bands = len(ax.lines), len(ax.collections)
        label = f"{model_label(model)} ({_seeds_label(n_seeds)})"
        if common.empty:  # no step that every seed has: no mean to draw, only its legend entry
            ax.plot([], [], color=color[model], lw=2, label=label)
        else:
            sns.lineplot(
                data=common.reset_index(),
                x="step",
                y="mean_return",
                estimator="mean",
                errorbar=ci if n_seeds > 1 else None,
                err_kws={"alpha": 0.2, "linewidth": 0},
                color=color[model],
                lw=2,
                label=label,
                legend=False,
                ax=ax,
            )
        for mean_line in ax.lines[n_lines:]:
            mean_line.set_gid(f"{model} mean")
        for band in ax.collections[n_bands:]:
            band.set_gid(f"{model} CI band")

    seeds = _seed_counts(rolling, models)
    keys: list[Artist] = []
    if seeds and max(seeds) > 1:
        keys.append(_band_key(f"band: {_ci_label(settings.confidence)}"))
        keys.append(Line2D([], [], color="0.4", lw=0.7, alpha=0.6, label="thin: each seed"))
    return _finish_axes(ax, xlim, None, legend, keys)


def figure_rolling(
    rolling: pd.DataFrame,
    env: str,
    *,
    roles: Mapping[str, str] | None = None,
    max_step: int | None = None,
    models: Sequence[str] | None = None,
    colors: Mapping[str, str] | None = None,
    random_level: float | None = None,
    settings: TableSettings = _TABLE_SETTINGS,
) -> Figure:
    """An experiment's rolling-average learning curves (curves_rolling.csv), one panel.

    The usual RL learning curve: at each step, the mean return of the last `window_episodes`
    episodes of all workers. It is not the paper's protocol (worker 0's mean per window, in the
    Fig. 5 figure), so the paper's values are not overlaid.

    Args:
        rolling: curves_rolling.csv of one experiment (columns model, seed, step, mean_return,
            window_episodes).
        env: Environment name, for the title.
        roles: The experiment's roster, model -> role (models.csv).
        max_step: Budget in per-worker steps: the x-axis ends there (default: the last step).
        models, colors, settings: As in `plot_rolling_curves`.
        random_level: Mean return of a uniformly random policy (random_policy.csv), drawn as
            a dashed line; None or NaN: no line.

    Returns:
        The figure (not registered with pyplot; save it with `save_figure_atomic`).
    """
    fig = Figure(figsize=(9, 4.5), layout="constrained")
    ax = fig.add_subplot()
    if random_level is not None and math.isfinite(random_level):
        # Drawn first, so that the legend plot_rolling_curves makes lists it.
        line = ax.axhline(
            random_level, color="0.4", ls="--", lw=1, label=f"uniform random ({random_level:.3g})"
        )
        line.set_gid("uniform random")
    if max_step is None:
        max_step = int(rolling["step"].max()) if len(rolling) else 1
    plot_rolling_curves(
        rolling,
        ax=ax,
        xlim=(0, max_step),
        roles=roles,
        models=models,
        colors=colors,
        settings=settings,
    )
    window = rolling_window(rolling)
    over = f"the last {window:,} episodes" if window is not None else "the last episodes"
    if models is None:
        models = order_models(rolling["model"], roles or {})
    drawn = _rolling_description(_seed_counts(rolling, models), settings.confidence)
    ax.set_title(
        f"{env}: mean return over {over} of all workers (rolling average)\n{drawn}",
        fontsize="medium",
    )
    return fig
