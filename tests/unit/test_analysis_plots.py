"""Figures: the right artists for a tiny input, limits, and no pyplot state."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from iam_repro.analysis.plots import (
    figure_fig5,
    figure_rolling,
    plot_learning_curves,
    plot_rolling_curves,
)
from iam_repro.analysis.tables import rolling_window
from iam_repro.io import save_figure_atomic
from iam_repro.reference import load_paper_fig5 as load_reference_fig5

# The experiment files' rosters: the order and colours follow the roles.
ROLES = {"FNN1": "fnn_1", "FNN8": "fnn_k", "LSTM": "lstm", "IAM": "iam"}
TRAFFIC_ROLES = {"FNN1": "fnn_1", "FNN32": "fnn_k", "LSTM": "lstm", "IAM": "iam"}

SUMMARY = pd.DataFrame(
    {
        "model": ["IAM"] * 3 + ["LSTM"] * 3,
        "step": [10, 20, 30] * 2,
        "mean": [1.0, 2.0, 3.0, 0.5, 1.0, 1.5],
        "std": [0.1, 0.2, 0.3, 0.1, 0.1, 0.1],
    }
)

PAPER = pd.DataFrame(
    {
        "env": "warehouse",
        "model": ["IAM", "IAM", "LSTM", "LSTM", "FNN1", "FNN8"],
        "step": [10, 30, 10, 30, 30, 30],
        "mean_return": [1.2, 2.8, 0.4, 1.6, 2.5, 1.8],
        "kind": ["curve"] * 4 + ["final"] * 2,
        "read_accuracy": 0.1,
    }
)


def test_plot_draws_curves_bands_paper_points_and_fnn_lines() -> None:
    ax = plot_learning_curves(SUMMARY, PAPER, roles=ROLES)
    assert isinstance(ax, Axes)
    # Table order (FNN1, FNN8, LSTM, IAM): reproduced curves first, then the paper's values.
    assert [line.get_label() for line in ax.lines] == [
        "LSTM (reproduced)",
        "IAM (reproduced)",
        "FNN (1 obs) (paper, final at 30)",
        "FNN (8 obs) (paper, final at 30)",
        "LSTM (paper)",
        "IAM (paper)",
    ]
    bands = {c.get_gid(): c for c in ax.collections if isinstance(c, PolyCollection)}
    assert sorted(bands) == ["IAM std band", "LSTM std band"]
    # The IAM band spans mean - std .. mean + std.
    ys = bands["IAM std band"].get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(0.9) and ys.max() == pytest.approx(3.3)
    colors = {line.get_label(): line.get_color() for line in ax.lines}
    assert colors["FNN (1 obs) (paper, final at 30)"] == "black"
    assert colors["FNN (8 obs) (paper, final at 30)"] == "red"
    assert colors["IAM (paper)"] == colors["IAM (reproduced)"]
    paper_iam = next(line for line in ax.lines if line.get_label() == "IAM (paper)")
    assert paper_iam.get_linestyle() == "--" and paper_iam.get_marker() == "o"
    assert ax.get_xlabel() == "Steps (per worker)"
    assert ax.get_ylabel() == "Average return"
    assert ax.get_legend() is not None


def test_models_filter_and_limits() -> None:
    fig = Figure()
    ax = plot_learning_curves(
        SUMMARY,
        PAPER,
        ax=fig.add_subplot(),
        roles=ROLES,
        models=["IAM"],
        xlim=(0, 40),
        ylim=(-1, 5),
        legend=False,
    )
    assert [line.get_label() for line in ax.lines] == ["IAM (reproduced)", "IAM (paper)"]
    assert len(ax.collections) == 1
    assert ax.get_xlim() == (0, 40) and ax.get_ylim() == (-1, 5)
    assert ax.get_legend() is None
    assert ax.figure is fig


def test_reproduced_fnns_are_curves_not_lines() -> None:
    summary = pd.DataFrame(
        {"model": ["FNN1"] * 2, "step": [10, 20], "mean": [1.0, 2.0], "std": [0.0, 0.0]}
    )
    ax = plot_learning_curves(summary, PAPER.iloc[0:0], roles=ROLES)
    (line,) = ax.lines
    assert list(line.get_xdata()) == [10, 20] and line.get_color() == "black"


def test_paper_of_several_envs_is_refused() -> None:
    with pytest.raises(ValueError, match="several envs"):
        plot_learning_curves(SUMMARY, load_reference_fig5())


def test_figure_fig5_has_a_full_and_a_zoomed_panel(tmp_path: Path) -> None:
    fig = figure_fig5(
        SUMMARY, pd.concat([PAPER, PAPER.assign(env="traffic")]), "warehouse", roles=ROLES
    )
    full, zoom = fig.axes
    assert full.get_xlim() == (0, 30)
    assert zoom.get_xlim() == (15, 30)
    low, high = zoom.get_ylim()
    # Fitted to data in steps 15..30: bands 1.8..3.3 (IAM), 0.9..1.6 (LSTM); paper 1.6, 2.8.
    assert 0.7 < low < 0.9 and 3.3 < high < 3.5
    assert len(full.lines) == 6  # traffic rows are not drawn
    save_figure_atomic(fig, tmp_path / "fig5.png")
    assert (tmp_path / "fig5.png").read_bytes().startswith(b"\x89PNG")


def test_figure_fig5_with_the_real_reference_and_no_runs() -> None:
    fig = figure_fig5(SUMMARY.iloc[0:0], load_reference_fig5(), "traffic", roles=TRAFFIC_ROLES)
    full, _ = fig.axes
    assert full.get_xlim() == (0, 2_000_000)  # the paper's range when nothing ran yet
    assert len(full.lines) == 4  # IAM, LSTM curves; FNN1, FNN32 lines


def test_traffic_figure_is_the_papers_bottom_row_with_its_values() -> None:
    """Full panel 0..2e6 and a zoom on the second half; the paper's IAM/LSTM points and its
    FNN (1 obs) and FNN (32 obs) final lines are drawn, and the zoom's y-range holds them."""
    steps = list(range(50_000, 2_000_001, 50_000))
    summary = pd.concat(
        pd.DataFrame({"model": model, "step": steps, "mean": level, "std": 0.3})
        for model, level in (("IAM", -3.6), ("LSTM", -4.3), ("FNN1", -5.5), ("FNN32", -4.4))
    )
    fig = figure_fig5(
        summary, load_reference_fig5(), "traffic", roles=TRAFFIC_ROLES, max_step=2_000_000
    )
    full, zoom = fig.axes
    assert full.get_xlim() == (0, 2_000_000)
    assert zoom.get_xlim() == (1_000_000, 2_000_000)
    labels = [line.get_label() for line in full.lines]
    assert labels[:4] == [
        "FNN (1 obs) (reproduced)",
        "FNN (32 obs) (reproduced)",
        "LSTM (reproduced)",
        "IAM (reproduced)",
    ]
    assert labels[4:] == [
        "FNN (1 obs) (paper, final at 2e+06)",
        "FNN (32 obs) (paper, final at 2e+06)",
        "LSTM (paper)",
        "IAM (paper)",
    ]
    finals = {line.get_label(): line for line in full.lines if "final" in line.get_label()}
    assert finals["FNN (1 obs) (paper, final at 2e+06)"].get_ydata()[0] == -5.6
    assert finals["FNN (1 obs) (paper, final at 2e+06)"].get_color() == "black"
    assert finals["FNN (32 obs) (paper, final at 2e+06)"].get_ydata()[0] == -4.18
    assert finals["FNN (32 obs) (paper, final at 2e+06)"].get_color() == "red"
    lstm = next(line for line in full.lines if line.get_label() == "LSTM (paper)")
    assert list(lstm.get_xdata())[:3] == [250_000, 500_000, 750_000]  # the plateau at -42
    low, high = zoom.get_ylim()
    # Bands -5.8..-3.3; paper points from -5.2 (LSTM at 1.1e6) to -3.47, FNN (1 obs) at -5.6.
    assert -6.2 < low < -5.8 and -3.3 < high < -3.0
    assert "bottom row" in fig.get_suptitle()


