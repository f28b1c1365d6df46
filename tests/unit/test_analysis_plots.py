"""Figures: the right artists for a tiny input, limits, and no pyplot state."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from iam_repro.analysis.plots import (
    figure_fig5,
    figure_rolling,
    plot_learning_curves,
    plot_rolling_curves,
)
from iam_repro.analysis.roles import role_colors
from iam_repro.analysis.stats import t_ci
from iam_repro.analysis.tables import TableSettings, rolling_window
from iam_repro.io import save_figure_atomic
from iam_repro.reference import load_paper_fig5 as load_reference_fig5
from iam_repro.reference import registry

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
    assert _legend_texts(ax.get_legend())[-1] == "band: ±1 std over seeds (ours; paper: ±1 std)"


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


def _legend_texts(legend) -> list[str]:
    return [text.get_text() for text in legend.get_texts()]


def _bands(ax: Axes) -> dict[str, PolyCollection]:
    return {c.get_gid(): c for c in ax.collections if isinstance(c, PolyCollection)}


def _band_at(band: PolyCollection, x: float) -> tuple[float, float]:
    """The band's low and high edge at step `x` (one of its steps)."""
    vertices = band.get_paths()[0].vertices
    ys = vertices[np.isclose(vertices[:, 0], x), 1]
    return float(ys.min()), float(ys.max())


def test_fig5_names_its_band_the_papers_std_in_legend_and_title() -> None:
    fig = figure_fig5(SUMMARY, PAPER, "warehouse", roles=ROLES)
    (legend,) = fig.legends
    assert "band: ±1 std over seeds (ours; paper: ±1 std)" in _legend_texts(legend)
    assert "band: ±1 std over seeds, as the paper's" in fig.get_suptitle()
    for ax in fig.axes:
        assert sorted(_bands(ax)) == ["IAM std band", "LSTM std band"]


def test_fig5_with_one_seed_draws_and_claims_no_band() -> None:
    """curves_summary.csv of one seed has no std: no band is drawn, and none is named."""
    one_seed = SUMMARY.assign(std=float("nan"))
    fig = figure_fig5(one_seed, PAPER, "warehouse", roles=ROLES)
    for ax in fig.axes:
        assert not _bands(ax)
    (legend,) = fig.legends
    texts = _legend_texts(legend)
    assert "no band: one seed (ours; paper: ±1 std)" in texts
    assert not [text for text in texts if text.startswith("band:")]
    assert "one seed: no band" in fig.get_suptitle()
    assert "over seeds" not in fig.get_suptitle()


def test_fig5_colours_are_the_role_colours() -> None:
    """Every reproduced line, band and paper line takes its role's colour (paper.yaml)."""
    fig = figure_fig5(SUMMARY, PAPER, "warehouse", roles=ROLES)
    expected = {model: to_rgb(c) for model, c in role_colors(ROLES).items()}
    by_label = {"FNN (1 obs)": "FNN1", "FNN (8 obs)": "FNN8", "LSTM": "LSTM", "IAM": "IAM"}
    for ax in fig.axes:
        assert len(ax.lines) == 6
        for line in ax.lines:
            (model,) = [m for text, m in by_label.items() if line.get_label().startswith(text)]
            assert to_rgb(line.get_color()) == expected[model], line.get_label()
        for gid, band in _bands(ax).items():
            assert to_rgb(band.get_facecolor()[0]) == expected[gid.split()[0]]


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


def test_rolling_curves_draw_each_seed_their_mean_and_its_ci_band() -> None:
    ax = plot_rolling_curves(ROLLING, roles=ROLES)
    means = {line.get_label(): line for line in ax.lines if not line.get_label().startswith("_")}
    assert list(means) == ["LSTM (1 seed, no band)", "IAM (mean of 2 seeds)"]
    # IAM seed 1 starts at step 20: the mean only covers the steps both seeds have.
    iam = means["IAM (mean of 2 seeds)"]
    assert list(iam.get_xdata()) == [20, 30] and list(iam.get_ydata()) == [3.0, 5.0]
    assert iam.get_gid() == "IAM mean" and iam.get_linewidth() == 2
    # Thin lines for each seed of IAM; LSTM's one seed is its thick line, drawn once.
    seeds = {line.get_gid(): line for line in ax.lines if " seed " in (line.get_gid() or "")}
    assert sorted(seeds) == ["IAM seed 0", "IAM seed 1"]
    assert list(seeds["IAM seed 1"].get_xdata()) == [20, 30]
    assert list(seeds["IAM seed 0"].get_ydata()) == [1.0, 2.0, 4.0]
    assert seeds["IAM seed 0"].get_linewidth() < iam.get_linewidth()
    lstm = means["LSTM (1 seed, no band)"]
    assert list(lstm.get_ydata()) == [0.5, 1.5]
    # The band: the tables' 95 % t CI of the mean over seeds, at each common step: with two
    # seeds m +/- t_{0.975, 1} * s / sqrt(2), s / sqrt(2) = 1 for (2, 4) and (4, 6).
    bands = _bands(ax)
    assert sorted(bands) == ["IAM CI band"]  # none for the one-seed LSTM
    for step, values in ((20, [2.0, 4.0]), (30, [4.0, 6.0])):
        mean = sum(values) / 2
        assert _band_at(bands["IAM CI band"], step) == pytest.approx(
            (mean - 12.70620, mean + 12.70620), abs=1e-5
        )
    legend = _legend_texts(ax.get_legend())
    assert legend == [
        "LSTM (1 seed, no band)",
        "IAM (mean of 2 seeds)",
        "band: 95 % t CI of the mean over seeds",
        "thin: each seed",
    ]


