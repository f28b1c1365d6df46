"""The across-experiment tables (iam_repro.analysis.across), their figures and the book's reading
of them, on tiny hand-made experiments."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba

from iam_repro.analysis.across import (
    ACROSS_COLUMNS,
    ACROSS_TABLES,
    BUDGET_FRACTIONS,
    ExperimentTables,
    across_tables,
    paper_reference,
    role_palette,
)
from iam_repro.analysis.across_plots import figure_performance_profiles, figure_sample_efficiency
from iam_repro.reference import registry
from iam_repro.report.across import (
    aggregates_html,
    improvement_html,
    load_across_table,
    normalisation_html,
)

matplotlib.use("Agg")

ROLES = {"IAM": "iam", "LSTM": "lstm", "FNN8": "fnn_k", "Mine": "other"}


def _experiment(
    env: str, finals: dict[str, list[float]], random: float | None, budget: int = 1000
) -> ExperimentTables:
    """An experiment whose runs end at `finals` (model -> per-seed final returns); each run's
    rolling curve rises linearly from the random level to its final return over the budget."""
    scores = pd.DataFrame(
        [
            {"model": m, "seed": s, "final_return": v, "auc": 0.0, "steps_to_threshold": 0.0}
            for m, values in finals.items()
            for s, v in enumerate(values)
        ]
    )
    start = 0.0 if random is None else random
    rolling = pd.DataFrame(
        [
            {
                "model": m,
                "seed": s,
                "step": step,
                "mean_return": start + (v - start) * step / budget,
            }
            for m, values in finals.items()
            for s, v in enumerate(values)
            for step in range(100, budget + 1, 100)
        ]
    )
    models = pd.DataFrame({"model": list(finals), "role": [ROLES[m] for m in finals]})
    random_policy = (
        pd.DataFrame(columns=["episodes", "mean", "std", "ci_low", "ci_high"])
        if random is None
        else pd.DataFrame([{"episodes": 8, "mean": random, "std": 1, "ci_low": 0, "ci_high": 0}])
    )
    return ExperimentTables(env, budget, scores, models, random_policy, rolling)


def test_paper_reference_is_iams_final_value_in_fig5():
    assert paper_reference("warehouse") == (41.0, 4_000_000)
    assert paper_reference("traffic") == (-3.47, 2_000_000)
    value, step = paper_reference("atari")
    assert math.isnan(value) and step is None


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    experiments = {
        # random 5, reference 41 (paper): 41 -> 1, 23 -> 0.5, 14 -> 0.25
        "warehouse": _experiment(
            "warehouse",
            {"IAM": [41.0, 23.0], "LSTM": [14.0, 23.0], "FNN8": [5.0, 14.0], "Mine": [9.0]},
            random=5.0,
        ),
        # Atari: no paper value -> the best final return (IAM's 12) is 1, random 2 is 0
        "breakout_flicker": _experiment(
            "atari", {"IAM": [12.0, 7.0], "LSTM": [2.0, 7.0], "FNN8": [12.0, 2.0]}, random=2.0
        ),
        # no random baseline: no normalised score, but its raw returns count for P(IAM > X)
        "pong": _experiment("atari", {"IAM": [1.0], "LSTM": [3.0]}, random=None),
    }
    return across_tables(experiments, n_resamples=2_000)


def test_every_table_has_its_columns(tables):
    assert list(tables) == list(ACROSS_TABLES)
    for name, frame in tables.items():
        assert list(frame.columns) == list(ACROSS_COLUMNS[name]), name


def test_normalisation_per_experiment(tables):
    norm = tables["across_experiments_normalisation"].set_index("experiment")
    assert norm.loc["warehouse", ["random_score", "reference_score"]].tolist() == [5.0, 41.0]
    assert norm.loc["warehouse", "reference"] == "paper's IAM at 4,000,000 steps"
    assert norm.loc["breakout_flicker", "reference_score"] == 12.0
    assert norm.loc["breakout_flicker", "reference"] == "best run of this build"
    assert norm.loc["pong", "normalised_runs"] == 0
    assert "no random-policy baseline" in norm.loc["pong", "note"]
    scores = tables["across_experiments_scores"]
    warehouse = scores.loc[scores["experiment"] == "warehouse"].set_index(["model", "seed"])
    assert warehouse["normalised_score"].to_dict() == {
        ("IAM", 0): 1.0,
        ("IAM", 1): 0.5,
        ("LSTM", 0): 0.25,
        ("LSTM", 1): 0.5,
        ("FNN8", 0): 0.0,
        ("FNN8", 1): 0.25,
        ("Mine", 0): pytest.approx(1 / 9),
    }
    assert scores.loc[scores["experiment"] == "pong", "normalised_score"].isna().all()


def test_aggregates_per_role(tables):
    agg = tables["across_experiments_aggregates"].set_index(["role", "metric"])
    # the role `other` is not pooled; roles in the registry's order
    assert list(dict.fromkeys(agg.index.get_level_values("role"))) == ["fnn_k", "lstm", "iam"]
    # IAM: warehouse 1, 0.5; breakout (12 - 2)/10 = 1, (7 - 2)/10 = 0.5 -> 4 runs sorted
    # 0.5 0.5 1 1, int(0.25 * 4) = 1 cut from each end: mean(0.5, 1) = 0.75; mean of means 0.75
    assert agg.loc[("iam", "iqm"), "estimate"] == 0.75
    assert agg.loc[("iam", "mean"), "estimate"] == 0.75
    assert agg.loc[("iam", "iqm"), ["runs", "experiments"]].tolist() == [4, 2]
    # LSTM: 0.25, 0.5 (warehouse) and 0, 0.5 (breakout): sorted 0 0.25 0.5 0.5 -> IQM
    # mean(0.25, 0.5) = 0.375;
    # mean of means (0.375 + 0.25) / 2 = 0.3125
    assert agg.loc[("lstm", "iqm"), "estimate"] == 0.375
    assert agg.loc[("lstm", "mean"), "estimate"] == 0.3125
    assert (agg["ci_low"] <= agg["estimate"]).all() and (agg["estimate"] <= agg["ci_high"]).all()


def test_probability_of_improvement_uses_raw_returns_of_every_experiment(tables):
    poi = tables["across_experiments_improvement"].set_index("role_b")
    assert list(poi.index) == ["fnn_k", "lstm"]
    # IAM vs LSTM: warehouse [41 23] vs [14 23]: 41 wins twice, 23 wins once and ties once
    # -> 3.5/4; breakout [12 7] vs [2 7]: the same pattern -> 3.5/4; pong [1] vs [3] -> 0.
    # mean (0.875 + 0.875 + 0) / 3 = 0.5833
    assert poi.loc["lstm", "probability"] == pytest.approx(1.75 / 3)
    assert poi.loc["lstm", ["experiments", "runs_a", "runs_b"]].tolist() == [3, 5, 5]
    # pong has no FNN: two experiments
    assert poi.loc["fnn_k", "experiments"] == 2


def test_profiles_and_efficiency_cover_every_role(tables):
    profiles = tables["across_experiments_profiles"]
    iam = profiles.loc[profiles["role"] == "iam"].set_index("tau")
    assert iam["fraction"].iloc[0] == 1.0  # every IAM run is above tau = 0 (random)
    assert (iam["runs"] == 4).all()
    assert profiles["fraction"].between(0, 1).all()
    efficiency = tables["across_experiments_efficiency"]
    iam_eff = efficiency.loc[efficiency["role"] == "iam"].set_index("budget_fraction")
    assert list(iam_eff.index) == BUDGET_FRACTIONS.tolist()
    # linear curves from random (0) to the final: at the end the IQM of the final scores
    assert iam_eff.loc[1.0, "iqm"] == pytest.approx(0.75)
    assert iam_eff.loc[0.5, "iqm"] == pytest.approx(0.375)
    assert math.isnan(iam_eff.loc[0.05, "iqm"])  # before the first curve point (step 100)
    assert iam_eff.loc[0.05, "runs"] == 0


def test_one_seed_and_nothing_to_normalise_give_nan_not_errors():
    one = across_tables(
        {"pong": _experiment("atari", {"IAM": [3.0], "LSTM": [1.0]}, random=None)},
        n_resamples=100,
    )
    agg = one["across_experiments_aggregates"]
    assert agg["estimate"].isna().all() and (agg["runs"] == 0).all()
    poi = one["across_experiments_improvement"]
    assert poi["probability"].tolist() == [1.0] and poi["ci_low"].isna().all()
    assert one["across_experiments_profiles"]["fraction"].isna().all()
    empty = across_tables({})
    assert all(frame.empty for frame in empty.values())
    assert list(empty["across_experiments_scores"].columns) == list(
        ACROSS_COLUMNS["across_experiments_scores"]
    )


def test_figures_give_each_role_its_colour_everywhere(tables):
    palette = role_palette(["iam", "lstm", "fnn_k"])
    assert palette == {r: registry().role_colors[r] for r in ("iam", "lstm", "fnn_k")}
    for figure in (
        figure_performance_profiles(tables["across_experiments_profiles"]),
        figure_sample_efficiency(tables["across_experiments_efficiency"]),
    ):
        ax = figure.axes[0]
        legend = {
            t.get_text().split(" (")[0]: h
            for t, h in zip(
                ax.get_legend().get_texts(), ax.get_legend().legend_handles, strict=True
            )
        }
        assert set(legend) == {"FNN", "LSTM", "IAM"}
        assert to_rgba(legend["IAM"].get_color()) == to_rgba(registry().role_colors["iam"])
        assert to_rgba(legend["LSTM"].get_color()) == to_rgba(registry().role_colors["lstm"])
        assert to_rgba(legend["FNN"].get_color()) == to_rgba(registry().role_colors["fnn_k"])
        figure.canvas.draw()  # renders without error


def test_figures_of_an_empty_build_say_so():
    empty = across_tables({})
    for figure in (
        figure_performance_profiles(empty["across_experiments_profiles"]),
        figure_sample_efficiency(empty["across_experiments_efficiency"]),
    ):
        texts = [t.get_text() for t in figure.axes[0].texts]
        assert any(text.startswith("No normalised") for text in texts)


def test_book_tables_show_estimates_with_intervals_and_dashes(tables, tmp_path):
    aggregates = aggregates_html(tables["across_experiments_aggregates"])
    assert ">IQM<" in aggregates and ">0.75<" in aggregates and "FNN (k obs)" in aggregates
    improvement = improvement_html(tables["across_experiments_improvement"])
    assert "P(IAM &gt; LSTM)" in improvement and "0.583" in improvement
    one = across_tables(
        {"pong": _experiment("atari", {"IAM": [3.0], "LSTM": [1.0]}, random=2.0)},
        n_resamples=100,
    )
    assert "—" in aggregates_html(one["across_experiments_aggregates"])
    assert "Normalisation per experiment" in normalisation_html(
        tables["across_experiments_normalisation"]
    )
    assert load_across_table(tmp_path, "across_experiments_aggregates") is None
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "across_experiments_aggregates.csv").write_text("role,estimate\nx,1\n")
    with pytest.raises(ValueError, match="across_experiments rule"):
        load_across_table(tmp_path, "across_experiments_aggregates")
    tables["across_experiments_improvement"].to_csv(
        tmp_path / "tables" / "across_experiments_improvement.csv", index=False
    )
    read = load_across_table(tmp_path, "across_experiments_improvement")
    assert np.allclose(read["probability"], tables["across_experiments_improvement"]["probability"])
