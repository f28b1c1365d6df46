"""The whole DAG on the smoke preset in a scratch directory: runs, tables, figure, book."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from iam_repro.analysis.claims import VERDICTS
from iam_repro.io.monitor import read_monitor
from tests.monitor_compare import without_wall_time
from tests.workflow.dag import REPO, SNAKEMAKE, plan_field, snakemake

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
    # paper preset: 5 models x 5 seeds of warehouse and traffic, 4 x 5 of each Atari game
    # (Breakout, Pong, Space Invaders, each with and without flicker)
    assert _job_counts(done.stdout).get("train") == 2 * 25 + 6 * 20, done.stdout


# experiment -> (FNN with k frames, steps per worker, episode length) of the smoke preset
SMOKE = {"warehouse": ("FNN8", 2048, 100), "traffic": ("FNN32", 1024, 250)}


@pytest.mark.parametrize("experiment", sorted(SMOKE))
def test_smoke_dag_produces_runs_tables_figure_and_book(smoke_run, experiment):
    fnn_k, steps, episode_length = SMOKE[experiment]
    models = sorted(["FNN1", fnn_k, "IAM", "LSTM"])
    results = smoke_run / "results"
    run_dirs = sorted((results / "runs" / experiment / experiment).glob("*/seed_*"))
    assert [f"{d.parent.name}/{d.name}" for d in run_dirs] == [
        f"{m}/seed_{s}" for m in models for s in (0, 1)
    ]
    for run_dir in run_dirs:
        episodes = read_monitor(run_dir / "monitor.csv")
        # every episode has a fixed length: steps // length finished episodes per worker
        assert len(episodes) == steps // episode_length * 8
        assert set(episodes["l"]) == {episode_length}
        assert sorted(episodes["worker"].unique()) == list(range(8))
        info = json.loads((run_dir / "run.json").read_text())
        assert info["config"]["seed"] == int(run_dir.name.split("_")[1])
        assert info["metrics"]["transitions"] == steps * 8
        # Kept so that the run can grow to a larger budget: the log (a second name of
        # monitor.csv) and the checkpoint of the run's last update.
        assert (run_dir / "monitor.csv.partial").read_bytes() == (
            run_dir / "monitor.csv"
        ).read_bytes()
        assert (run_dir / "checkpoint.pt").exists()
    tables = results / "tables" / experiment
    summary = pd.read_csv(tables / "summary.csv")
    assert sorted(summary["model"]) == models
    claims = pd.read_csv(tables / "claims.csv")
    assert set(claims["verdict"]) <= set(VERDICTS)
    # The random policy (smoke: 8 episodes, one per worker) and every run against it.
    random_episodes = pd.read_csv(results / "baselines" / experiment / "random_episodes.csv")
    assert random_episodes["worker"].tolist() == list(range(8))
    assert set(random_episodes["length"]) == {episode_length}
    random = pd.read_csv(tables / "random_policy.csv")
    assert random["episodes"].tolist() == [8]
    assert random["mean"].iloc[0] == pytest.approx(random_episodes["return"].mean())
    vs_random = pd.read_csv(tables / "vs_random.csv")
    assert sorted(zip(vs_random["model"], vs_random["seed"], strict=True)) == [
        (m, s) for m in models for s in (0, 1)
    ]
    assert set(vs_random["verdict"]) <= {"above random", "not distinguishable", "below random"}
    assert (
        "Did each run end above a random policy?"
        in (smoke_run / "report" / "_build" / "html" / f"{experiment}.html").read_text()
    )
    for figure in ("fig5.png", "rolling.png"):
        assert (results / "figures" / experiment / figure).stat().st_size > 10_000
    run = f"{experiment}/{experiment}/IAM/seed_0"
    assert (results / "benchmarks" / "train" / f"{run}.tsv").exists()
    log = (results / "logs" / "train" / f"{run}.log").read_text()
    assert "transitions/s" in log and "ETA" in log
    book = smoke_run / "report" / "_build" / "html"
    assert (book / "index.html").exists()
    assert "not run in this build" not in (book / f"{experiment}.html").read_text()
    # Experiments whose smoke preset lists no models (`models: []`) sit the preset out.
    assert sorted(p.name for p in (results / "tables").iterdir() if p.is_dir()) == [
        "breakout",
        "breakout_flicker",
        "traffic",
        "warehouse",
    ]


def test_smoke_dag_trains_and_reports_flickering_breakout(smoke_run):
    results = smoke_run / "results"
    runs = sorted((results / "runs" / "breakout_flicker" / "atari").glob("*/seed_0"))
    assert [d.parent.name for d in runs] == ["FNN4", "IAM", "LSTM"]
    for run_dir in runs:
        info = json.loads((run_dir / "run.json").read_text())
        assert info["metrics"]["transitions"] == 256 * 8
    claims = pd.read_csv(results / "tables" / "breakout_flicker" / "claims.csv")
    assert list(claims["claim_id"]) == ["7a", "7b"]  # one seed each: inconclusive (n = 1)
    assert pd.read_csv(results / "tables" / "breakout" / "claims.csv").empty  # no flicker
    page = (smoke_run / "report" / "_build" / "html" / "atari.html").read_text()
    assert "breakout_flicker" in page and "not available" in page
    # Random play is scored by whole games (5 lives), like the runs' monitor logs.
    games = pd.read_csv(results / "baselines" / "breakout_flicker" / "random_episodes.csv")
    assert len(games) == 8 and "Did each run end above a random policy?" in page


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


@pytest.mark.parametrize("experiment", sorted(SMOKE))
def test_same_seed_gives_byte_identical_episode_log_apart_from_wall_time(
    smoke_run, tmp_path, experiment
):
    other = tmp_path / "again"
    other.mkdir()
    run = f"results/runs/{experiment}/{experiment}/LSTM/seed_0/monitor.csv"
    snakemake(other, "--cores", "1", "--config", "preset=smoke", "--", run)
    assert without_wall_time(smoke_run / run) == without_wall_time(other / run)


def _job_counts(stdout: str) -> dict[str, int]:
    counts = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    return counts


def _train_jobs(stdout: str) -> set[str]:
    """Run folders (experiment/env/model/seed_N) of the train jobs a dry run lists."""
    runs, in_train = set(), False
    for line in stdout.splitlines():
        if line.startswith("rule "):
            in_train = line.strip() == "rule train:"
        elif in_train and line.strip().startswith("output:"):
            monitor = line.split("output:")[1].split(",")[0].strip()
            runs.add(monitor.removeprefix("results/runs/").removesuffix("/monitor.csv"))
    return runs


def _edit_yaml(path: Path, edit) -> None:
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


WAREHOUSE_SMOKE = {
    f"warehouse/warehouse/{m}/seed_{s}" for m in ("FNN1", "FNN8", "LSTM", "IAM") for s in (0, 1)
}


@pytest.mark.parametrize(
    ("edit", "preset", "retrained"),
    [
        # Analysis-only edits: nothing retrains.
        (lambda d: d.update(threshold=30), "smoke", set()),
        (lambda d: d["presets"]["smoke"].update(summary_window=512), "smoke", set()),
        (lambda d: d.update(description="another text"), "smoke", set()),
        (lambda d: d["presets"].update(renamed=d["presets"]["smoke"]), "renamed", set()),
        # Execution only: a job's cores.
        (lambda d: d.update(threads=2), "smoke", set()),
        # Result-changing edits: exactly the runs they touch.
        (lambda d: d["ppo"].update(gamma=0.9), "smoke", WAREHOUSE_SMOKE),
        (
            lambda d: d["models"]["IAM"].update(memory=32),
            "smoke",
            {"warehouse/warehouse/IAM/seed_0", "warehouse/warehouse/IAM/seed_1"},
        ),
        (
            lambda d: d["presets"]["smoke"].update(seeds=[0, 2]),
            "smoke",
            {f"warehouse/warehouse/{m}/seed_2" for m in ("FNN1", "FNN8", "LSTM", "IAM")},
        ),
        (
            lambda d: d["presets"]["smoke"]["budget"].update(steps_per_worker=4096),
            "smoke",
            WAREHOUSE_SMOKE,
        ),
    ],
    ids=[
        "threshold",
        "summary-window",
        "description",
        "preset-name",
        "threads",
        "ppo-key",
        "model-size",
        "seed",
        "budget",
    ],
)
def test_only_edits_that_change_results_retrain(smoke_run, tmp_path, edit, preset, retrained):
    experiments = tmp_path / "experiments"
    shutil.copytree(REPO / "config/experiments", experiments)
    _edit_yaml(experiments / "warehouse.yaml", edit)
    if preset != "smoke":  # the other experiments need the preset too
        for other in experiments.glob("*.yaml"):
            if other.name != "warehouse.yaml":
                _edit_yaml(other, lambda d: d["presets"].update(renamed=d["presets"]["smoke"]))
    done = snakemake(
        smoke_run,
        "--dry-run",
        "--config",
        f"preset={preset}",
        f"experiments_dir={experiments}",
    )
    assert _train_jobs(done.stdout) == retrained, done.stdout[-3000:]


def test_a_run_gets_its_cores_and_the_longest_runs_start_first(smoke_run, tmp_path):
    experiments = tmp_path / "experiments"
    shutil.copytree(REPO / "config/experiments", experiments)
    _edit_yaml(experiments / "breakout_flicker.yaml", lambda d: d.update(threads=3))
    plan = snakemake(
        smoke_run,
        "--dry-run",
        "--cores",
        "4",
        "--forcerun",
        "train",
        "--config",
        "preset=smoke",
        f"experiments_dir={experiments}",
    ).stdout
    threads = _train_job_numbers(plan, "threads")
    breakout = {run: n for run, n in threads.items() if run.startswith("breakout_flicker/")}
    assert breakout and set(breakout.values()) == {3}, plan[-3000:]
    assert {n for run, n in threads.items() if run not in breakout} == {1}
    # Longest jobs first: Breakout's estimated CPU time is the largest of the smoke runs.
    priority = _train_job_numbers(plan, "priority")
    atari = [n for run, n in priority.items() if "/atari/" in run]
    others = [n for run, n in priority.items() if "/atari/" not in run]
    assert atari and others and min(atari) > max(others), priority


def _train_job_numbers(plan: str, field: str) -> dict[str, int]:
    """Run -> the number a dry-run plan prints as `field:` for its train job (Snakemake omits
    the default, threads 1 and priority 0)."""
    default = {"threads": 1, "priority": 0}[field]
    numbers = {}
    for block in plan.split("\nrule ")[1:]:
        if block.startswith("train:"):
            run = block.split("output:")[1].split(",")[0].strip().split("/runs/")[1]
            found = [
                line.split(":")[1].strip()
                for line in block.splitlines()
                if line.strip().startswith(f"{field}:")
            ]
            numbers[run.removesuffix("/monitor.csv")] = int(found[0]) if found else default
    return numbers


def test_archives_draw_in_a_build_without_their_experiment_files(tmp_path):
    """The archive's figures take their env from the archive's own run records, so a build
    whose experiments folder lacks an archived experiment still plans every archive figure."""
    experiments = tmp_path / "experiments"
    experiments.mkdir()
    shutil.copy(REPO / "config/experiments/warehouse.yaml", experiments)
    plan = snakemake(
        tmp_path,
        "--dry-run",
        "--config",
        "preset=smoke",
        f"experiments_dir={experiments}",
    ).stdout
    assert "results/archive/paper_scale/figures/traffic/fig5.png" in plan, plan[-3000:]


def test_the_book_depends_on_its_pages_and_the_code_they_run(smoke_run):
    """An edited page or module of src/iam_repro/report/ must rebuild the book: both are
    inputs of rule report. (Touching a file is not an edit to Snakemake, which compares
    the content of small inputs, so the plan's input list is checked instead.)"""
    plan = snakemake(
        smoke_run, "--dry-run", "--forcerun", "report", "--config", "preset=smoke"
    ).stdout
    block = plan.split("\nrule report:")[1]
    inputs = {Path(p.strip()) for p in plan_field(block, "input:").split(",")}
    code = set((REPO / "src/iam_repro/report").rglob("*.py"))
    pages = {REPO / "report/intro.md", REPO / "report/_toc.yml", REPO / "report/_config.yml"}
    assert code and code | pages <= inputs, sorted(map(str, (code | pages) - inputs))
