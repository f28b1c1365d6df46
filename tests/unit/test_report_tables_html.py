"""iam_repro.report.tables_html: each result table's columns, headers and formats."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from iam_repro.analysis.fig5 import model_label
from iam_repro.analysis.overview import claims_overview, stack_claims
from iam_repro.report import tables_html as t
from iam_repro.report.formatting import format_value
from iam_repro.report.results import load_table
from tests.unit.report_data import FOO_CLAIMS, WAREHOUSE_CLAIMS, write_two_experiments


def _overview() -> pd.DataFrame:
    """The overview of the warehouse and foo claims, as the claims_overview rule writes it
    and the book reads it back (through a CSV)."""
    claims = {
        "warehouse": pd.read_csv(io.StringIO(WAREHOUSE_CLAIMS)),
        "foo": pd.read_csv(io.StringIO(FOO_CLAIMS)),
    }
    text = claims_overview(stack_claims(claims)).to_csv(index=False)
    return pd.read_csv(io.StringIO(text))


def test_model_label() -> None:
    assert model_label("FNN8") == "FNN (8 obs)"
    assert model_label("FNN1") == "FNN (1 obs)"
    assert model_label("IAM_static") == "IAM_static"


def test_claims_html_puts_value_and_ci_together() -> None:
    overview = _overview()
    table = t.claims_html(overview[overview["number"] == 3])
    assert "2.5e5 [-1e5, 6e5]" in table
    assert '<span class="verdict verdict-inconclusive">inconclusive</span>' in table
    assert '<th class="col-experiment">experiment</th>' in table
    assert "col-experiment" not in t.claims_html(overview, show_experiment=False)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", t.claims_html(overview[overview["number"] == 1]))
    assert cells[:2] == ["1a", "warehouse"]
    assert "2.5 [1.5, 3.5]" in cells and "1.2e6" in cells  # 1b: no CI, the value alone


def test_an_experiments_claims_table_renders_without_placeholder_rows(tmp_path: Path) -> None:
    claims = load_table(write_two_experiments(tmp_path), "warehouse", "claims")
    table = t.claims_html(claims, show_experiment=False)
    rows = re.findall(r"<tr>(.*?)</tr>", table)[1:]
    ids = [re.findall(r"<td[^>]*>(.*?)</td>", row)[0] for row in rows]
    assert ids == ["1a", "1b", "3"]
    # 'Inconclusive (n=1)' is shown normalised.
    assert '<span class="verdict verdict-inconclusive">inconclusive (n = 1)</span>' in table


def test_summary_html(tmp_path: Path) -> None:
    table = t.summary_html(load_table(write_two_experiments(tmp_path), "warehouse", "summary"))
    assert "<caption>Final return (paper protocol) across seeds</caption>" in table
    rows = re.findall(r"<tr>(.*?)</tr>", table)
    iam = re.findall(r"<td[^>]*>(.*?)</td>", rows[1])
    assert iam == ["IAM", "5", "38.34", "0.17", "[38.15, 38.53]", "41.00"]
    static = re.findall(r"<td[^>]*>(.*?)</td>", rows[3])
    assert static[-2:] == ["—", "—"]
    assert "per seed" not in table  # no final_scores.csv given


def test_summary_html_lists_each_seed() -> None:
    summary = pd.DataFrame(
        {
            "model": ["FNN1", "IAM"],
            "n_seeds": [2, 1],
            "mean": [-67.0, -3.5],
            "std": [87.7, float("nan")],
            "ci_low": [-855.0, float("nan")],
            "ci_high": [721.0, float("nan")],
            "paper_value": [-5.6, -3.47],
        }
    )
    scores = pd.DataFrame(
        {
            "model": ["FNN1", "FNN1", "IAM", "IAM"],
            "seed": [1, 0, 0, 1],
            "final_return": [-129.0, -5.0, -3.5, float("nan")],
        }
    )
    table = t.summary_html(summary, scores=scores)
    header = re.findall(r"<th[^>]*>([^<]*)</th>", table)
    assert header == ["model", "seeds", "mean", "std", "95% CI", "per seed", "paper (Fig. 5)"]
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table)]
    assert rows[1][5] == "-5.00 (s0), -129.00 (s1)"  # in seed order, whatever the file's order
    assert rows[2][5] == "-3.50 (s0), — (s1)"  # a run without a score


def test_compute_tables() -> None:
    compute_models = pd.DataFrame(
        {
            "model": ["LSTM", "FNN8"],
            "runs": [2, 1],
            "wall_time_s": [300.0, 45.0],
            "transitions_per_s": [4.0, 20.4],
            "relative_throughput": [0.2, float("nan")],
        }
    )
    cells = re.findall(r"<td[^>]*>(.*?)</td>", t.compute_models_html(compute_models))
    assert cells == ["LSTM", "2", "5 min", "4", "0.20×", "FNN (8 obs)", "1", "45 s", "20", "—"]
    compute = pd.DataFrame(
        {
            "model": ["LSTM"],
            "seed": [0],
            "wall_time_s": [200.0],
            "transitions": [1000],
            "steps_per_worker": [125],
            "transitions_per_s": [5.0],
            "device": ["cpu"],
            "resumes": [1],
        }
    )
    cells = re.findall(r"<td[^>]*>(.*?)</td>", t.compute_runs_html(compute))
    assert cells == ["LSTM", "0", "3 min", "1,000", "125", "5", "cpu", "1"]


def test_scores_html_formats_returns_and_never_reached() -> None:
    scores = pd.DataFrame(
        {
            "model": ["FNN8"],
            "seed": [0],
            "final_return": [34.6912],
            "auc": [1.19e8],
            "steps_to_threshold": [float("nan")],
        }
    )
    cells = re.findall(r"<td[^>]*>(.*?)</td>", t.scores_html(scores))
    assert cells == ["FNN (8 obs)", "0", "34.69", "1.19e8", "—"]
    headers = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", t.scores_html(scores))
    assert headers[2] == "final return (paper protocol)"


def test_vs_random_html_names_the_return_by_its_window() -> None:
    vs_random = pd.DataFrame(
        {
            "model": ["IAM", "LSTM"],
            "seed": [0, 0],
            "final_episodes": [100, 37],  # LSTM's run ended only 37 episodes
            "final_mean": [-12.5, -39.5],
            "random_mean": [-39.3, -39.3],
            "diff": [26.8, -0.2],
            "ci_low": [25.9, -1.1],
            "ci_high": [27.7, 0.7],
            "verdict": ["above random", "not distinguishable"],
        }
    )
    table = t.vs_random_html(vs_random)
    headers = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", table)
    assert headers == [
        "model",
        "seed",
        "verdict",
        "last-100-episodes return",
        "episodes",
        "minus random [95% CI]",
    ]
    assert "final return" not in table  # that name belongs to final_scores.csv
    assert t.last_episodes_name(None) == "last-episodes return"
    assert t.last_episodes_name(1000.0) == "last-1,000-episodes return"


def test_ppo_name_table_covers_the_name_map() -> None:
    from iam_repro.ppo.config import NAME_MAP, PPOConfig

    table = t.ppo_name_table()
    assert list(table["ours"]) == list(NAME_MAP)
    row = table.set_index("ours").loc["lam"]
    assert row["original"] == "lambda" and row["common"] == "gae_lambda"
    assert row["value"] == format_value(PPOConfig().lam, digits=4)


def test_traffic_policy_html_shows_the_packaged_calibration() -> None:
    table = t.traffic_policy_html()
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table)]
    assert rows[1] == ["uniform random", "-39.9", "2.9"]
    assert rows[-1] == ["queue-greedy heuristic (memoryless)", "-10.6", "8.1"]
    assert len(rows) == 1 + 6


def test_deviations_html_says_what_there_is() -> None:
    """The Methods page's box: a table of options in use, or words for none (no 'None: ...')."""
    empty = pd.DataFrame(columns=list(t.DEVIATION_COLUMNS))
    nothing_run = t.deviations_html(empty, has_runs=False)
    assert "No runs in this build" in nothing_run and "admonition note" in nothing_run
    none = t.deviations_html(empty, has_runs=True)
    assert '<p class="admonition-title">No deviations</p>' in none
    assert "<p>Every run follows the original protocol.</p>" in none
    assert "None" not in none
    one = pd.DataFrame(
        [["warehouse", "LSTM", "normalize_advantages", True, False, "normalise advantages"]],
        columns=list(t.DEVIATION_COLUMNS),
    )
    cells = re.findall(r"<td[^>]*>(.*?)</td>", t.deviations_html(one, has_runs=True))
    assert cells[:3] == ["warehouse", "LSTM", "normalize_advantages"]


def test_departures_table_says_how_many_points_lie_outside_and_where() -> None:
    summary = pd.DataFrame(
        {
            "model": ["IAM", "LSTM"],
            "compared": [5, 1],
            "not_compared": [1, 0],
            "judged": [5, 0],
            "matches": [1, 0],
            "departs": [3, 0],
            "depart_spans": [
                ((2200000, 2400000, "ours below"), (3000000, 3000000, "ours above")),
                (),
            ],
            "mean_gap": [0.5, -7.25],
            "largest_gap": [3.0, -7.25],
            "largest_gap_step": [3000000, 200000],
        }
    )
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", t.departures_html(summary))
    assert cells == [
        "IAM",
        "5 of 6",
        "1 of 5",
        "3 (ours below at 2.2e6–2.4e6; ours above at 3e6)",
        "+0.50",
        "+3.00 at 3e6",
        "LSTM",
        "1",
        "no CI (1 seed)",
        "—",
        "-7.25",
        "-7.25 at 2e5",
    ]
