"""The DAG on a real Slurm cluster, through the Snakemake executor plugin and profiles/slurm.

The cluster is a single node on this machine started by scripts/slurm_local.sh (root, Debian
packages, one fake GPU). The smoke preset runs in a scratch directory with two experiments:
`warehouse` (device: auto, so its training jobs ask for a GPU) and `warehouse_cpu` (device:
cpu). Evidence comes from Slurm's own accounting (sacct): every run of the runs table was a
Slurm job that COMPLETED, and exactly the GPU runs were allocated gres/gpu=1.

Without root or apt-get the Slurm test is skipped; with IAM_REPRO_REQUIRE_SLURM=1 (CI) a cluster
that cannot be started is a failure.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from iam_repro.config import load_config, load_experiments, runs_table
from iam_repro.jobs.training import run_training
from tests.monitor_compare import without_wall_time
from tests.workflow.dag import REPO, SNAKEMAKE, plan_field

SLURM_LOCAL = REPO / "scripts" / "slurm_local.sh"
REQUIRE_SLURM = os.environ.get("IAM_REPRO_REQUIRE_SLURM") == "1"
# The smoke DAG takes about 2 minutes on 2 cores; snakemake with the slurm executor ignores
# SIGTERM when it cannot get job states, so it is stopped with SIGINT (then SIGKILL).
RUN_TIMEOUT_S = 900
pytestmark = pytest.mark.workflow

# The scratch experiments: (experiment, model, seed) -> asks for a GPU.
EXPECTED_RUNS = {
    ("warehouse", "FNN1", 0): True,
    ("warehouse", "LSTM", 0): True,
    ("warehouse_cpu", "FNN1", 0): False,
}


def write_experiments(folder: Path) -> Path:
    """Two small copies of config/experiments/warehouse.yaml: one asks for a GPU, one not."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = yaml.safe_load((REPO / "config" / "experiments" / "warehouse.yaml").read_text())
    smoke = spec["presets"]["smoke"]
    gpu = {**spec, "presets": {"smoke": {**smoke, "models": ["FNN1", "LSTM"], "seeds": [0]}}}
    gpu["presets"]["smoke"]["device"] = "auto"
    cpu = {**spec, "presets": {"smoke": {**smoke, "models": ["FNN1"], "seeds": [0]}}}
    cpu["presets"]["smoke"]["device"] = "cpu"
    (folder / "warehouse.yaml").write_text(yaml.safe_dump(gpu, sort_keys=False))
    (folder / "warehouse_cpu.yaml").write_text(yaml.safe_dump(cpu, sort_keys=False))
    return folder


