"""Bad input met by the real DAG: the aggregate step stops with one message and loses nothing.

One tiny experiment (FNN1, seed 0, the smoke budget) is trained once per module; each test
works on a copy of that folder (modification times kept, so Snakemake sees the same state).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.workflow import dag
from tests.workflow.dag import REPO

pytestmark = pytest.mark.workflow

EXPERIMENT = "tiny"
RUN = f"results/runs/{EXPERIMENT}/warehouse/FNN1/seed_0"
TABLES = f"results/tables/{EXPERIMENT}"
TARGET = f"{TABLES}/summary.csv"
STEP = f"iam-repro: the aggregate step of experiment '{EXPERIMENT}' stopped"


def write_experiment(workdir: Path, **smoke_changes: object) -> None:
    """config/experiments/warehouse.yaml cut down to one run under `smoke`."""
    spec = yaml.safe_load((REPO / "config" / "experiments" / "warehouse.yaml").read_text())
    spec["models"] = {"FNN1": spec["models"]["FNN1"]}
    spec["presets"] = {"smoke": {**spec["presets"]["smoke"], "models": ["FNN1"], "seeds": [0]}}
    spec["presets"]["smoke"].update(smoke_changes)
    folder = workdir / "experiments"
    folder.mkdir(exist_ok=True)
    (folder / f"{EXPERIMENT}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """The tiny experiment's summary table, built in `workdir`; never raises on failure."""
    config = ["--config", "preset=smoke", f"experiments_dir={workdir / 'experiments'}"]
    return dag.snakemake(
        workdir, "--cores", "2", *config, *args, "--", TARGET, check=False, timeout=900
    )


def files(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Content and modification time of every file below `folder`."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("bad_input_dag")
    write_experiment(workdir)
    done = snakemake(workdir)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return workdir


@pytest.fixture
def workdir(trained: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "workdir"
    shutil.copytree(trained, copy, symlinks=True)  # copy2: modification times are kept
    (copy / "experiments" / f"{EXPERIMENT}.yaml").unlink()
    write_experiment(copy)  # the same content, now in the copy
    return copy


def assert_failed_with(done: subprocess.CompletedProcess, *fragments: str) -> str:
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-4000:]
    assert f"{STEP}\n" in output, output[-4000:]
    message = output.split(f"{STEP}\n", 1)[1].splitlines()[0]  # the line after the banner
    for fragment in fragments:
        assert fragment in message, message
    return message


def assert_tables_not_rewritten(workdir: Path, before: dict[str, tuple[bytes, int]]) -> None:
    """Snakemake removes a failed job's outputs; none may hold anything new."""
    after = files(workdir / TABLES) if (workdir / TABLES).exists() else {}
    assert all(after[name] == before[name] for name in after)


def test_a_run_trained_under_another_config_stops_the_aggregate_step(workdir: Path) -> None:
    runs, tables = files(workdir / RUN), files(workdir / TABLES)
    write_experiment(workdir, ppo={"learning_rate": 0.001})  # the preset's config changes...
    # ... and mtime-only triggers keep the old run: it must not be aggregated as if current.
    done = snakemake(workdir, "--rerun-triggers", "mtime", "--forcerun", "aggregate")
    assert_failed_with(
        done,
        f"{RUN}/run.json: this run was trained with a different configuration",
        "differing keys: ppo.learning_rate (run.json: 0.00025, now: 0.001). To fix: ",
        f"--forcerun {RUN}/monitor.csv",
    )
    assert "rule train:" not in done.stdout + done.stderr  # nothing was retrained
    assert files(workdir / RUN) == runs
    assert_tables_not_rewritten(workdir, tables)

    # The fix the message gives works: that run retrains, then the tables are made.
    done = snakemake(workdir, "--rerun-triggers", "mtime", "--forcerun", f"{RUN}/monitor.csv")
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert (workdir / TARGET).exists()


def test_a_nan_row_in_a_log_stops_the_aggregate_step_naming_the_log(workdir: Path) -> None:
    monitor = workdir / RUN / "monitor.csv"
    line = monitor.read_bytes().count(b"\n") + 1
    with open(monitor, "a") as handle:
        handle.write("nan,100,9.000000,0,4000\n")
    runs, tables = files(workdir / RUN), files(workdir / TABLES)
    done = snakemake(workdir)  # the log is newer than the tables: aggregate reruns
    assert_failed_with(
        done, f"{RUN}/monitor.csv, line {line}: r (episodic return) must be finite", "To fix: "
    )
    assert "rule train:" not in done.stdout + done.stderr
    assert files(workdir / RUN) == runs
    assert_tables_not_rewritten(workdir, tables)


def test_a_finished_run_without_episodes_stops_the_aggregate_step(workdir: Path) -> None:
    monitor = workdir / RUN / "monitor.csv"
    monitor.write_text("".join(monitor.read_text().splitlines(keepends=True)[:2]))
    done = snakemake(workdir)
    assert_failed_with(
        done,
        f"{RUN}/monitor.csv, line 3: no episodes recorded",
        "finished its budget of 2048 steps per worker",
        "To fix: raise the budget",
    )


def test_a_gpu_asked_for_where_there_is_none_stops_training_with_one_message(tmp_path):
    write_experiment(tmp_path, device="cuda")
    done = snakemake(tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"iam-repro: training run {EXPERIMENT}/warehouse/FNN1/seed_0 stopped" in output
    assert f"experiment '{EXPERIMENT}': `device: cuda` asks for a GPU" in output
    assert "set `device: auto`" in output
    assert not (tmp_path / RUN / "monitor.csv").exists()
    assert not (tmp_path / RUN / "checkpoint.pt").exists()
