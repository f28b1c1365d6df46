"""Archived runs in the book: curve points beside the paper's (Methods page, report.archive)
and the paper-scale sections' summary sentence (report.paper_scale)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from iam_repro.report.archive import window_comparison
from iam_repro.report.formatting import MISSING
from iam_repro.report.paper_scale import (
    cpu_share_sentence,
    paper_scale_facts,
    pooled_curves_sentence,
)


def test_window_comparison_puts_our_points_beside_the_papers() -> None:
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
    table = window_comparison(
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
        ["400,000", "LSTM_fc", MISSING, 0, "no point"],
    ]


def _compute(models: list[str], seeds: list[int], hours: float) -> pd.DataFrame:
    return pd.DataFrame({"model": models, "seed": seeds, "wall_time_s": hours * 3600})


def test_paper_scale_facts_say_how_many_runs_which_seeds_and_where() -> None:
    provenance = {
        "runs": [
            {"run_id": "warehouse/warehouse/IAM/seed_0", "compute": "AMD EPYC (AVX512)"},
            {"run_id": "traffic/traffic/LSTM/seed_0", "compute": "other CPU"},
        ]
    }
    partial = SimpleNamespace(
        experiment="warehouse", compute=_compute(["IAM", "LSTM"], [0, 0], 2.0)
    )
    assert paper_scale_facts(partial, provenance) == (
        "These are the archived paper-scale runs (report/archive/paper_scale/), not this "
        "build&#x27;s: the same pipeline at the paper&#x27;s full budget, 2 runs (1 seed per "
        "model; seed 0), 4.0 h of training in all, computed on AMD EPYC (AVX512)."
    )
    uneven = SimpleNamespace(
        experiment="traffic", compute=_compute(["IAM", "IAM", "LSTM"], [0, 1, 0], 1.0)
    )
    assert "3 runs (1-2 seeds per model; seeds 0, 1)" in paper_scale_facts(uneven, provenance)
    assert paper_scale_facts(uneven, None).endswith("3.0 h of training in all.")
    single = SimpleNamespace(experiment="traffic", compute=_compute(["LSTM"], [0], 1.5))
    assert "full budget, 1 run (1 seed per model; seed 0), 90 min" in paper_scale_facts(
        single, provenance
    )


def test_cpu_share_sentence_gives_the_runs_cpu_time_over_wall_time() -> None:
    def run(run_id: str, cpu_s: float | None, wall_time_s: float) -> dict:
        return {"run_id": run_id, "cpu_s": cpu_s, "wall_time_s": wall_time_s}

    provenance = {
        "runs": [
            run("warehouse/warehouse/IAM/seed_0", 570.0, 1000.0),  # 57%
            run("warehouse/warehouse/IAM/seed_1", None, 1000.0),  # not recorded
            run("warehouse/warehouse/LSTM/seed_0", 990.0, 1000.0),  # 99%
            run("warehouse/warehouse/LSTM/seed_1", 1540.0, 2000.0),  # 77%
            run("traffic/traffic/IAM/seed_0", 1040.0, 1000.0),  # 104%, another experiment
        ]
    }
    sentence = cpu_share_sentence("warehouse", provenance)
    assert sentence is not None
    assert sentence.startswith(
        "CPU time (the training process and its environment processes together) was between "
        "57% and 99% (median 77%) of wall time in the 3 of its 4 runs that recorded it."
    )
    assert cpu_share_sentence("traffic", provenance).startswith(
        "CPU time (the training process and its environment processes together) was 104% of "
        "wall time in every run."
    )
    assert cpu_share_sentence("warehouse", {"runs": provenance["runs"][1:2]}) is None
    assert cpu_share_sentence("warehouse", None) is None


def test_the_pooled_curves_sentence_names_models_with_recovered_runs() -> None:
    protocol = pd.DataFrame(
        {
            "model": ["FNN1", "FNN1", "FNN1", "IAM", "IAM"],
            "seed": [None, None, 2, 0, 1],
            "step": [10, 10, 10, 10, 10],
            "mean_return": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    sentence = pooled_curves_sentence(protocol)
    assert sentence.startswith("In the Fig. 5 curves, two runs of each of FNN1 enter")
    assert "IAM" not in sentence and "README" in sentence
    assert pooled_curves_sentence(protocol.dropna()) is None
    assert pooled_curves_sentence(None) is None