def runs_of(experiments_dir: Path) -> dict[tuple[str, str, int], dict]:
    """The runs table of the smoke preset over `experiments_dir`, as the Snakefile builds it."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config.update(preset="smoke", experiments_dir=str(experiments_dir))
    pipeline = load_config(config)
    runs = runs_table(load_experiments(pipeline), pipeline.preset)
    return {(r.experiment, r.model, r.seed): r for r in runs}


def test_train_asks_for_a_gpu_exactly_when_the_run_config_wants_one(tmp_path):
    experiments = write_experiments(tmp_path / "experiments")
    done = subprocess.run(
        [
            str(SNAKEMAKE),
            "--snakefile",
            str(REPO / "Snakefile"),
            "--directory",
            str(tmp_path),
            "--dry-run",
            "--config",
            "preset=smoke",
            f"experiments_dir={experiments}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    gpus = {}
    for block in done.stdout.split("\nrule ")[1:]:
        if not block.startswith("train:"):
            continue
        wildcards = dict(re.findall(r"(\w+)=([^,\s]+)", plan_field(block, "wildcards:")))
        resources = dict(re.findall(r"(\w+)=([^,\s]+)", plan_field(block, "resources:")))
        key = (wildcards["experiment"], wildcards["model"], int(wildcards["seed"]))
        gpus[key] = resources.get("gpu")
    assert gpus == {key: "1" if gpu else "0" for key, gpu in EXPECTED_RUNS.items()}


def _cluster_unavailable(reason: str) -> None:
    if REQUIRE_SLURM:
        pytest.fail(f"IAM_REPRO_REQUIRE_SLURM=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def slurm_cluster():
    """A running local cluster: started here (and stopped at the end) unless already up."""
    if os.geteuid() != 0:
        _cluster_unavailable("a local Slurm cluster needs root (scripts/slurm_local.sh start)")
    if shutil.which("apt-get") is None and shutil.which("slurmctld") is None:
        _cluster_unavailable("Slurm is not installed and there is no apt-get to install it")
    was_running = _slurm_local("status").returncode == 0
    if not was_running:
        started = _slurm_local("start", timeout=900)
        if started.returncode != 0:
            _slurm_local("stop")
            _cluster_unavailable(
                f"scripts/slurm_local.sh start failed ({started.returncode}):\n"
                f"{started.stdout[-3000:]}\n{started.stderr[-3000:]}"
            )
    env_line = _slurm_local("env").stdout.strip()
    try:
        yield {"SLURM_CONF": env_line.removeprefix("export SLURM_CONF=")}
    finally:
        if not was_running:
            stopped = _slurm_local("stop")
            assert stopped.returncode == 0, stopped.stderr


def _slurm_local(command: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """scripts/slurm_local.sh COMMAND, given up (exit 124) after `timeout` seconds."""
    return subprocess.run(
        ["timeout", "-s", "INT", "-k", "30", str(timeout), str(SLURM_LOCAL), command],
        capture_output=True,
        text=True,
        timeout=timeout + 60,
        check=False,
    )


def slurm_snakemake(*args: str, targets: tuple[str, ...] = ()) -> list[str]:
    """snakemake through profiles/slurm, stopped by SIGINT after RUN_TIMEOUT_S; run it from
    the scratch directory (jobs are submitted with -D <cwd>)."""
    return [
        *("timeout", "-s", "INT", "-k", "60", str(RUN_TIMEOUT_S)),
        str(SNAKEMAKE),
        *("--snakefile", str(REPO / "Snakefile")),
        *("--workflow-profile", str(REPO / "profiles" / "slurm")),
        *args,
        # CI knobs, kept out of the user profile: poll job states after 2 s instead of 40 s,
        # and name the account that slurmdbd knows (silences the plugin's account guess).
        *("--slurm-init-seconds-before-status-checks", "2"),
        *("--default-resources", "slurm_account=root"),
        *(("--", *targets) if targets else ()),
    ]


def sacct_rows(env: dict[str, str], since: str, *selection: str) -> list[dict[str, str]]:
    """Slurm's accounting of the jobs since `since` (absolute time), one dict per job."""
    fields = ["job_id", "job_name", "comment", "state", "alloc_tres", "exit_code"]
    done = subprocess.run(
        [
            *("sacct", "--allusers", "--allocations", "--parsable2", "--noheader"),
            *("--starttime", since, *selection),
            *("--format", "JobID,JobName,Comment,State,AllocTRES,ExitCode"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [dict(zip(fields, line.split("|"), strict=True)) for line in done.stdout.splitlines()]


def now_for_sacct() -> str:
    """A few seconds ago, in the absolute form sacct 22.05 takes (it rejects now-10min)."""
    return (dt.datetime.now() - dt.timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.fixture(scope="module")
def slurm_run(slurm_cluster, tmp_path_factory):
    """The smoke DAG through the slurm profile; returns (workdir, runs, sacct rows)."""
    workdir = tmp_path_factory.mktemp("slurm")
    experiments = write_experiments(workdir / "experiments")
    env = {**os.environ, **slurm_cluster}
    since = now_for_sacct()
    command = slurm_snakemake("--config", "preset=smoke", f"experiments_dir={experiments}")
    # Jobs are submitted with -D <cwd>: run from the scratch directory.
    done = subprocess.run(
        command,
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S + 120,
        check=False,
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed ({done.returncode}):\n{output[-8000:]}")
    run_id = re.search(r"SLURM run ID: (\S+)", output)
    assert run_id, output[-4000:]
    rows = sacct_rows(env, since, "--name", run_id.group(1))
    return workdir, runs_of(experiments), rows


@pytest.mark.slurm
def test_every_run_is_a_completed_slurm_job_with_a_gpu_exactly_when_asked(slurm_run):
    workdir, runs, rows = slurm_run
    assert {key: r.resolved["device"] != "cpu" for key, r in runs.items()} == EXPECTED_RUNS
    by_comment = {row["comment"]: row for row in rows}
    # The plugin comments each job with its rule and wildcard values (experiment, env, model,
    # seed); all jobs of one snakemake run share one job name, the run's ID.
    assert len(by_comment) == len(rows), rows
    for (experiment, model, seed), run in runs.items():
        job = by_comment.get(f"rule_train_wildcards_{experiment}_{run.env}_{model}_{seed}")
        assert job is not None, f"no Slurm job trained {run.run_id}: {rows}"
        assert (job["state"], job["exit_code"]) == ("COMPLETED", "0:0"), job
        tres = dict(item.split("=", 1) for item in job["alloc_tres"].split(","))
        assert tres.get("gres/gpu") == ("1" if EXPECTED_RUNS[experiment, model, seed] else None)
        assert tres["cpu"] == "1" and tres["mem"] == "2000M", job
    others = [row for row in rows if not row["comment"].startswith("rule_train_")]
    # the random policy, aggregate and plot per experiment, the claims overview, provenance,
    # the statistics across experiments and their figures, the archived experiments' figures,
    # the book: all on Slurm, none with a GPU (the archive's table copies run locally)
    archived = len(list((REPO / "report/archive").glob("*/tables/*/curves_summary.csv")))
    assert sorted(re.sub(r"_wildcards_.*", "", row["comment"]) for row in others) == sorted(
        ["rule_random_baseline"] * 2
        + ["rule_aggregate"] * 2
        + ["rule_plot_fig5"] * 2
        + ["rule_plot_rolling"] * 2
        + ["rule_claims_overview", "rule_provenance", "rule_report"]
        + ["rule_across_experiments", "rule_plot_across_profiles", "rule_plot_across_efficiency"]
        + ["rule_plot_archive_fig5", "rule_plot_archive_rolling"] * archived
    )
    for row in others:
        assert row["state"] == "COMPLETED" and "gres/gpu" not in row["alloc_tres"], row


@pytest.mark.slurm
def test_slurm_jobs_wrote_every_episode_log_and_the_book(slurm_run):
    workdir, runs, _ = slurm_run
    for run in runs.values():
        run_dir = workdir / "results" / "runs" / run.run_id
        assert (run_dir / "monitor.csv").stat().st_size > 0, run_dir
        assert (run_dir / "run.json").exists(), run_dir
    assert (workdir / "results" / "figures" / "warehouse_cpu" / "fig5.png").exists()
    assert (workdir / "report" / "_build" / "html" / "index.html").stat().st_size > 0


@pytest.mark.slurm
def test_a_signalled_training_job_is_resubmitted_and_resumes_from_its_checkpoint(
    slurm_cluster, tmp_path
):
    """SIGTERM a training job mid-run: it checkpoints, the profile resubmits it, it resumes."""
    experiments = tmp_path / "experiments"
    experiments.mkdir()
    spec = yaml.safe_load((REPO / "config" / "experiments" / "warehouse.yaml").read_text())
    spec["presets"]["smoke"] = {
        "budget": {"steps_per_worker": 16384},  # IAM: about 25 s of training
        "seeds": [0],
        "models": ["IAM"],
        "summary_window": 2048,
    }
    (experiments / "warehouse.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config.update(preset="smoke", experiments_dir=str(experiments))
    config["training"]["checkpoint_interval_s"] = 0
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    (run,) = runs_of(experiments).values()
    run_dir = tmp_path / "results" / "runs" / run.run_id
    target = f"results/runs/{run.run_id}/monitor.csv"

    env = {**os.environ, **slurm_cluster}
    since = now_for_sacct()
    command = slurm_snakemake("--configfile", str(tmp_path / "config.yaml"), targets=(target,))
    with open(tmp_path / "snakemake.out", "w") as out:
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=out, stderr=out)
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while not (run_dir / "checkpoint.pt").exists():
            assert process.poll() is None, (tmp_path / "snakemake.out").read_text()[-4000:]
            assert time.monotonic() < deadline, "no checkpoint"
            time.sleep(0.2)
        queued = subprocess.run(
            ["squeue", "--noheader", "--format", "%i|%k"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        (job_id,) = [j.split("|")[0] for j in queued if j.split("|")[1].startswith("rule_train")]
        # SIGTERM, as Slurm sends at a time limit or pre-emption. (A plain scancel leaves the
        # job "CANCELLED by <uid>", which plugin 2.8.0 does not recognise as failed: it waits
        # forever; see docs/troubleshooting.md.)
        subprocess.run(["scancel", "--signal=TERM", job_id], env=env, check=True, timeout=60)
        assert process.wait(timeout=RUN_TIMEOUT_S + 120) == 0, (
            tmp_path / "snakemake.out"
        ).read_text()[-6000:]

    comment = f"rule_train_wildcards_{run.experiment}_{run.env}_{run.model}_{run.seed}"
    states = [r["state"] for r in sacct_rows(env, since) if r["comment"] == comment]
    assert states[0] == "FAILED", states  # the job saved a checkpoint and stopped
    assert states[1:] == ["COMPLETED"], states  # resubmitted by the profile's retries
    log = tmp_path / "results" / "logs" / "train" / f"{run.run_id}.log"
    assert "resumed from checkpoint" in log.read_text()
    # Snakemake clears a failed job's log before the retry; Slurm's own log keeps the stop.
    slurm_logs = (tmp_path / ".snakemake" / "slurm_logs" / "rule_train").rglob("*.log")
    assert any("stopped on request" in p.read_text() for p in slurm_logs)

    reference = tmp_path / "reference"
    run_training(run.resolved, reference, emit=lambda line: None)
    assert without_wall_time(run_dir / "monitor.csv") == without_wall_time(
        reference / "monitor.csv"
    )