def _line(ax: Axes, label: str):
    return next(line for line in ax.lines if line.get_label() == label)


def _zoom_region(ax: Axes) -> tuple[float, float]:
    (region,) = [patch for patch in ax.patches if patch.get_gid() == "zoom region"]
    xs = region.get_path().transformed(region.get_patch_transform()).vertices[:, 0]
    return float(xs.min()), float(xs.max())


def test_a_short_budget_still_shows_the_papers_whole_curves() -> None:
    """Quick warehouse preset: our runs end at 102,400 steps, before the paper's first IAM
    point (200,000): the left panel spans the paper's whole x-axis with its IAM and LSTM curves
    in full; the right panel zooms on our whole budget."""
    budget = 102_400
    steps = list(range(10_240, budget + 1, 10_240))
    summary = pd.concat(
        pd.DataFrame({"model": model, "step": steps, "mean": level, "std": 1.0})
        for model, level in (("IAM", 20.0), ("LSTM", 18.0), ("FNN1", 22.0), ("FNN8", 19.0))
    )
    reference = load_reference_fig5()
    fig = figure_fig5(summary, reference, "warehouse", roles=ROLES, max_step=budget)
    full, zoom = fig.axes
    assert full.get_xlim() == (0, 4_000_000)
    for model in ("IAM", "LSTM"):
        theirs = reference.query("env == 'warehouse' and model == @model and kind == 'curve'")
        line = _line(full, f"{model} (paper)")
        assert list(line.get_xdata()) == sorted(theirs["step"])  # every point, 2e5 or 3e5 to 4e6
        assert list(line.get_ydata()) == list(theirs.sort_values("step")["mean_return"])
    assert _line(full, "IAM (reproduced)").get_xdata()[-1] == budget
    assert zoom.get_xlim() == (0, budget)
    assert _zoom_region(full) == (0, budget)  # shaded in the left panel
    low, high = zoom.get_ylim()
    # Our bands 17..23 and the paper's final FNN lines 35.65, 39.35 (no paper point <= budget).
    assert 15 < low < 17 and 39.35 < high < 41
    assert "whole budget" in zoom.get_title() and "whole x-axis" in full.get_title()
    (legend,) = fig.legends  # one legend for both panels, below them
    labels = [text.get_text() for text in legend.get_texts()]
    assert {"IAM (paper)", "LSTM (paper)", "IAM (reproduced)"} <= set(labels)


