"""iam_repro.report.prose: the sentences and phrases the pages quote, made from tables."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from iam_repro.analysis.overview import claims_overview
from iam_repro.report import prose as p
from iam_repro.report.results import concat_tables, load_table
from tests.unit.report_data import QUICK_SUMMARY, write_two_experiments


@pytest.fixture
def results(tmp_path: Path) -> Path:
    return write_two_experiments(tmp_path)


def test_preset_note_warns_for_short_presets() -> None:
    assert "say nothing about the paper" in p.preset_note("smoke")
    assert "say nothing about the paper" in p.preset_note("quick")
    assert "paper's training budget" in p.preset_note("paper")
    assert "unknown" in p.preset_note("unknown")


def test_claim_verdict_text(results: Path) -> None:
    claims = concat_tables(results, "claims")
    assert p.claim_verdict_text(claims, 1) == "1a: reproduced, 1b: inconclusive (n = 1)"
    assert p.claim_verdict_text(claims, 3) == "inconclusive"
    assert p.claim_verdict_text(claims, 2) == "not yet run"
    assert p.claim_verdict_text(claims.iloc[0:0], 1) == "not yet run"


def test_claim_verdict_text_names_the_experiments_when_ids_recur() -> None:
    """Claim 6 is tested on every experiment with the same ids: the sentence names each."""
    claims = pd.DataFrame(
        {
            "experiment": ["warehouse", "warehouse", "traffic", "traffic"],
            "claim_id": ["6a", "6b", "6a", "6b"],
            "verdict": ["reproduced", "contradicted", "inconclusive", "not yet run"],
        }
    )
    assert p.claim_verdict_text(claims, 6) == (
        "warehouse 6a: reproduced, warehouse 6b: contradicted, traffic 6a: inconclusive, "
        "traffic 6b: not yet run"
    )
    # One experiment: the ids alone are unambiguous.
    assert p.claim_verdict_text(claims.iloc[:2], 6) == "6a: reproduced, 6b: contradicted"


def test_verdict_counts(results: Path) -> None:
    overview = claims_overview(concat_tables(results, "claims"))
    # 1a; 9 (foo); 1b; 3; the untested claims 2, 4, 5, 6, 7 -- in the order of VERDICTS.
    assert p.verdict_counts(overview) == (
        "1 reproduced, 1 contradicted, 1 inconclusive, 1 inconclusive (n = 1), 5 not yet run"
    )


def test_summary_texts(results: Path) -> None:
    summary = load_table(results, "warehouse", "summary")
    assert p.estimate_text(summary, "IAM") == "38.34 (95% CI 38.15 to 38.53)"
    assert p.estimate_text(summary, "IAM_static") == "35.69"  # no CI
    assert p.estimate_text(summary, "FNN8") == "—"
    assert p.estimate_text(None, "IAM") == "—"
    assert p.paper_value_text(summary, "LSTM") == "35.40"
    assert p.paper_value_text(summary, "IAM_static") == "—"
    assert p.seeds_text(summary) == "3–5"
    assert p.seeds_text(summary[summary["model"] == "IAM"]) == "5"
    assert p.seeds_text(None) == "—"


def test_paper_reading_text_names_what_the_figure_has_and_lacks() -> None:
    paper = pd.DataFrame(
        {
            "env": "warehouse",
            "model": ["IAM", "IAM", "LSTM", "LSTM", "FNN1"],
            "step": [200, 400, 300, 400, 400],
            "mean_return": [29.0, 30.0, 27.0, 28.0, 33.0],
            "kind": ["curve"] * 4 + ["final"],
        }
    )
    summary = pd.read_csv(io.StringIO(QUICK_SUMMARY)).assign(
        paper_value=[None, None, None, 29.0]  # IAM has a point in the budget's last tenth
    )
    both = ["IAM", "LSTM"]
    assert p.paper_reading_text(summary, paper, "warehouse", both, 200) == (
        "the paper's figure reads about 29.00 for IAM and has no LSTM point before 300 steps"
    )
    # Points on both sides of the budget, none close to it; past the figure's end.
    assert p.paper_reading_text(summary, paper, "warehouse", ["LSTM"], 350) == (
        "the paper's figure has no LSTM point near 350 steps"
    )
    assert p.paper_reading_text(summary, paper, "warehouse", ["LSTM", "FNN1"], 500) == (
        "the paper's figure has no LSTM or FNN (1 obs) point after 400 steps"
    )
    assert p.paper_reading_text(summary, paper, "warehouse", ["LSTM"], None) == (
        "the paper's figure has no LSTM value at this budget"
    )
    complete = summary.assign(paper_value=[33.0, 31.5, 28.0, 30.0])
    assert p.paper_reading_text(complete, paper, "warehouse", both, 400) == (
        "the paper's figure reads about 30.00 and 28.00"
    )


def test_run_budget_is_the_longest_run_else_the_last_curve_step() -> None:
    compute = pd.DataFrame({"steps_per_worker": [100, 250]})
    curves = pd.DataFrame({"step": [10, 20]})
    assert p.run_budget(compute, curves) == 250.0
    assert p.run_budget(None, curves) == 20.0
    assert p.run_budget(None, None) is None


def test_rolling_note_states_the_window_and_workers_of_its_table() -> None:
    rolling = pd.DataFrame(
        {
            "model": "IAM",
            "seed": 0,
            "step": [10, 20],
            "transitions": [80, 160],
            "mean_return": [1.0, 2.0],
            "window_episodes": 250,
        }
    )
    note = p.rolling_note(rolling)
    assert "the last 250 episodes that ended by then, over all 8 workers" in note
    assert "last 1,000 episodes" in p.rolling_note(rolling.assign(window_episodes=1000))
    assert p.rolling_note(rolling.iloc[0:0]) == p.rolling_note(None)
    # The last point is named as the vs-random table names it.
    assert (
        "A curve's last point, at the run's final step, is the run's last-250-episodes return"
        in note
    )


def test_rolling_note_says_what_the_page_shows() -> None:
    """One seed: no "thin lines ... their mean"; no Fig. 5 figure: no "comparison above"."""
    one_seed = pd.DataFrame(
        {
            "model": ["IAM", "IAM", "LSTM"],
            "seed": [0, 0, 0],
            "step": [10, 20, 10],
            "transitions": [80, 160, 80],
            "mean_return": [1.0, 2.0, 0.5],
            "window_episodes": 100,
        }
    )
    atari = p.rolling_note(one_seed, fig5_above=False)
    assert "one seed per model, so each model's line is that seed's curve, with no band" in atari
    assert "thin lines" not in atari and "above" not in atari
    assert "final return (paper protocol) in the table below" in atari
    two_seeds = pd.concat([one_seed, one_seed.assign(seed=1)], ignore_index=True)
    chapter = p.rolling_note(two_seeds)
    assert "thin lines: single seeds; thick: each model's mean over its seeds" in chapter
    assert "band: the Student-t confidence interval of that mean over seeds" in chapter
    assert "none for a model" not in chapter
    mixed = p.rolling_note(pd.concat([two_seeds, one_seed.assign(model="FNN1")]))
    assert "none for a model with one seed" in mixed
    assert "the Fig. 5 comparison above follows the paper's protocol" in chapter


def test_random_level_note_names_the_last_episodes_return() -> None:
    random = pd.DataFrame(
        {"episodes": [400], "mean": [-39.3], "std": [2.6], "ci_low": [-39.8], "ci_high": [-38.8]}
    )
    note = p.random_level_note(random, window=100)
    assert "-39.30 [-39.80, -38.80] over 400 episodes" in note
    assert "each run's last-100-episodes return (the mean of its last 100 episodes" in note
    assert "last-episodes return (the mean of its last episodes" in p.random_level_note(random)
    assert p.random_level_note(random.iloc[0:0]) is None