def test_rolling_band_follows_the_table_settings() -> None:
    """A narrower confidence gives a narrower band, and the legend names its level."""
    three = pd.DataFrame(
        {
            "model": "IAM",
            "seed": [0, 1, 2] * 2,
            "step": [10] * 3 + [20] * 3,
            "mean_return": [1.0, 2.0, 6.0, 2.0, 3.0, 7.0],
            "window_episodes": 50,
        }
    )
    settings = TableSettings(confidence=0.5, n_resamples=2_000, seed=3)
    ax = plot_rolling_curves(three, roles=ROLES, settings=settings)
    band = _bands(ax)["IAM CI band"]
    assert _band_at(band, 10) == pytest.approx(t_ci([1.0, 2.0, 6.0], 0.5))
    wide = _band_at(_bands(plot_rolling_curves(three, roles=ROLES))["IAM CI band"], 10)
    assert wide[1] - wide[0] > _band_at(band, 10)[1] - _band_at(band, 10)[0]
    assert "band: 50 % t CI of the mean over seeds" in _legend_texts(ax.get_legend())
    title = figure_rolling(three, "warehouse", settings=settings).axes[0].get_title()
    assert "band: 50 % t CI over seeds" in title


def test_rolling_colours_are_the_role_colours() -> None:
    """Mean, band and thin lines of a model all take its role's colour (paper.yaml)."""
    ax = plot_rolling_curves(ROLLING, roles=ROLES)
    expected = {model: to_rgb(c) for model, c in role_colors(ROLES).items()}
    drawn = [line for line in ax.lines if line.get_gid()]
    assert len(drawn) == 4  # two IAM seeds, IAM mean, LSTM
    for line in drawn:
        assert to_rgb(line.get_color()) == expected[line.get_gid().split()[0]]
    for gid, band in _bands(ax).items():
        assert to_rgb(band.get_facecolor()[0]) == expected[gid.split()[0]]
    assert expected["IAM"] == to_rgb(registry().role_colors["iam"])


def test_models_without_a_role_never_take_a_roles_colour() -> None:
    names = [f"M{i}" for i in range(6)]
    frame = pd.concat(ROLLING.loc[ROLLING["model"] == "IAM"].assign(model=name) for name in names)
    ax = plot_rolling_curves(frame, roles={})
    colours = {line.get_gid(): to_rgb(line.get_color()) for line in ax.lines if line.get_gid()}
    means = [colours[f"{name} mean"] for name in names]
    assert len(set(means)) == len(names)
    assert not set(means) & {to_rgb(c) for c in registry().role_colors.values()}


def test_rolling_figure_with_one_seed_says_it_draws_no_band() -> None:
    one_seed = ROLLING.loc[ROLLING["seed"] == 0]
    (ax,) = figure_rolling(one_seed, "warehouse", roles=ROLES).axes
    assert not _bands(ax)
    assert "one seed per model: each line is that seed's curve, no band" in ax.get_title()
    assert "thin" not in ax.get_title() and "CI" not in ax.get_title()
    legend = _legend_texts(ax.get_legend())
    assert legend == ["LSTM (1 seed, no band)", "IAM (1 seed, no band)"]


def test_rolling_figure_title_says_what_is_drawn() -> None:
    (ax,) = figure_rolling(ROLLING, "warehouse", roles=ROLES).axes
    title = ax.get_title()
    assert "thick: mean over seeds" in title and "thin: each seed" in title
    assert "band: 95 % t CI over seeds (none for a 1-seed model)" in title
    two = ROLLING.loc[ROLLING["model"] == "IAM"]
    (only_iam,) = figure_rolling(two, "warehouse", roles=ROLES).axes
    assert "band: 95 % t CI over seeds; thin" in only_iam.get_title()


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


def test_plotting_never_registers_figures_with_pyplot(tmp_path: Path) -> None:
    # A fresh interpreter, so that no other test's figures are in pyplot's registry: a figure
    # made through pyplot would stay alive there (seaborn draws on the Axes it is given).
    code = (
        "import sys, pandas as pd\n"
        "from iam_repro.analysis.plots import figure_fig5, figure_rolling\n"
        "from iam_repro.reference import load_paper_fig5 as load_reference_fig5\n"
        "from iam_repro.io import save_figure_atomic\n"
        "s = pd.DataFrame({'model': ['IAM'], 'step': [10], 'mean': [1.0], 'std': [0.1]})\n"
        "fig = figure_fig5(s, load_reference_fig5(), 'warehouse')\n"
        f"save_figure_atomic(fig, {str(tmp_path / 'f.png')!r})\n"
        "r = s.assign(seed=0, mean_return=1.0, window_episodes=100)\n"
        "r = pd.concat([r, r.assign(seed=1, mean_return=2.0)])\n"
        f"save_figure_atomic(figure_rolling(r, 'warehouse'), {str(tmp_path / 'r.png')!r})\n"
        # seaborn imports pyplot, but no figure may enter its registry.
        "import matplotlib.pyplot as plt\n"
        "assert plt.get_fignums() == []\n"
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
