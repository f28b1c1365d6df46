"""load_runs + experiment_tables end to end on synthetic run folders, checked against hand
computations (what the aggregate rule does, minus writing the files)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iam_repro.analysis.tables import OUTPUT_COLUMNS, TableSettings, experiment_tables
from iam_repro.io import MonitorFormatError, MonitorWriter, RunInfoError, write_run_info
from iam_repro.io import run_info as run_info_module
from iam_repro.io.runs import load_runs
from iam_repro.reference import load_paper_fig5

# The experiment file's roster: no FNN models, so the FNN claims have no model to judge.
ROSTER = {
    "IAM": {"role": "iam", "kind": "iam", "frames": 1},
    "LSTM": {"role": "lstm", "kind": "lstm", "frames": 1},
}


@pytest.fixture(autouse=True)
def no_git(monkeypatch: pytest.MonkeyPatch) -> None:
    # run.json's commit is irrelevant here; do not shell out to git for every synthetic run.
    monkeypatch.setattr(
        run_info_module, "git_revision", lambda directory=None: {"commit": "test", "dirty": False}
    )


def make_run(
    folder: Path,
    episodes: list[tuple[int, int, float]],
    *,
    num_workers: int | None = 2,
    metrics: dict | None = None,
) -> Path:
    """A run folder with monitor.csv from (step, worker, return) and a run.json."""
    folder.mkdir(parents=True)
    with MonitorWriter(folder / "monitor.csv", "warehouse", t_start=0.0) as log:
        for step, worker, r in episodes:
            log.write([r], [5], [float(step)], [worker], [step])
    config = {"env": {"name": "warehouse"}, "ppo": {}}
    if num_workers is not None:
        config["ppo"]["num_workers"] = num_workers
    last = max(step for step, _, _ in episodes)
    default_metrics = {
        "wall_time_s": 2.0,
        "transitions": last * 2,
        "steps_per_worker": last,
        "transitions_per_s": last,
        "torch_threads": 1,
        "device": "cpu",
        "resumed_at_steps": [],
    }
    write_run_info(folder / "run.json", config=config, metrics=metrics or default_metrics)
    return folder


RUNS = {
    # (model, seed): episodes as (step, worker, return); window 10, budget 40.
    ("IAM", 0): [
        (5, 0, 1.0),
        (10, 0, 3.0),
        (10, 1, 100.0),
        (20, 0, 4.0),
        (30, 0, 5.0),
        (40, 0, 6.0),
        (40, 1, 100.0),
    ],
    ("IAM", 1): [(10, 0, 2.0), (20, 0, 2.0), (30, 0, 4.0), (40, 0, 8.0)],
    ("LSTM", 0): [(10, 0, 1.0), (20, 0, 1.0), (30, 0, 1.0), (40, 0, 1.0)],
    # Worker 0 finishes no episode in (30, 40]: no final score, and step 40 is not common.
    ("LSTM", 1): [(10, 0, 2.0), (20, 0, 2.0), (30, 0, 2.0), (40, 1, 9.0)],
}

PAPER = pd.DataFrame(
    {
        "env": ["warehouse", "warehouse", "traffic"],
        "model": ["IAM", "LSTM", "IAM"],
        "step": [40, 40, 40],
        "mean_return": [7.5, 1.0, -3.0],
        "kind": ["curve"] * 3,
        "read_accuracy": [0.1, 0.1, 0.1],
    }
)


def tables_of(
    run_dirs: list, threshold: float | None = 3.0, random_returns=None, **settings
) -> dict:
    return experiment_tables(
        load_runs(run_dirs),
        env="warehouse",
        roster=ROSTER,
        summary_window=10,
        max_step=40,
        threshold=threshold,
        settings=TableSettings(**settings),
        paper=PAPER,
        random_returns=random_returns,
    )


@pytest.fixture
def experiment(tmp_path: Path) -> tuple[Path, dict[str, pd.DataFrame]]:
    # Listed out of order on purpose: tables come out in role order, then seed order.
    run_dirs = [
        (model, seed, make_run(tmp_path / "runs" / model / f"seed_{seed}", episodes))
        for (model, seed), episodes in reversed(RUNS.items())
    ]
    out = tmp_path / "tables"
    out.mkdir()
    tables = tables_of(run_dirs, rolling_window_episodes=2, n_resamples=2_000)
    # Through CSV and back, as the pages and figures read them.
    for name, table in tables.items():
        table.to_csv(out / name, index=False)
    return out, tables


def read(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / name)


def test_every_table_has_its_columns(
    experiment: tuple[Path, dict[str, pd.DataFrame]],
) -> None:
    out, tables = experiment
    assert sorted(tables) == sorted(OUTPUT_COLUMNS)
    for name, columns in OUTPUT_COLUMNS.items():
        on_disk = read(out, name)
        assert tuple(on_disk.columns) == columns, name
        assert len(on_disk) == len(tables[name]), name
    assert read(out, "models.csv").values.tolist() == [
        ["LSTM", "lstm", "lstm", 1],
        ["IAM", "iam", "iam", 1],
    ]


def test_each_run_against_the_random_policy(tmp_path: Path) -> None:
    run_dirs = [
        (model, seed, make_run(tmp_path / model / f"seed_{seed}", episodes))
        for (model, seed), episodes in RUNS.items()
    ]
    random = np.array([2.0, 3.0])
    tables = tables_of(run_dirs, random_returns=random, rolling_window_episodes=2)
    summary = tables["random_policy.csv"]
    assert summary[["episodes", "mean", "ci_low", "ci_high"]].values.tolist() == [
        [2, 2.5, 2.0, 3.0]
    ]
    assert summary["std"].iloc[0] == pytest.approx(math.sqrt(0.5))
    rows = tables["vs_random.csv"].set_index(["model", "seed"])
    # Each run's last 2 episodes by end step (ties by worker), against a random mean of 2.5:
    # IAM 0 [6, 100], IAM 1 [4, 8], LSTM 0 [1, 1], LSTM 1 [2, 9]. The CI ends are the
    # extremes of the few possible resample means (e.g. LSTM 0: 1 - {2, 2.5, 3}).
    expected = {
        ("IAM", 0): (53.0, "above random"),
        ("IAM", 1): (6.0, "above random"),
        ("LSTM", 0): (1.0, "below random"),
        ("LSTM", 1): (5.5, "not distinguishable"),
    }
    for run, (final, verdict) in expected.items():
        row = rows.loc[run]
        assert row["final_episodes"] == 2 and row["random_mean"] == 2.5
        assert row["final_mean"] == final and row["diff"] == final - 2.5
        assert row["verdict"] == verdict, run
    assert (rows.loc[("LSTM", 0), "ci_low"], rows.loc[("LSTM", 0), "ci_high"]) == (-2.0, -1.0)
    assert rows.loc[("LSTM", 1), "ci_low"] < 0 < rows.loc[("LSTM", 1), "ci_high"]
    # Without random episodes both tables are empty, with their columns.
    bare = tables_of(run_dirs, rolling_window_episodes=2)
    for name in ("random_policy.csv", "vs_random.csv"):
        assert bare[name].empty and tuple(bare[name].columns) == OUTPUT_COLUMNS[name]


def test_runs_come_in_model_then_seed_order(
    experiment: tuple[Path, dict[str, pd.DataFrame]],
) -> None:
    rolling = read(experiment[0], "curves_rolling.csv")
    assert rolling[["model", "seed"]].drop_duplicates().values.tolist() == [
        ["LSTM", 0],
        ["LSTM", 1],
        ["IAM", 0],
        ["IAM", 1],
    ]


def test_rolling_curves_count_all_workers(experiment: tuple[Path, dict[str, pd.DataFrame]]) -> None:
    rolling = read(experiment[0], "curves_rolling.csv").query("model == 'IAM' and seed == 0")
    # Ordered episodes 1, 3, 100, 4, 5, 6, 100 -> rolling(2) 1, 2, 51.5, 52, 4.5, 5.5, 53; the
    # value after the last episode at each step is kept.
    assert rolling["step"].tolist() == [10, 20, 30, 40]
    assert rolling["transitions"].tolist() == [20, 40, 60, 80]  # 2 workers
    assert rolling["mean_return"].tolist() == [51.5, 52.0, 4.5, 53.0]
    # The window travels with the curves, for the figure and the book to state it.
    assert set(rolling["window_episodes"]) == {2}


def test_rolling_curves_reach_the_runs_final_step(tmp_path: Path) -> None:
    """Budget 40, grid spacing 10, the last episode ending at 33: the curve still has its point
    at 40 (before, it stopped at 30, one point short of the budget)."""
    episodes = [(10, 0, 1.0), (20, 0, 3.0), (33, 0, 5.0)]
    metrics = {
        "wall_time_s": 2.0,
        "transitions": 80,
        "steps_per_worker": 40,
        "transitions_per_s": 40.0,
        "device": "cpu",
        "resumed_at_steps": [],
    }
    run = make_run(tmp_path / "IAM" / "seed_0", episodes, metrics=metrics)
    rolling = tables_of([("IAM", 0, run)], rolling_window_episodes=2)["curves_rolling.csv"]
    # rolling(2): 1 at 10, 2 at 20, 4 at 33; 30 lies 10/13 of the way from 20 to 33; at 40 no
    # episode has ended since 33, so the value is still 4.
    assert rolling["step"].tolist() == [10, 20, 30, 40]
    np.testing.assert_allclose(rolling["mean_return"], [1.0, 2.0, 2.0 + 2.0 * 10 / 13, 4.0])
    assert rolling["transitions"].tolist() == [20, 40, 60, 80]


def test_curves_summary_across_seeds(experiment: tuple[Path, dict[str, pd.DataFrame]]) -> None:
    summary = read(experiment[0], "curves_summary.csv")
    iam = summary.query("model == 'IAM'").set_index("step")
    # Worker 0's mean per window of 10 steps (worker 1's 100s are ignored): IAM seed 0 has
    # (0,10] -> mean(1, 3) = 2, then 4, 5, 6; seed 1 has 2, 2, 4, 8.
    assert iam["mean"].tolist() == [2.0, 3.0, 4.5, 7.0]
    assert iam["std"].tolist() == pytest.approx([0.0, math.sqrt(2), math.sqrt(0.5), math.sqrt(2)])
    assert iam.loc[10, "ci_low"] == iam.loc[10, "ci_high"] == 2.0
    assert iam["n_seeds"].tolist() == [2, 2, 2, 2]
    # LSTM seed 1 has no point at 40: only the steps every seed has.
    assert summary.query("model == 'LSTM'")["step"].tolist() == [10, 20, 30]


def test_final_scores(experiment: tuple[Path, dict[str, pd.DataFrame]]) -> None:
    scores = read(experiment[0], "final_scores.csv").set_index(["model", "seed"])
    assert scores.loc[("IAM", 0), "final_return"] == 6.0
    # Trapezoids over (10,2), (20,4), (30,5), (40,6): (3 + 4.5 + 5.5) * 10 / 30.
    assert scores.loc[("IAM", 0), "auc"] == pytest.approx(130 / 30)
    assert scores.loc[("IAM", 0), "steps_to_threshold"] == 20
    assert scores.loc[("IAM", 1), "steps_to_threshold"] == 30
    assert math.isnan(scores.loc[("LSTM", 0), "steps_to_threshold"])
    assert math.isnan(scores.loc[("LSTM", 1), "final_return"])
    assert scores.loc[("LSTM", 1), "auc"] == 2.0


def test_summary_and_paper_value(experiment: tuple[Path, dict[str, pd.DataFrame]]) -> None:
    summary = read(experiment[0], "summary.csv").set_index("model")
    assert summary.loc["IAM", ["n_seeds", "mean", "paper_value"]].tolist() == [2, 7.0, 7.5]
    assert summary.loc["IAM", "std"] == pytest.approx(math.sqrt(2))
    # t interval of two seeds (6, 8): 7 +/- t_{0.975, 1} * sqrt(2) / sqrt(2) = 7 +/- 12.7062.
    assert (summary.loc["IAM", "ci_low"], summary.loc["IAM", "ci_high"]) == pytest.approx(
        (7 - 12.70620, 7 + 12.70620), abs=1e-5
    )
    # LSTM seed 1 has no final score: one seed, no spread.
    assert summary.loc["LSTM", ["n_seeds", "mean"]].tolist() == [1, 1.0]
    assert math.isnan(summary.loc["LSTM", "std"])


def test_compute_and_claims(experiment: tuple[Path, dict[str, pd.DataFrame]]) -> None:
    out = experiment[0]
    compute = read(out, "compute.csv").set_index(["model", "seed"])
    assert compute.loc[("IAM", 0)].tolist() == [2.0, 80, 40, 40.0, "cpu", 0]
    claims = read(out, "claims.csv").set_index("claim_id")
    assert claims.loc["1a", "reproduced_value"] == 6.0  # 7 (IAM) - 1 (LSTM, one scored seed)
    assert claims.loc["1a", "verdict"] == "inconclusive (n = 1)"  # LSTM: one scored seed
    assert claims.loc["2a", "verdict"] == "not yet run"  # no model plays fnn_k
    assert "role 'fnn_k'" in claims.loc["2a", "evidence"]
    # IAM 7 vs the paper's 7.5, tolerance 1: the mean is within it, but the CI of two seeds
    # (7 +/- 12.71) reaches out of the band [6.5, 8.5] on both sides.
    assert (claims.loc["1c", "ci_low"], claims.loc["1c", "ci_high"]) == pytest.approx(
        (7 - 12.70620, 7 + 12.70620), abs=1e-5
    )
    assert claims.loc["1c", "verdict"] == "inconclusive"
    # The paper's claim order: 1a, 1b, then the value checks 1c, 1d before claim 2.
    assert list(claims.index[:6]) == ["1a", "1b", "1c", "1d", "2a", "2b"]


def test_no_runs_gives_empty_tables_and_pending_claims() -> None:
    tables = tables_of([], threshold=None)
    for name, columns in OUTPUT_COLUMNS.items():
        assert tuple(tables[name].columns) == columns
    assert set(tables["claims.csv"]["verdict"]) == {"not yet run"}
    assert len(tables["claims.csv"]) == 11


def aggregate_small(tmp_path: Path, *runs: tuple) -> None:
    """The tables of a few of the small runs (no threshold)."""
    tables_of(list(runs), threshold=None)


def test_missing_num_workers_is_a_clear_error(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run", RUNS[("IAM", 1)], num_workers=None)
    with pytest.raises(RunInfoError, match=r"ppo\.num_workers") as info:
        aggregate_small(tmp_path, ("IAM", 1, run))
    assert str(run / "run.json") in str(info.value)


def test_missing_metrics_are_a_clear_error(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run", RUNS[("IAM", 1)], metrics={"wall_time_s": 1.0})
    with pytest.raises(RunInfoError, match="transitions_per_s"):
        aggregate_small(tmp_path, ("IAM", 1, run))


def test_corrupt_monitor_and_duplicate_runs(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run", RUNS[("IAM", 1)])
    with pytest.raises(ValueError, match="listed twice"):
        aggregate_small(tmp_path, ("IAM", 1, run), ("IAM", 1, run))
    with open(run / "monitor.csv", "a") as handle:
        handle.write("oops\n")
    with pytest.raises(MonitorFormatError, match="line 7"):
        aggregate_small(tmp_path, ("IAM", 1, run))


def test_reference_fig5_is_packaged() -> None:
    paper = load_paper_fig5()
    assert list(paper.columns) == ["env", "model", "step", "mean_return", "kind", "read_accuracy"]
    assert paper["step"].dtype == np.int64
    row = paper.query("env == 'warehouse' and model == 'IAM' and step == 4000000")
    assert row["mean_return"].tolist() == [41.0]
    assert set(paper["kind"]) == {"curve", "final"}
    assert set(paper.query("kind == 'final'")["model"]) == {"FNN1", "FNN8", "FNN32"}


def test_pipeline_form_folders_and_aggregation_block(tmp_path: Path) -> None:
    # What the Snakemake adapter passes: bare .../<model>/seed_<seed> folders and the config's
    # `aggregation` block.
    folders = [
        make_run(tmp_path / "runs" / model / f"seed_{seed}", episodes)
        for (model, seed), episodes in RUNS.items()
    ]
    settings = TableSettings.from_config(
        {"rolling_window_episodes": 2, "confidence": 0.95, "bootstrap_resamples": 500}
    )
    assert (settings.n_resamples, settings.confidence) == (500, 0.95)
    tables = experiment_tables(
        load_runs(folders),
        env="warehouse",
        roster=ROSTER,
        summary_window=10,
        max_step=40,
        threshold=3.0,
        settings=settings,
        paper=PAPER,
    )
    scores = tables["final_scores.csv"]
    assert scores[["model", "seed"]].values.tolist() == [
        ["LSTM", 0],
        ["LSTM", 1],
        ["IAM", 0],
        ["IAM", 1],
    ]
    rolling = tables["curves_rolling.csv"].query("model == 'IAM' and seed == 0")
    assert rolling["mean_return"].tolist() == [51.5, 52.0, 4.5, 53.0]  # window of 2 episodes
    assert set(rolling["window_episodes"]) == {2}  # the config key reaches the table


def test_unusable_folder_names_are_refused(tmp_path: Path) -> None:
    run = make_run(tmp_path / "IAM" / "run0", RUNS[("IAM", 1)])
    with pytest.raises(ValueError, match="seed_<seed>"):
        load_runs([run])


def test_tables_follow_roles_not_names(tmp_path: Path) -> None:
    """Renamed models in their roles: the same rows, order and verdicts under the new names."""
    renamed = {"IAM": "Memory", "LSTM": "Recurrent"}
    runs = [
        (renamed[model], seed, make_run(tmp_path / model / f"seed_{seed}", episodes))
        for (model, seed), episodes in RUNS.items()
    ]
    tables = experiment_tables(
        load_runs(runs),
        env="warehouse",
        roster={"Memory": ROSTER["IAM"], "Recurrent": ROSTER["LSTM"]},
        summary_window=10,
        max_step=40,
        threshold=3.0,
        settings=TableSettings(rolling_window_episodes=2, n_resamples=2_000),
        paper=PAPER,  # the paper's own names: IAM, LSTM
    )
    original = tables_of(
        [(m, s, tmp_path / m / f"seed_{s}") for (m, s) in RUNS],
        rolling_window_episodes=2,
        n_resamples=2_000,
    )
    for name in ("final_scores.csv", "summary.csv", "claims.csv"):
        mine = tables[name].replace({"Memory": "IAM", "Recurrent": "LSTM"}, regex=True)
        pd.testing.assert_frame_equal(mine, original[name], check_dtype=False)
    assert tables["summary.csv"].set_index("model").loc["Memory", "paper_value"] == 7.5