def test_a_budget_beyond_the_papers_axis_is_drawn_whole() -> None:
    summary = SUMMARY.assign(step=SUMMARY["step"] * 10)  # up to 300, the paper's ends at 30
    fig = figure_fig5(summary, PAPER, "warehouse", roles=ROLES, max_step=300)
    full, zoom = fig.axes
    assert full.get_xlim() == (0, 300) and zoom.get_xlim() == (150, 300)
    assert _zoom_region(full) == (150, 300)
    assert "whole budget" in full.get_title() and "second half" in zoom.get_title()


ROLLING = pd.DataFrame(
    {
        "model": ["IAM"] * 5 + ["LSTM"] * 2,
        "seed": [0, 0, 0, 1, 1, 0, 0],
        "step": [10, 20, 30, 20, 30, 10, 20],
        "transitions": [20, 40, 60, 40, 60, 20, 40],
        "mean_return": [1.0, 2.0, 4.0, 4.0, 6.0, 0.5, 1.5],
        "window_episodes": 50,
    }
)


def test_rolling_curves_draw_each_seed_and_their_mean() -> None:
    ax = plot_rolling_curves(ROLLING, roles=ROLES)
    means = {line.get_label(): line for line in ax.lines if not line.get_label().startswith("_")}
    assert list(means) == ["LSTM (1 seed)", "IAM (mean of 2 seeds)"]
    # IAM seed 1 starts at step 20: the mean only covers the steps both seeds have.
    iam = means["IAM (mean of 2 seeds)"]
    assert list(iam.get_xdata()) == [20, 30] and list(iam.get_ydata()) == [3.0, 5.0]
    assert iam.get_color() == "tab:blue" and iam.get_linewidth() == 2
    seeds = {line.get_gid(): line for line in ax.lines if line.get_gid()}
    assert sorted(seeds) == ["IAM seed 0", "IAM seed 1", "LSTM seed 0"]
    assert list(seeds["IAM seed 1"].get_xdata()) == [20, 30]
    assert list(seeds["IAM seed 0"].get_ydata()) == [1.0, 2.0, 4.0]
    assert seeds["IAM seed 0"].get_linewidth() < iam.get_linewidth()
    assert ax.get_legend() is not None


