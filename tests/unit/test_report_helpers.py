"""Unit tests of iam_repro.report_helpers on small, hand-checkable frames."""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from iam_repro import report_helpers as h

CLAIM_HEADER = (
    "claim_id,claim,paper_value,reproduced_value,ci_low,ci_high,tolerance,verdict,evidence\n"
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """Two experiments: 'warehouse' with claims 1a, 1b, 3 and a summary; 'foo' with claim 9."""
    tables = tmp_path / "tables"
    write(
        tables / "warehouse" / "claims.csv",
        CLAIM_HEADER
        + "1a,IAM above LSTM (final),5.6,2.5,1.5,3.5,0,reproduced,diff > 0\n"
        + "1b,IAM above LSTM (AUC),not available,1.2e6,,,0,Partly reproduced,AUC\n"
        + "3,IAM faster,1300000,250000,-100000,600000,0,not_reproduced,CI has 0\n",
    )
    write(
        tables / "warehouse" / "summary.csv",
        "model,n_seeds,mean,std,ci_low,ci_high,paper_value\n"
        "IAM,5,38.3428,0.1688,38.1518,38.5338,41.0\n"
        "LSTM,3,35.9171,0.15,35.7473,36.0868,35.4\n"
        "IAM_static,5,35.6883,0.5994,,,\n",
    )
    write(tables / "foo" / "claims.csv", CLAIM_HEADER + "9,something else,,1,0,2,0,yes,e\n")
    (tables / "empty").mkdir()
    return tmp_path


# ---------------------------------------------------------------------------------------------
# Locating and loading


def test_results_dir_prefers_the_environment(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(h.RESULTS_ENV, str(tmp_path))
    assert h.results_dir() == tmp_path.resolve()
    monkeypatch.delenv(h.RESULTS_ENV)
    assert h.results_dir(tmp_path / "x") == (tmp_path / "x").resolve()


def test_experiments_are_the_table_folders_warehouse_first(results: Path) -> None:
    write(results / "tables" / "provenance.json", "{}")
    (results / "tables" / ".hidden").mkdir()
    assert h.experiments(results) == ["warehouse", "empty", "foo"]
    assert h.experiments(results / "nowhere") == []


def test_load_table_names_the_missing_file_and_the_rule(results: Path) -> None:
    with pytest.raises(h.MissingResultsError) as err:
        h.load_table(results, "empty", "summary")
    message = str(err.value)
    assert str(results / "tables" / "empty" / "summary.csv") in message
    assert "aggregate rule" in message
    assert h.try_load_table(results, "empty", "summary") is None


def test_load_table_rejects_missing_columns_and_bad_files(results: Path) -> None:
    write(results / "tables" / "empty" / "summary.csv", "model,mean\nIAM,1\n")
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['n_seeds', 'std'"):
        h.load_table(results, "empty", "summary")
    write(results / "tables" / "empty" / "compute.csv", "")
    with pytest.raises(ValueError, match="not a readable CSV"):
        h.try_load_table(results, "empty", "compute")


def test_concat_tables_adds_the_experiment_and_keeps_columns_when_empty(results: Path) -> None:
    claims = h.concat_tables(results, "claims")
    assert list(claims.columns[:2]) == ["experiment", "claim_id"]
    assert list(claims["experiment"]) == ["warehouse"] * 3 + ["foo"]
    none = h.concat_tables(results, "claims", ["empty"])
    assert none.empty
    assert list(none.columns) == ["experiment", *h.TABLE_COLUMNS["claims"]]


def test_load_provenance(results: Path) -> None:
    assert h.load_provenance(results) is None
    write(results / "tables" / "provenance.json", json.dumps({"preset": "quick"}))
    assert h.load_provenance(results) == {"preset": "quick"}
    write(results / "tables" / "provenance.json", "{not json")
    with pytest.raises(ValueError, match="provenance.json is not valid JSON"):
        h.load_provenance(results)


# ---------------------------------------------------------------------------------------------
# Formatting


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (38.234, "38.2"),
        (0.01234, "0.0123"),
        (2_200_000, "2.2e6"),
        (1.25e7, "1.25e7"),
        (1234.0, "1,234"),
        (1234.6, "1,235"),
        (12, "12"),
        (-0.4, "-0.4"),
        (float("nan"), "—"),
        (None, "—"),
        ("", "—"),
        ("not available", "not available"),
        ("5.600000000000001", "5.6"),
        (math.inf, "∞"),
    ],
)
def test_format_value(value, text) -> None:
    assert h.format_value(value) == text


def test_fixed_ci_duration_and_ratio_formats() -> None:
    assert h.format_fixed(38.3428) == "38.34"
    assert h.format_fixed(41) == "41.00"
    assert h.format_fixed(None) == "—"
    assert h.format_ci(1.2345, 2.5) == "[1.23, 2.5]"
    assert h.format_ci(1.2345, 2.5, decimals=2) == "[1.23, 2.50]"
    assert h.format_ci(1.0, float("nan")) == "—"
    assert [h.format_duration(s) for s in (45, 2220, 18720, None)] == [
        "45 s",
        "37 min",
        "5.2 h",
        "—",
    ]
    assert h.format_ratio(0.554) == "0.55×"
    assert h.format_ratio(math.nan) == "—"


def test_model_label() -> None:
    assert h.model_label("FNN8") == "FNN (8 obs)"
    assert h.model_label("FNN1") == "FNN (1 obs)"
    assert h.model_label("IAM_static") == "IAM_static"


@pytest.mark.parametrize(
    ("verdict", "word"),
    [
        ("reproduced", "reproduced"),
        ("Reproduced", "reproduced"),
        ("partly reproduced", "partly"),
        ("Partial", "partly"),
        ("not_reproduced", "not reproduced"),
        ("NOT REPRODUCED", "not reproduced"),
        ("not-yet-run", "not yet run"),
        (float("nan"), "not yet run"),
        ("inconclusive", "inconclusive"),
    ],
)
def test_normalise_verdict(verdict, word) -> None:
    assert h.normalise_verdict(verdict) == word


def test_verdict_badge_classes_and_escaping() -> None:
    assert h.verdict_badge("partly") == '<span class="verdict verdict-partly">partly</span>'
    assert "verdict-not-reproduced" in h.verdict_badge("not reproduced")
    assert h.verdict_badge("<b>odd</b>") == (
        '<span class="verdict verdict-other">&lt;b&gt;odd&lt;/b&gt;</span>'
    )


def test_html_table_selects_orders_escapes_and_aligns() -> None:
    frame = pd.DataFrame(
        {"name": ["a<b", "c"], "value": [1.23456, None], "verdict": ["reproduced", "x"]}
    )
    table = h.html_table(frame, {"value": "V", "name": "N", "verdict": "ok"}, caption="Cap")
    assert table.startswith('<div class="iam-table-wrap"><table class="iam-table">')
    assert "<caption>Cap</caption>" in table
    headers = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", table)
    assert headers == ["V", "N", "ok"]
    cells = re.findall(r"<td([^>]*)>(.*?)</td>", table)
    assert cells[0] == (' class="col-value num"', "1.23")
    assert cells[1] == (' class="col-name"', "a&lt;b")
    assert "verdict-reproduced" in cells[2][1]
    assert cells[3] == (' class="col-value num"', "—")  # a missing number keeps the alignment
    assert '<th class="col-value num">V</th>' in table and '<th class="col-name">N</th>' in table
    with pytest.raises(KeyError, match="missing_col"):
        h.html_table(frame, {"missing_col": "x"})


def test_html_table_uses_column_formats() -> None:
    frame = pd.DataFrame({"mean": [38.3428], "n": [5]})
    table = h.html_table(frame, formats={"mean": h.format_fixed}, verdict_column=None)
    assert '<td class="col-mean num">38.34</td>' in table
    assert '<td class="col-n num">5</td>' in table


def test_notices_escape_their_text() -> None:
    box = h.notice("T<", "x & y", kind="note")
    assert box.startswith('<div class="admonition note">')
    assert "T&lt;" in box and "x &amp; y" in box
    assert "warehouse: not run in this build" in h.not_run_notice("warehouse")


def test_preset_note_warns_for_short_presets() -> None:
    assert "say nothing about the paper" in h.preset_note("smoke")
    assert "say nothing about the paper" in h.preset_note("quick")
    assert "paper's training budget" in h.preset_note("paper")
    assert "unknown" in h.preset_note("unknown")


# ---------------------------------------------------------------------------------------------
# Claims


@pytest.mark.parametrize(
    ("claim_id", "number"),
    [
        (1, 1),
        ("2", 2),
        ("1a", 1),
        ("claim-2b", 2),
        (3.0, 3),
        ("W12", 12),
        ("x", None),
        (None, None),
    ],
)
def test_claim_number(claim_id, number) -> None:
    assert h.claim_number(claim_id) == number


def test_claims_overview_lists_every_paper_claim(results: Path) -> None:
    overview = h.claims_overview(h.concat_tables(results, "claims"))
    # 1a, 1b, then 2 (not run), 3, 4, 5, 6, 7 (not run), then the unknown claim 9 last.
    assert list(overview["claim_id"]) == ["1a", "1b", "2", "3", "4", "5", "6", "7", "9"]
    verdicts = dict(zip(overview["claim_id"], overview["verdict"], strict=True))
    assert verdicts == {
        "1a": "reproduced",
        "1b": "partly",
        "2": "not yet run",
        "3": "not reproduced",
        "4": "not yet run",
        "5": "not yet run",
        "6": "not yet run",
        "7": "not yet run",
        "9": "reproduced",
    }
    row = overview.set_index("claim_id").loc["1a"]
    assert row["ci"] == "[1.5, 3.5]" and row["experiment"] == "warehouse"
    assert overview.set_index("claim_id").loc["1b", "ci"] == "—"
    assert overview.set_index("claim_id").loc["7", "experiment"] == "atari"
    assert h.verdict_counts(overview) == "2 reproduced, 1 partly, 1 not reproduced, 5 not yet run"


def test_claims_overview_of_nothing_is_seven_not_yet_run() -> None:
    overview = h.claims_overview(h.concat_tables(Path("/nonexistent"), "claims"))
    assert list(overview["number"]) == [1, 2, 3, 4, 5, 6, 7]
    assert set(overview["verdict"]) == {"not yet run"}


def test_claims_html_puts_value_and_ci_together(results: Path) -> None:
    overview = h.claims_overview(h.concat_tables(results, "claims"))
    table = h.claims_html(overview[overview["number"] == 3])
    assert "2.5e5 [-1e5, 6e5]" in table
    assert "verdict-not-reproduced" in table
    assert '<th class="col-experiment">experiment</th>' in table
    assert "col-experiment" not in h.claims_html(overview, show_experiment=False)


def test_experiment_claims_has_no_placeholder_rows(results: Path) -> None:
    claims = h.load_table(results, "warehouse", "claims")
    frame = h.experiment_claims(claims, "warehouse")
    assert list(frame["claim_id"]) == ["1a", "1b", "3"]
    assert list(frame.columns) == h.CLAIM_FRAME_COLUMNS


def test_claim_verdict_text(results: Path) -> None:
    claims = h.concat_tables(results, "claims")
    assert h.claim_verdict_text(claims, 1) == "reproduced (1a), partly (1b)"
    assert h.claim_verdict_text(claims, 3) == "not reproduced"
    assert h.claim_verdict_text(claims, 2) == "not yet run"
    assert h.claim_verdict_text(claims.iloc[0:0], 1) == "not yet run"


# ---------------------------------------------------------------------------------------------
# Results tables and prose


def test_summary_texts(results: Path) -> None:
    summary = h.load_table(results, "warehouse", "summary")
    assert h.estimate_text(summary, "IAM") == "38.34 (95% CI 38.15 to 38.53)"
    assert h.estimate_text(summary, "IAM_static") == "35.69"  # no CI
    assert h.estimate_text(summary, "FNN8") == "—"
    assert h.estimate_text(None, "IAM") == "—"
    assert h.paper_value_text(summary, "LSTM") == "35.40"
    assert h.paper_value_text(summary, "IAM_static") == "—"
    assert h.seeds_text(summary) == "3–5"
    assert h.seeds_text(summary[summary["model"] == "IAM"]) == "5"
    assert h.seeds_text(None) == "—"


def test_summary_html(results: Path) -> None:
    table = h.summary_html(h.load_table(results, "warehouse", "summary"))
    rows = re.findall(r"<tr>(.*?)</tr>", table)
    iam = re.findall(r"<td[^>]*>(.*?)</td>", rows[1])
    assert iam == ["IAM", "5", "38.34", "0.17", "[38.15, 38.53]", "41.00"]
    static = re.findall(r"<td[^>]*>(.*?)</td>", rows[3])
    assert static[-2:] == ["—", "—"]


def test_compute_per_model_means_and_ratio_to_iam() -> None:
    compute = pd.DataFrame(
        {
            "model": ["LSTM", "IAM", "LSTM", "IAM"],
            "seed": [0, 0, 1, 1],
            "wall_time_s": [200.0, 100.0, 400.0, 300.0],
            "transitions": [1000] * 4,
            "steps_per_worker": [125] * 4,
            "transitions_per_s": [5.0, 10.0, 3.0, 30.0],
            "device": ["cpu"] * 4,
            "resumes": [0, 0, 1, 0],
        }
    )
    per_model = h.compute_per_model(compute).set_index("model")
    assert list(per_model.index) == ["LSTM", "IAM"]  # order of first appearance
    assert per_model.loc["LSTM", "runs"] == 2
    assert per_model.loc["LSTM", "wall_time_s"] == pytest.approx(300.0)
    assert per_model.loc["IAM", "transitions_per_s"] == pytest.approx(20.0)
    assert per_model.loc["LSTM", "relative"] == pytest.approx(4.0 / 20.0)
    assert per_model.loc["IAM", "relative"] == pytest.approx(1.0)
    without_iam = h.compute_per_model(compute[compute["model"] == "LSTM"])
    assert math.isnan(without_iam["relative"].iloc[0])
    assert "0.20×" in h.compute_models_html(compute)
    assert "5 min" in h.compute_runs_html(compute)


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
    cells = re.findall(r"<td[^>]*>(.*?)</td>", h.scores_html(scores))
    assert cells == ["FNN (8 obs)", "0", "34.69", "1.19e8", "—"]


# ---------------------------------------------------------------------------------------------
# Results chapters (warehouse.md, traffic.md)


def _traffic_results(root: Path) -> Path:
    tables = root / "tables" / "traffic"
    write(
        tables / "summary.csv",
        "model,n_seeds,mean,std,ci_low,ci_high,paper_value\n"
        "FNN1,3,-5.71,0.1,-5.8,-5.6,-5.6\n"
        "FNN32,3,-4.35,0.1,-4.45,-4.25,-4.18\n"
        "LSTM,3,-4.4,0.2,-4.6,-4.2,-4.23\n"
        "IAM,3,-3.52,0.05,-3.57,-3.47,-3.47\n",
    )
    write(
        tables / "curves_summary.csv",
        "model,step,mean,std,ci_low,ci_high,n_seeds\nIAM,2000000,-3.5,0.1,-3.6,-3.4,3\n",
    )
    write(
        tables / "claims.csv",
        CLAIM_HEADER
        + "4a,Traffic: IAM ends above LSTM (final return),0.76,0.88,0.6,1.1,,reproduced,e\n"
        + "5,Traffic: IAM learns faster than LSTM (steps to reach -10),-600000,-500000,"
        "-700000,-300000,,reproduced,e\n"
        + "6a,Traffic: IAM trains faster than LSTM,,900,500,1300,,reproduced,e\n",
    )
    write(
        tables / "compute.csv",
        "model,seed,wall_time_s,transitions,steps_per_worker,transitions_per_s,device,resumes\n"
        "IAM,0,3000,16000000,2000000,5333.3,cpu,0\n"
        "IAM,1,3400,16000000,2000000,4705.9,cpu,0\n"
        "LSTM,0,5400,16000000,2000000,2963.0,cpu,1\n",
    )
    write(root / "tables" / "provenance.json", json.dumps({"preset": "paper"}))
    return root


def test_chapter_texts_of_a_traffic_run(tmp_path: Path) -> None:
    chapter = h.load_chapter("traffic", results=_traffic_results(tmp_path))
    assert chapter.ran and chapter.panel.stacked_fnn == "FNN32" and chapter.preset == "paper"
    assert chapter.scores is None  # absent tables are None, not errors
    texts = h.chapter_texts(chapter)
    assert texts["status"] == ""
    assert texts["last_step"] == "2e6 steps"
    assert texts["seeds"] == "3"
    assert texts["frames"] == "32"
    assert texts["threshold"] == "-10"
    # The roles map onto the traffic model names: FNNk is FNN32.
    assert texts["final_IAM"] == "-3.52 (95% CI -3.57 to -3.47)"
    assert texts["final_FNNk"] == "-4.35 (95% CI -4.45 to -4.25)"
    # At the paper's budget the figure has every value (FNN1 first, as the sentence says).
    assert texts["paper_recurrent"] == "the paper's figure reads about -3.47 and -4.23"
    assert texts["paper_feedforward"] == "the paper's figure reads about -5.60 and -4.18"
    assert texts["tps_IAM"] == "5,020"  # mean of 5333.3 and 4705.9
    assert texts["wall_IAM"] == "53 min"  # mean of 3000 s and 3400 s
    assert texts["tps_LSTM"] == "2,963" and texts["wall_LSTM"] == "90 min"
    assert texts["tps_FNN1"] == "—"  # no compute record
    assert texts["claim4"] == "reproduced" and texts["claim5"] == "reproduced"
    assert set(texts) >= {"claim4", "claim5"} and "claim1" not in texts


def test_chapter_texts_when_the_experiment_did_not_run(tmp_path: Path) -> None:
    chapter = h.load_chapter("traffic", results=tmp_path)
    assert not chapter.ran and chapter.preset == "unknown"
    texts = h.chapter_texts(chapter)
    assert "traffic experiment was not run in this build" in texts["status"]
    assert {texts[k] for k in ("final_IAM", "tps_IAM", "last_step")} == {"—"}
    # The status sentence says each dash stands for a missing result.
    assert texts["paper_recurrent"] == "the paper's figure reads about — and —"
    assert texts["rolling_note"] == "No rolling-average curves are in this build's results."
    assert texts["claim4"] == texts["claim5"] == "not yet run"
    assert texts["threshold"] == "—"
    warehouse = h.chapter_texts(h.load_chapter("warehouse", results=tmp_path))
    assert warehouse["frames"] == "8" and set(warehouse) >= {"claim1", "claim2", "claim3"}
    with pytest.raises(KeyError, match="no row for environment 'atari'"):
        h.load_chapter("atari", results=tmp_path)


QUICK_SUMMARY = (
    "model,n_seeds,mean,std,ci_low,ci_high,paper_value\n"
    "FNN1,2,20.1,0.5,15.6,24.6,\n"
    "FNN8,2,19.0,0.5,14.5,23.5,\n"
    "LSTM,2,18.2,0.5,13.7,22.7,\n"
    "IAM,2,21.0,0.5,16.5,25.5,\n"
)


def test_a_budget_before_the_papers_first_point_is_said_in_words(tmp_path: Path) -> None:
    """Quick warehouse preset: runs end at 102,400 steps, before the paper's first IAM point
    (200,000) and its FNN values (4,000,000 only): no dashes for the paper's values."""
    tables = tmp_path / "tables" / "warehouse"
    write(tables / "summary.csv", QUICK_SUMMARY)
    write(
        tables / "compute.csv",
        "model,seed,wall_time_s,transitions,steps_per_worker,transitions_per_s,device,resumes\n"
        "IAM,0,300,819200,102400,2730.7,cpu,0\n",
    )
    texts = h.chapter_texts(h.load_chapter("warehouse", results=tmp_path))
    assert (
        texts["paper_recurrent"]
        == "the paper's figure has no IAM or LSTM point before 200,000 steps"
    )
    assert texts["paper_feedforward"] == (
        "the paper's figure has no FNN (1 obs) or FNN (8 obs) point before 4,000,000 steps"
    )
    assert "—" not in texts["paper_recurrent"] + texts["paper_feedforward"]


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
    assert h.paper_reading_text(summary, paper, "warehouse", both, 200) == (
        "the paper's figure reads about 29.00 for IAM and has no LSTM point before 300 steps"
    )
    # Points on both sides of the budget, none close to it; past the figure's end.
    assert h.paper_reading_text(summary, paper, "warehouse", ["LSTM"], 350) == (
        "the paper's figure has no LSTM point near 350 steps"
    )
    assert h.paper_reading_text(summary, paper, "warehouse", ["LSTM", "FNN1"], 500) == (
        "the paper's figure has no LSTM or FNN (1 obs) point after 400 steps"
    )
    assert h.paper_reading_text(summary, paper, "warehouse", ["LSTM"], None) == (
        "the paper's figure has no LSTM value at this budget"
    )
    complete = summary.assign(paper_value=[33.0, 31.5, 28.0, 30.0])
    assert h.paper_reading_text(complete, paper, "warehouse", both, 400) == (
        "the paper's figure reads about 30.00 and 28.00"
    )


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
    note = h.rolling_note(rolling)
    assert "the last 250 episodes that ended by then, over all 8 workers" in note
    assert "last 1,000 episodes" in h.rolling_note(rolling.assign(window_episodes=1000))
    assert h.rolling_note(rolling.iloc[0:0]) == h.rolling_note(None)


def test_traffic_texts_come_from_cited_constants_and_the_reference() -> None:
    texts = h.traffic_texts()
    assert texts["random"] == "-39.9" and texts["random_std"] == "2.9"
    assert texts["heuristic"] == "-10.6"
    assert texts["policy_episodes"] == "50"
    # The paper's first traffic point: LSTM at 2.5e5 steps, -42 (reference/paper_fig5.csv).
    assert texts["paper_start"] == "-42" and texts["paper_start_step"] == "2.5e5"
    assert re.fullmatch(r"\d+\.\d+\.\d+", texts["sumo_version"])
    table = h.traffic_policy_html()
    assert "uniform random" in table and "-39.9" in table


def test_ppo_name_table_covers_the_name_map() -> None:
    from iam_repro.ppo.config import NAME_MAP, PPOConfig

    table = h.ppo_name_table()
    assert list(table["ours"]) == list(NAME_MAP)
    row = table.set_index("ours").loc["lam"]
    assert row["original"] == "lambda" and row["common"] == "gae_lambda"
    assert row["value"] == h.format_value(PPOConfig().lam, digits=4)


def test_provenance_frames() -> None:
    provenance = {
        "preset": "smoke",
        "experiments": ["warehouse"],
        "git_commit": "abc",
        "git_dirty": True,
        "versions": {"python": "3.11.7", "torch": "2.13.0"},
        "generated_utc": "2026-01-01T00:00:00Z",
        "runs": [{"run_id": "w/IAM/seed_0", "config_digest": "d1", "wall_time_s": 90.0}],
    }
    items = dict(h.provenance_frame(provenance).itertuples(index=False))
    assert items["git commit"] == "abc (with uncommitted changes)"
    assert items["runs"] == "1"
    assert list(h.versions_frame(provenance)["package"]) == ["python", "torch"]
    runs = h.runs_frame(provenance)
    assert list(runs.columns) == list(h.RUN_COLUMNS)
    assert pd.isna(runs.loc[0, "hostname"])
    assert "90 s" in h.runs_html(provenance)


def test_heading_html_slug() -> None:
    assert h.heading_html("Flicker Pong!") == (
        '<h2 class="iam-heading" id="flicker-pong">Flicker Pong!</h2>'
    )


# ---------------------------------------------------------------------------------------------
# Building the book (the failure paths; a full build is in tests/workflow)


def test_build_book_checks_its_inputs(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no _config.yml"):
        h.build_book(tmp_path, tmp_path, tmp_path / "out", tmp_path)
    report = Path(__file__).resolve().parents[2] / "report"
    with pytest.raises(FileNotFoundError, match="scripts/setup.sh"):
        h.build_book(report, tmp_path, tmp_path / "out", tmp_path / "no-mathjax")


# ---------------------------------------------------------------------------------------------
# The book's configuration keeps it offline and fresh


REPORT = Path(__file__).resolve().parents[2] / "report"


def test_book_config_is_offline_and_always_executes() -> None:
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((REPORT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "force"
    assert 0 < config["execute"]["timeout"] <= 600
    assert config["only_build_toc_files"] is True
    launch = config["launch_buttons"]
    assert not any(launch[k] for k in ("binderhub_url", "jupyterhub_url", "colab_url", "thebe"))
    assert not any(
        config["html"]["analytics"].get(k)
        for k in ("google_analytics_id", "plausible_analytics_domain")
    )
    assert not any(
        config["html"][k]
        for k in ("use_repository_button", "use_issues_button", "use_edit_page_button")
    )
    sphinx = config["sphinx"]["config"]
    assert "://" not in sphinx["mathjax_path"]
    assert sphinx["mathjax_path"] == "mathjax/tex-chtml.js"
    assert sphinx["nb_ipywidgets_js"] == {}
    assert "local_mathjax" in sphinx["extensions"]
    assert "sphinx_thebe" not in sphinx["extensions"]  # it writes a CDN URL into every page
    assert config["sphinx"]["local_extensions"] == {"local_mathjax": "_ext"}


def test_book_sources_reference_nothing_remote() -> None:
    for path in [REPORT / "_config.yml", *REPORT.glob("_static/*"), *REPORT.glob("*.md")]:
        text = path.read_text()
        assert not re.search(r"(src|href)\s*=\s*[\"']?https?://", text), path
        assert "@import" not in text and "url(http" not in text, path


def test_toc_lists_every_page() -> None:
    yaml = pytest.importorskip("yaml")
    toc = yaml.safe_load((REPORT / "_toc.yml").read_text())
    listed = {toc["root"], *(chapter["file"] for chapter in toc["chapters"])}
    assert listed == {p.stem for p in REPORT.glob("*.md")}
    assert listed >= {
        "intro",
        "methods",
        "warehouse",
        "traffic",
        "compute",
        "experiments",
        "provenance",
    }
    chapters = [chapter["file"] for chapter in toc["chapters"]]
    assert chapters.index("traffic") == chapters.index("warehouse") + 1


def test_window_comparison_puts_our_points_beside_the_papers():
    summary = pd.DataFrame(
        {
            "model": ["LSTM", "LSTM", "LSTM_fc"],
            "step": [300000, 400000, 300000],
            "mean": [27.25, 28.0, 24.5],
            "std": [0.5, 0.5, 1.0],
            "ci_low": [26.75, 27.5, 23.5],
            "ci_high": [27.75, 28.5, 25.5],
            "n_seeds": [2, 2, 2],
        }
    )
    paper = pd.DataFrame(
        {
            "env": ["warehouse", "warehouse", "traffic"],
            "model": ["LSTM", "IAM", "LSTM"],
            "step": [300000, 300000, 400000],
            "mean_return": [27.3, 30.6, -9.0],
            "kind": "curve",
            "read_accuracy": 0.2,
        }
    )
    table = h.window_comparison(
        summary,
        paper,
        env="warehouse",
        models=["LSTM", "LSTM_fc"],
        paper_model="LSTM",
        steps=[300000, 400000],
    )
    assert table.values.tolist() == [
        ["300,000", "LSTM", "27.25 [26.75, 27.75]", 2, "27.30"],
        ["300,000", "LSTM_fc", "24.50 [23.50, 25.50]", 2, "27.30"],
        ["400,000", "LSTM", "28.00 [27.50, 28.50]", 2, "no point"],  # traffic's 400k not used
        ["400,000", "LSTM_fc", h.MISSING, 0, "no point"],
    ]
