"""The installed console scripts: every one declared in pyproject.toml starts, and `iam-repro`
checks the repository's config and trains a run as the pipeline would."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from iam_repro.config import (
    PipelineConfig,
    config_digest,
    load_config,
    load_experiments,
    runs_table,
)

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
# Console scripts are installed beside the interpreter running the tests (.venv/bin).
BIN = Path(sys.executable).parent


def repo_config(preset: str) -> PipelineConfig:
    """The repository's config.yaml with `preset`, its experiments folder found from here."""
    data = yaml.safe_load((REPO / "config/config.yaml").read_text())
    data.update(preset=preset, experiments_dir=str(REPO / data["experiments_dir"]))
    return load_config(data)


def run_script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    path = BIN / name
    assert path.exists(), f"{path} is not installed: pip install -e . (pyproject.toml changed?)"
    return subprocess.run([str(path), *args], cwd=REPO, capture_output=True, text=True, timeout=300)


def test_iam_repro_is_declared():
    assert SCRIPTS["iam-repro"] == "iam_repro.cli:main"


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_every_declared_script_runs(name):
    # A declared entry point whose module or function is missing fails here, not in a user's
    # shell: the script imports it before argparse sees --help.
    result = run_script(name, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: {name} "), result.stdout


def test_check_lists_the_runs_of_the_repository_config():
    result = run_script("iam-repro", "check", "--preset", "smoke")
    assert result.returncode == 0, result.stderr
    expected = runs_table(load_experiments(repo_config("smoke")), "smoke")
    lines = result.stdout.splitlines()
    assert lines[0] == f"config/config.yaml: valid; preset 'smoke': {len(expected)} runs"
    header = ["experiment", "env", "model", "seed", "steps_per_worker", "transitions"]
    assert lines[1].split() == header
    rows = [line.split() for line in lines[2:]]
    assert [(r[0], r[2], int(r[3])) for r in rows] == [
        (run.experiment, run.model, run.seed) for run in expected
    ]
    for row, run in zip(rows, expected, strict=True):
        steps = run.resolved["budget"]["steps_per_worker"]
        assert (int(row[4]), int(row[5])) == (steps, steps * run.resolved["ppo"]["num_workers"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--preset", "nope"], "preset 'nope'"),
        (["check", "--config", "missing.yaml"], "missing.yaml: the file does not exist"),
        (
            ["check", "--config", "{bad_yaml}"],
            "not valid YAML at line 2, column 1: expected the node content",
        ),
        (["train", "warehouse", "NoSuchModel", "0"], "there is no model 'NoSuchModel'"),
        (["train", "wharehouse", "IAM", "0"], "the experiment 'wharehouse'"),
    ],
    ids=["unknown-preset", "missing-config", "bad-yaml", "unknown-model", "unknown-experiment"],
)
def test_a_user_error_is_one_message(args, message, tmp_path):
    bad_yaml = tmp_path / "config.yaml"
    bad_yaml.write_text("preset: [\n")
    result = run_script("iam-repro", *(arg.format(bad_yaml=bad_yaml) for arg in args))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    first, second = result.stderr.splitlines()  # "iam-repro: ... stopped" and the message
    assert first.startswith("iam-repro: ") and first.endswith(" stopped")
    assert message in second and "Fix: " in second


def test_train_writes_the_run_folder_the_pipeline_would(tmp_path):
    args = ["train", "warehouse", "FNN1", "0", "--preset", "smoke", "--run-dir", str(tmp_path)]
    result = run_script("iam-repro", *args)
    assert result.returncode == 0, result.stderr
    assert "done: 16,384 transitions" in result.stdout
    experiments = {e.name: e for e in load_experiments(repo_config("smoke"))}
    resolved = experiments["warehouse"].resolve("FNN1", "smoke", 0)
    run_info = json.loads((tmp_path / "run.json").read_text())
    assert config_digest(run_info["config"]) == config_digest(resolved)
    assert (tmp_path / "monitor.csv").read_text().count("\n") > 2  # header lines + episodes


def test_verify_says_identical_for_a_run_of_this_machine_and_different_otherwise(tmp_path):
    """`verify` re-trains the fingerprinted steps: the same bits here (exit 0); a run.json whose
    recorded weights differ (as another CPU's would) is reported DIFFERENT (exit 1), and one
    without a fingerprint is a user error naming the file."""
    run_dir = tmp_path / "run"
    args = ["train", "warehouse", "FNN1", "0", "--preset", "smoke", "--run-dir", str(run_dir)]
    assert run_script("iam-repro", *args).returncode == 0
    info = json.loads((run_dir / "run.json").read_text())
    fingerprint = info["metrics"]["fingerprint"]
    assert fingerprint["steps_per_worker"] == 1024  # the first update boundary past 1,024
    assert [s["from_step"] for s in info["metrics"]["segments"]] == [0]

    same = run_script("iam-repro", "verify", str(run_dir))
    assert same.returncode == 0, same.stderr
    assert "first 1,024 steps per worker: identical" in same.stdout

    other = tmp_path / "other.json"
    flipped = fingerprint["weights"][:-1] + ("0" if fingerprint["weights"][-1] != "0" else "1")
    info["metrics"]["fingerprint"]["weights"] = flipped
    info["metrics"]["segments"][0]["cpu"] = "Some Other CPU"
    other.write_text(json.dumps(info))
    differs = run_script("iam-repro", "verify", str(other))
    assert differs.returncode == 1
    assert "DIFFERENT (weights)" in differs.stdout and "Some Other CPU" in differs.stdout

    del info["metrics"]["fingerprint"]
    other.write_text(json.dumps(info))
    missing = run_script("iam-repro", "verify", str(other))
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert str(other) in missing.stderr and "holds no fingerprint" in missing.stderr


def test_check_piped_into_a_reader_that_stops_early_ends_quietly():
    """`iam-repro check | head`: when the reader has gone (here before the first line, as
    `true` reads nothing), the command ends quietly with status 0, not with a traceback."""
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; '{BIN / 'iam-repro'}' check --preset paper | true"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