def test_rolling_figure_states_the_window_of_its_table() -> None:
    fig = figure_rolling(ROLLING, "warehouse", max_step=40)
    (ax,) = fig.axes
    assert ax.get_xlim() == (0, 40)
    assert "last 50 episodes of all workers" in ax.get_title()
    assert (
        "last 200 episodes"
        in figure_rolling(ROLLING.assign(window_episodes=200), "warehouse").axes[0].get_title()
    )
    assert rolling_window(ROLLING.iloc[0:0]) is None
    with pytest.raises(ValueError, match="mixes rolling windows"):
        rolling_window(ROLLING.assign(window_episodes=[50] * 6 + [100]))


def test_rolling_figure_marks_the_random_policy() -> None:
    (ax,) = figure_rolling(ROLLING, "warehouse", roles=ROLES, random_level=1.25).axes
    (line,) = [line for line in ax.lines if line.get_gid() == "uniform random"]
    assert list(line.get_ydata()) == [1.25, 1.25] and line.get_linestyle() == "--"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "uniform random (1.25)"
    for missing in (None, float("nan")):
        (bare,) = figure_rolling(ROLLING, "warehouse", random_level=missing).axes
        assert not [line for line in bare.lines if line.get_gid() == "uniform random"]


def test_plotting_never_touches_pyplot(tmp_path: Path) -> None:
    # A fresh interpreter, since another test may have imported pyplot into this one: pyplot
    # would switch global backend state and keep every figure alive in its registry.
    code = (
        "import sys, pandas as pd\n"
        "from iam_repro.analysis.plots import figure_fig5, figure_rolling\n"
        "from iam_repro.reference import load_paper_fig5 as load_reference_fig5\n"
        "from iam_repro.io import save_figure_atomic\n"
        "s = pd.DataFrame({'model': ['IAM'], 'step': [10], 'mean': [1.0], 'std': [0.1]})\n"
        "fig = figure_fig5(s, load_reference_fig5(), 'warehouse')\n"
        f"save_figure_atomic(fig, {str(tmp_path / 'f.png')!r})\n"
        "r = s.assign(seed=0, mean_return=1.0, window_episodes=100)\n"
        f"save_figure_atomic(figure_rolling(r, 'warehouse'), {str(tmp_path / 'r.png')!r})\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_figures_follow_roles_whatever_the_models_are_called() -> None:
    """Renamed models: the paper's lines take our names, colours and order follow the roles."""
    roles = {"Single": "fnn_1", "Stack": "fnn_k", "Recurrent": "lstm", "Memory": "iam"}
    summary = SUMMARY.replace({"model": {"IAM": "Memory", "LSTM": "Recurrent"}})
    fig = figure_fig5(summary, PAPER, "warehouse", roles=roles)
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels == [
        "Recurrent (reproduced)",
        "Memory (reproduced)",
        "Single (paper, final at 30)",
        "Stack (paper, final at 30)",
        "Recurrent (paper)",
        "Memory (paper)",
    ]
    colors = {line.get_label(): line.get_color() for line in fig.axes[0].lines}
    assert colors["Memory (reproduced)"] == colors["Memory (paper)"] == "tab:blue"
    assert colors["Stack (paper, final at 30)"] == "red"


def test_an_env_without_paper_values_says_so() -> None:
    summary = SUMMARY.replace({"model": {"LSTM": "FNN4"}})
    fig = figure_fig5(
        summary, load_reference_fig5(), "atari", roles={"IAM": "iam", "FNN4": "fnn_k"}
    )
    assert "the paper gives no values" in fig.get_suptitle()
    assert [line.get_label() for line in fig.axes[0].lines] == [
        "FNN (4 obs) (reproduced)",
        "IAM (reproduced)",
    ]
