"""iam_repro.analysis.compute: per-model compute means and throughput relative to IAM."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from iam_repro.analysis.compute import COMPUTE_MODELS_COLUMNS, compute_per_model

COMPUTE = pd.DataFrame(
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


def test_compute_per_model_means_and_ratio_to_the_reference() -> None:
    per_model = compute_per_model(COMPUTE, "IAM")
    assert tuple(per_model.columns) == COMPUTE_MODELS_COLUMNS
    per_model = per_model.set_index("model")
    assert list(per_model.index) == ["LSTM", "IAM"]  # order of first appearance
    assert per_model.loc["LSTM", "runs"] == 2
    assert per_model.loc["LSTM", "wall_time_s"] == pytest.approx(300.0)  # (200 + 400) / 2
    assert per_model.loc["IAM", "wall_time_s"] == pytest.approx(200.0)
    assert per_model.loc["IAM", "transitions_per_s"] == pytest.approx(20.0)  # (10 + 30) / 2
    assert per_model.loc["LSTM", "relative_throughput"] == pytest.approx(4.0 / 20.0)
    assert per_model.loc["IAM", "relative_throughput"] == pytest.approx(1.0)


def test_the_reference_is_the_model_named_not_a_fixed_name() -> None:
    renamed = COMPUTE.replace({"model": {"IAM": "IAM_v2"}})
    per_model = compute_per_model(renamed, "IAM_v2").set_index("model")
    assert per_model.loc["LSTM", "relative_throughput"] == pytest.approx(0.2)
    # Relative to LSTM instead: IAM is 20 / 4 = 5 times as fast.
    by_lstm = compute_per_model(COMPUTE, "LSTM").set_index("model")
    assert by_lstm.loc["IAM", "relative_throughput"] == pytest.approx(5.0)


@pytest.mark.parametrize("reference", [None, "FNN8"])
def test_without_the_reference_every_ratio_is_nan(reference) -> None:
    per_model = compute_per_model(COMPUTE, reference)
    assert per_model["relative_throughput"].map(math.isnan).all()
    stalled = COMPUTE.assign(transitions_per_s=[5.0, 0.0, 3.0, 0.0])
    assert compute_per_model(stalled, "IAM")["relative_throughput"].map(math.isnan).all()
