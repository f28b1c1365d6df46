"""iam_repro.report.chapters: what the warehouse and traffic chapters read and quote."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from iam_repro.report import chapters as c
from tests.unit.report_data import QUICK_SUMMARY, write, write_traffic_results

#: A claims_overview.csv with a traffic row, a placeholder for claim 5, and another
#: experiment's row for claim 4 (not shown in the traffic chapter).
OVERVIEW = (
    "number,claim_id,experiment,claim,paper_value,reproduced_value,ci_low,ci_high,tolerance,"
    "verdict,evidence\n"
    "1,1,warehouse,IAM ends above LSTM,,,,,,not yet run,no results in this build\n"
    "4,4a,traffic,IAM ends above LSTM (final return),0.76,0.88,0.6,1.1,,reproduced,e\n"
    "4,4a,traffic_long,IAM ends above LSTM (final return),0.76,0.5,0.1,0.9,,reproduced,e\n"
    "5,5,traffic,IAM learns much faster,,,,,,not yet run,no results in this build\n"
)


def test_chapter_texts_of_a_traffic_run(tmp_path: Path) -> None:
    chapter = c.load_chapter("traffic", results=write_traffic_results(tmp_path))
    assert chapter.ran and chapter.panel.models["fnn_k"] == "FNN32" and chapter.preset == "paper"
    assert chapter.scores is None  # absent tables are None, not errors
    texts = c.chapter_texts(chapter)
    assert texts["status"] == ""
    assert texts["last_step"] == "2e6 steps"
    assert texts["seeds"] == "3"
    assert texts["frames"] == "32"
    assert texts["threshold"] == "-10"
    # The roles map onto the traffic model names (models.csv): fnn_k is FNN32.
    assert texts["final_iam"] == "-3.52 (95% CI -3.57 to -3.47)"
    assert texts["final_fnn_k"] == "-4.35 (95% CI -4.45 to -4.25)"
    # At the paper's budget the figure has every value (FNN1 first, as the sentence says).
    assert texts["paper_recurrent"] == "the paper's figure reads about -3.47 and -4.23"
    assert texts["paper_feedforward"] == "the paper's figure reads about -5.60 and -4.18"
    # Throughput and wall time are read from compute_models.csv, not recomputed.
    assert texts["tps_iam"] == "5,020"
    assert texts["wall_iam"] == "53 min"  # 3200 s
    assert texts["tps_lstm"] == "2,963" and texts["wall_lstm"] == "90 min"
    assert texts["tps_fnn_1"] == "—"  # no compute record
    assert texts["claim4"] == "reproduced" and texts["claim5"] == "reproduced"
    assert set(texts) >= {"claim4", "claim5"} and "claim1" not in texts


def test_chapter_texts_follow_the_models_roles(tmp_path: Path) -> None:
    """Renamed models (models.csv says who plays which role): the same sentences, our names."""
    results = write_traffic_results(tmp_path)
    tables = results / "tables" / "traffic"
    for name in ("summary.csv", "compute_models.csv", "models.csv"):
        text = (tables / name).read_text()
        text = text.replace("FNN32", "Stack16").replace("IAM", "Memory")
        (tables / name).write_text(text.replace("Stack16,fnn_k,fnn,32", "Stack16,fnn_k,fnn,16"))
    texts = c.chapter_texts(c.load_chapter("traffic", results=results))
    assert texts["final_iam"] == "-3.52 (95% CI -3.57 to -3.47)"
    assert texts["final_fnn_k"] == "-4.35 (95% CI -4.45 to -4.25)"
    assert texts["tps_iam"] == "5,020"
    assert texts["frames"] == "16"  # our fnn_k model's, not the paper's 32
    # The paper's lines are read under our names.
    assert texts["paper_recurrent"] == "the paper's figure reads about -3.47 and -4.23"
    assert texts["paper_feedforward"] == "the paper's figure reads about -5.60 and -4.18"


def test_chapter_texts_when_the_experiment_did_not_run(tmp_path: Path) -> None:
    chapter = c.load_chapter("traffic", results=tmp_path)
    assert not chapter.ran and chapter.preset == "unknown"
    texts = c.chapter_texts(chapter)
    assert "traffic experiment was not run in this build" in texts["status"]
    assert {texts[k] for k in ("final_iam", "tps_iam", "last_step")} == {"—"}
    # The status sentence says each dash stands for a missing result.
    assert texts["paper_recurrent"] == "the paper's figure reads about — and —"
    assert texts["rolling_note"] == "No rolling-average curves are in this build's results."
    assert texts["claim4"] == texts["claim5"] == "not yet run"
    assert texts["threshold"] == "—"
    warehouse = c.chapter_texts(c.load_chapter("warehouse", results=tmp_path))
    assert warehouse["frames"] == "8" and set(warehouse) >= {"claim1", "claim2", "claim3"}
    with pytest.raises(KeyError, match="no row for environment 'atari'"):
        c.load_chapter("atari", results=tmp_path)


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
    texts = c.chapter_texts(c.load_chapter("warehouse", results=tmp_path))
    assert (
        texts["paper_recurrent"]
        == "the paper's figure has no IAM or LSTM point before 200,000 steps"
    )
    assert texts["paper_feedforward"] == (
        "the paper's figure has no FNN (1 obs) or FNN (8 obs) point before 4,000,000 steps"
    )
    assert "—" not in texts["paper_recurrent"] + texts["paper_feedforward"]


def test_chapter_claims_are_the_overviews_rows_of_the_experiment(
    tmp_path: Path, monkeypatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(c, "show_html", shown.append)
    c.show_chapter_claims(c.load_chapter("traffic", results=write_traffic_results(tmp_path)))
    assert "Claims overview not available" in shown[-1]
    results = write_traffic_results(tmp_path, overview=OVERVIEW)
    c.show_chapter_claims(c.load_chapter("traffic", results=results))
    rows = re.findall(r"<tr>(.*?)</tr>", shown[-1])[1:]
    ids = [re.findall(r"<td[^>]*>(.*?)</td>", row)[0] for row in rows]
    assert ids == ["4a", "5"]  # this experiment's rows for claims 4 and 5, placeholder included
    assert "col-experiment" not in shown[-1] and "verdict-not-run" in shown[-1]


def test_chapter_compute_reads_compute_models(tmp_path: Path, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(c, "show_html", shown.append)
    c.show_chapter_compute(c.load_chapter("traffic", results=write_traffic_results(tmp_path)))
    cells = re.findall(r"<td[^>]*>(.*?)</td>", shown[-1])
    assert cells[:5] == ["IAM", "2", "53 min", "5,020", "1.00×"]
    c.show_chapter_compute(c.load_chapter("traffic", results=tmp_path / "nothing"))
    assert "traffic: not run in this build" in shown[-1]


def test_rolling_section_compares_each_run_with_the_random_policy(
    tmp_path: Path, monkeypatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(c, "show_html", shown.append)
    tables = tmp_path / "tables" / "traffic"
    c.show_rolling(tmp_path, "traffic")  # neither table: only the figure's notice
    assert not any("random policy" in text for text in shown)
    write(
        tables / "random_policy.csv",
        "episodes,mean,std,ci_low,ci_high\n100,-39.3,2.6,-39.8,-38.8\n",
    )
    write(
        tables / "vs_random.csv",
        "model,seed,final_episodes,final_mean,random_mean,diff,ci_low,ci_high,verdict\n"
        "IAM,0,100,-12.5,-39.3,26.8,25.9,27.7,above random\n"
        "LSTM,1,100,-39.5,-39.3,-0.2,-1.1,0.7,not distinguishable\n",
    )
    shown.clear()
    c.show_rolling(tmp_path, "traffic")
    note, table = shown[-2:]
    assert "-39.30 [-39.80, -38.80] over 100 episodes" in note
    assert "each run&#x27;s last-100-episodes return" in note  # the window of vs_random.csv
    assert '<th class="col-final-mean num">last-100-episodes return</th>' in table
    rows = re.findall(r"<tr>(.*?)</tr>", table)
    cells = [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", rows[-1])]
    assert cells == ["LSTM", "1", "not distinguishable", "-39.50", "100", "-0.20 [-1.10, 0.70]"]
    assert "verdict-reproduced" in table and "verdict-inconclusive" in table


def test_traffic_texts_come_from_the_packaged_calibration_and_reference() -> None:
    texts = c.traffic_texts()
    assert texts["random"] == "-39.9" and texts["random_std"] == "2.9"
    assert texts["heuristic"] == "-10.6"
    assert texts["policy_episodes"] == "50"
    # The paper's first traffic point: LSTM at 2.5e5 steps, -42 (reference/paper_fig5.csv).
    assert texts["paper_start"] == "-42" and texts["paper_start_step"] == "2.5e5"
    assert re.fullmatch(r"\d+\.\d+\.\d+", texts["sumo_version"])


def test_traffic_texts_without_a_paper_curve() -> None:
    empty = pd.DataFrame(columns=["env", "model", "step", "mean_return", "kind"])
    texts = c.traffic_texts(empty)
    assert texts["paper_start"] == texts["paper_start_step"] == "—"
