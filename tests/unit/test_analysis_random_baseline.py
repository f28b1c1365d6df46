"""The "above random" verdicts and which episodes count as a run's final ones."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from iam_repro.analysis.random_baseline import (
    final_episode_returns,
    vs_random_row,
    vs_random_verdict,
)

NAN = math.nan


@pytest.mark.parametrize(
    "diff, low, high, verdict",
    [
        (1.0, 0.5, 1.5, "above random"),
        (-1.0, -1.5, -0.5, "below random"),
        (0.2, -0.1, 0.5, "not distinguishable"),
        (0.5, 0.0, 1.0, "not distinguishable"),  # a CI touching 0 does not exclude it
        (0.5, NAN, NAN, "not distinguishable"),  # no CI (one episode)
        (NAN, NAN, NAN, "not distinguishable"),
    ],
)
def test_verdicts(diff: float, low: float, high: float, verdict: str) -> None:
    assert vs_random_verdict(diff, low, high) == verdict


def test_final_episodes_are_the_last_by_end_step_then_worker() -> None:
    episodes = pd.DataFrame(
        {"r": [1.0, 2.0, 3.0, 4.0], "worker": [0, 0, 1, 0], "step": [3, 1, 2, 2]}
    )
    # Order: (1, w0) 2.0, (2, w0) 4.0, (2, w1) 3.0, (3, w0) 1.0.
    assert final_episode_returns(episodes, 2).tolist() == [3.0, 1.0]
    assert final_episode_returns(episodes, 10).tolist() == [2.0, 4.0, 3.0, 1.0]


def test_one_final_episode_has_no_interval() -> None:
    row = vs_random_row("IAM", 0, [5.0], [1.0, 2.0], 0.95, 1000, 0)
    assert row["diff"] == 3.5 and math.isnan(row["ci_low"])
    assert row["verdict"] == "not distinguishable"
