"""kill -9 training jobs under Snakemake at random moments; the rerun DAG resumes them.

The finished monitor.csv must equal, byte for byte apart from wall-clock fields, the log of an
uninterrupted run of the same config.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
import yaml

from tests.monitor_compare import without_wall_time
from tests.workflow.dag import REPO, snakemake, snakemake_command

pytestmark = pytest.mark.workflow

RUN = "results/runs/warehouse/warehouse/IAM/seed_0"


def prepare(workdir: Path) -> list[str]:
    """A one-run experiment (IAM, 32 updates) checkpointing after every update."""
    experiments = workdir / "experiments"
    experiments.mkdir(parents=True)
    spec = yaml.safe_load((REPO / "config/experiments/warehouse.yaml").read_text())
    spec["presets"]["kill"] = {
        "budget": {"steps_per_worker": 4096},
        "seeds": [0],
        "models": ["IAM"],
        "summary_window": 512,
    }
    (experiments / "warehouse.yaml").write_text(yaml.safe_dump(spec))
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config.update(preset="kill", experiments_dir=str(experiments))
    config["training"]["checkpoint_interval_s"] = 0
    (workdir / "kill.yaml").write_text(yaml.safe_dump(config))
    return ["--cores", "1", "--configfile", str(workdir / "kill.yaml"), "--", f"{RUN}/monitor.csv"]


def start(workdir: Path, args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        snakemake_command(workdir, *args),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: killable as a whole
    )


def wait_for_new_checkpoint(workdir: Path, after_ns: int, process: subprocess.Popen) -> None:
    checkpoint = workdir / RUN / "checkpoint.pt"
    deadline = time.monotonic() + 300
    while not (checkpoint.exists() and checkpoint.stat().st_mtime_ns > after_ns):
        assert process.poll() is None, f"snakemake ended first:\n{process.stderr.read()[-3000:]}"
        assert time.monotonic() < deadline, "no checkpoint within 5 minutes"
        time.sleep(0.02)


def training_job(snakemake_process: subprocess.Popen) -> psutil.Process:
    """The Python process running workflow/scripts/train.py under this snakemake."""
    for child in psutil.Process(snakemake_process.pid).children(recursive=True):
        try:
            if any("train.py" in part for part in child.cmdline()):
                return child
        except psutil.NoSuchProcess:
            continue
    raise AssertionError("no training job found")


def test_killed_training_jobs_resume_to_the_unbroken_log(tmp_path):
    reference = tmp_path / "reference"
    snakemake(reference, *prepare(reference))

    workdir = tmp_path / "killed"
    args = prepare(workdir)
    chance = random.Random(11)
    checkpoint = workdir / RUN / "checkpoint.pt"

    # Twice: kill -9 only the training job; Snakemake sees a failed job and stops.
    for _ in range(2):
        before = checkpoint.stat().st_mtime_ns if checkpoint.exists() else 0
        process = start(workdir, args)
        wait_for_new_checkpoint(workdir, before, process)
        time.sleep(chance.uniform(0.0, 0.5))
        training_job(process).send_signal(signal.SIGKILL)
        assert process.wait(timeout=120) != 0
        assert not (workdir / RUN / "monitor.csv").exists()

    # Once: kill -9 Snakemake and its job together (a lost node); the lock stays behind.
    before = checkpoint.stat().st_mtime_ns
    process = start(workdir, args)
    wait_for_new_checkpoint(workdir, before, process)
    time.sleep(chance.uniform(0.0, 0.5))
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert not (workdir / RUN / "monitor.csv").exists()

    snakemake(workdir, "--unlock", *args)
    snakemake(workdir, "--rerun-incomplete", *args)

    assert checkpoint.exists()  # kept at the last update: the run can grow to a larger budget
    log = (workdir / "results/logs/train/warehouse/warehouse/IAM/seed_0.log").read_text()
    assert log.count("resumed from checkpoint") == 3, log
    assert "previous attempt ended without closing this log" in log  # the lost node
    assert without_wall_time(workdir / RUN / "monitor.csv") == without_wall_time(
        reference / RUN / "monitor.csv"
    )
    shutil.rmtree(tmp_path)  # a few MB of checkpoints and logs
