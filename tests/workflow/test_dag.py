"""The whole DAG on the smoke preset in a scratch directory: runs, tables, figure, book."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from iam_repro.io.monitor import read_monitor
from tests.monitor_compare import without_wall_time
from tests.workflow.dag import REPO, SNAKEMAKE, snakemake

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("dag")
    snakemake(workdir, "--cores", "2", "--config", "preset=smoke")
    return workdir


def test_lint_is_clean():
    done = subprocess.run(
        [str(SNAKEMAKE), "--lint", "--snakefile", str(REPO / "Snakefile")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_dry_run_lists_every_run_of_the_paper_preset(tmp_path):
    done = snakemake(tmp_path, "--dry-run", "--quiet", "rules")
    # paper preset: 5 models x 5 seeds of the warehouse experiment
    assert _job_counts(done.stdout).get("train") == 25, done.stdout


def test_smoke_dag_produces_runs_tables_figure_and_book(smoke_run):
    results = smoke_run / "results"
    run_dirs = sorted((results / "runs" / "warehouse" / "warehouse").glob("*/seed_*"))
    assert [f"{d.parent.name}/{d.name}" for d in run_dirs] == [
        f"{m}/seed_{s}" for m in ("FNN1", "FNN8", "IAM", "LSTM") for s in (0, 1)
    ]
    for run_dir in run_dirs:
        episodes = read_monitor(run_dir / "monitor.csv")
        # 2048 steps per worker, 100-step episodes, 8 workers: 20 episodes per worker
        assert len(episodes) == 20 * 8
        assert sorted(episodes["worker"].unique()) == list(range(8))
        info = json.loads((run_dir / "run.json").read_text())
        assert info["config"]["seed"] == int(run_dir.name.split("_")[1])
        assert info["metrics"]["transitions"] == 2048 * 8
        assert not (run_dir / "monitor.csv.partial").exists()
    tables = results / "tables" / "warehouse"
    summary = pd.read_csv(tables / "summary.csv")
    assert sorted(summary["model"]) == ["FNN1", "FNN8", "IAM", "LSTM"]
    claims = pd.read_csv(tables / "claims.csv")
    assert set(claims["verdict"]) <= {"reproduced", "partly", "not reproduced", "not yet run"}
    assert (results / "figures" / "warehouse" / "fig5.png").stat().st_size > 10_000
    assert (
        results / "benchmarks" / "train" / "warehouse" / "warehouse" / "IAM" / "seed_0.tsv"
    ).exists()
    log = (
        results / "logs" / "train" / "warehouse" / "warehouse" / "IAM" / "seed_0.log"
    ).read_text()
    assert "transitions/s" in log and "ETA" in log
    assert (smoke_run / "report" / "_build" / "html" / "index.html").exists()


def test_smoke_book_works_offline_in_a_browser(smoke_run):
    if shutil.which("chromium") is None:
        pytest.skip("Debian chromium is not installed (scripts/test.sh installs it)")
    from tests.workflow.test_book_browser import check_book_offline

    problems = check_book_offline(smoke_run / "report" / "_build" / "html")
    assert problems == []


def test_rerun_is_a_no_op_and_plot_change_does_not_retrain(smoke_run):
    done = snakemake(smoke_run, "--cores", "2", "--config", "preset=smoke", "--dry-run")
    assert "Nothing to be done" in done.stdout + done.stderr
    done = snakemake(
        smoke_run,
        "--cores",
        "2",
        "--config",
        "preset=smoke",
        "--dry-run",
        "--forcerun",
        "plot_fig5",
    )
    assert "train" not in _job_counts(done.stdout)


def test_same_seed_gives_byte_identical_episode_log_apart_from_wall_time(smoke_run, tmp_path):
    other = tmp_path / "again"
    other.mkdir()
    run = "results/runs/warehouse/warehouse/LSTM/seed_0/monitor.csv"
    snakemake(other, "--cores", "1", "--config", "preset=smoke", "--", run)
    assert without_wall_time(smoke_run / run) == without_wall_time(other / run)


def _job_counts(stdout: str) -> dict[str, int]:
    counts = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    return counts
