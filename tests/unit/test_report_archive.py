"""iam_repro.report.archive: archived curve points beside the paper's (Methods page)."""

from __future__ import annotations

import pandas as pd

from iam_repro.report.archive import window_comparison
from iam_repro.report.formatting import MISSING


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
