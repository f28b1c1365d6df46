"""Per-run tables pooled across builds give the tables of one aggregate over all the runs.

An archive keeps tables, not monitors: runs trained in different sessions are pooled by
`merge_run_tables` and summarised by `seed_tables`. The reference is `experiment_tables` over
every run's monitor at once.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iam_repro.analysis.tables import (
    OUTPUT_COLUMNS,
    RUN_TABLES,
    TableSettings,
    experiment_tables,
    merge_run_tables,
    run_tables,
    seed_tables,
)
from iam_repro.io.runs import load_runs
from iam_repro.jobs.archive import ArchiveError, pair_rows_from_summary
from tests.unit.test_analysis_tables import PAPER, ROSTER, make_run

SETTINGS = TableSettings(rolling_window_episodes=2, n_resamples=500)
RANDOM = np.array([0.0, 1.0, 2.0, 1.0])


def episodes(seed: int, model: str) -> list[tuple[int, int, float]]:
    """Worker 0 and 1 finish an episode every 5 steps to step 40, returns drawn per run."""
    rng = np.random.default_rng([seed, len(model)])
    return [
        (step, worker, float(np.round(rng.normal(3.0, 2.0), 2)))
        for step in range(5, 41, 5)
        for worker in (0, 1)
    ]


@pytest.fixture
def run_dirs(tmp_path: Path) -> dict[tuple[str, int], tuple[str, int, Path]]:
    return {
        (model, seed): (
            model,
            seed,
            make_run(tmp_path / model / f"seed_{seed}", episodes(seed, model)),
        )
        for model in ROSTER
        for seed in (0, 1, 2)
    }


def per_run(entries) -> dict[str, pd.DataFrame]:
    return run_tables(
        load_runs(entries),
        roster=ROSTER,
        summary_window=10,
        max_step=40,
        threshold=3.0,
        settings=SETTINGS,
        random_returns=RANDOM,
    )


def across(tables) -> dict[str, pd.DataFrame]:
    return seed_tables(
        tables,
        env="warehouse",
        roster=ROSTER,
        max_step=40,
        threshold=3.0,
        settings=SETTINGS,
        paper=PAPER,
    )


def through_csv(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """As an archive keeps them: written and read back."""
    return {name: pd.read_csv(io.StringIO(t.to_csv(index=False))) for name, t in tables.items()}


def csv_text(table: pd.DataFrame) -> str:
    return table.to_csv(index=False)


def test_pooled_halves_equal_one_aggregate_over_all_runs(run_dirs) -> None:
    everything = experiment_tables(
        load_runs(list(run_dirs.values())),
        env="warehouse",
        roster=ROSTER,
        summary_window=10,
        max_step=40,
        threshold=3.0,
        settings=SETTINGS,
        paper=PAPER,
        random_returns=RANDOM,
    )
    # Seeds 1 and 2 archived first, seed 0 added later: the pool must still be in seed order.
    archived = through_csv(per_run([e for (_, s), e in run_dirs.items() if s != 0]))
    added = per_run([e for (_, s), e in run_dirs.items() if s == 0])
    pooled = merge_run_tables(archived, added, ROSTER)
    pooled.update(across(pooled))
    for name in (*RUN_TABLES, "curves_summary.csv", "summary.csv", "claims.csv"):
        assert csv_text(pooled[name]) == csv_text(everything[name]), name
    assert csv_text(pooled["compute_models.csv"]) == csv_text(everything["compute_models.csv"])
    assert set(pooled["final_scores.csv"]["seed"]) == {0, 1, 2}


def test_a_run_added_again_replaces_its_rows(run_dirs) -> None:
    everything = per_run(list(run_dirs.values()))
    again = per_run([run_dirs[("IAM", 1)]])
    pooled = merge_run_tables(through_csv(everything), again, ROSTER)
    for name in RUN_TABLES:
        assert csv_text(pooled[name]) == csv_text(everything[name]), name


def test_two_seed_pairs_recovered_from_a_summary_pool_with_a_third_seed(run_dirs) -> None:
    two = per_run([e for (_, s), e in run_dirs.items() if s != 2])
    summary = through_csv(across(two))["curves_summary.csv"]
    pairs = pair_rows_from_summary(summary)
    assert pairs["seed"].isna().all()
    # Each step's pair is the two seeds' values, in some order (the summary does not say which).
    protocol = two["curves_protocol.csv"]
    for (model, step), values in protocol.groupby(["model", "step"])["mean_return"]:
        recovered = pairs.loc[(pairs["model"] == model) & (pairs["step"] == step), "mean_return"]
        np.testing.assert_allclose(sorted(recovered), sorted(values), rtol=0, atol=1e-12)

    archived = {**through_csv(two), "curves_protocol.csv": pairs}
    pooled = merge_run_tables(
        archived, per_run([e for (_, s), e in run_dirs.items() if s == 2]), ROSTER
    )
    three = across(per_run(list(run_dirs.values())))["curves_summary.csv"]
    got = across(pooled)["curves_summary.csv"]
    pd.testing.assert_frame_equal(got, three, check_exact=False, rtol=1e-12, atol=1e-12)
    assert (got["n_seeds"] == 3).all()


def test_pairs_need_a_two_seed_summary() -> None:
    summary = pd.DataFrame(
        {
            "model": ["IAM"],
            "step": [10],
            "mean": [1.0],
            "std": [0.5],
            "ci_low": [0.0],
            "ci_high": [2.0],
            "n_seeds": [3],
        }
    )
    with pytest.raises(ArchiveError, match=r"\[3\] seeds.*two seeds only.*rebuild"):
        pair_rows_from_summary(summary)
    pair = pair_rows_from_summary(summary.assign(n_seeds=2, std=math.sqrt(2)))
    assert list(pair["mean_return"]) == pytest.approx([0.0, 2.0])
    assert list(pair.columns) == list(OUTPUT_COLUMNS["curves_protocol.csv"])


def test_rows_without_a_seed_come_first_and_seeds_stay_whole_numbers(run_dirs) -> None:
    two = per_run([e for (_, s), e in run_dirs.items() if s != 2])
    archived = {
        **through_csv(two),
        "curves_protocol.csv": pair_rows_from_summary(
            through_csv(across(two))["curves_summary.csv"]
        ),
    }
    pooled = merge_run_tables(archived, per_run([run_dirs[("IAM", 2)]]), ROSTER)
    protocol = pooled["curves_protocol.csv"]
    iam = protocol.loc[protocol["model"] == "IAM", "seed"]
    assert iam.isna().sum() == 8 and list(iam.dropna().unique()) == [2]
    assert iam.isna().to_numpy()[:8].all(), "rows without a seed come first"
    seeds = {line.split(",")[1] for line in protocol.to_csv(index=False).splitlines()[1:]}
    assert seeds == {"", "2"}
