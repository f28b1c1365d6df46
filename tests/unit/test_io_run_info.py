"""run.json: written with config, metrics, versions and provenance; read with clear errors."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import iam_repro
from iam_repro.io import RunInfoError, git_revision, read_run_info, write_run_info
from iam_repro.io import run_info as run_info_module


@dataclass
class Sizes:
    hidden: tuple[int, ...] = (640, 256)


def test_round_trip_and_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        run_info_module, "git_revision", lambda directory=None: {"commit": "abc123", "dirty": False}
    )
    config = {
        "env": {"name": "warehouse"},
        "ppo": {"num_workers": np.int64(8), "learning_rate": np.float32(0.5)},
        "model": Sizes(),
        "out": tmp_path / "run",
    }
    metrics = {"wall_time_s": 12.5, "transitions": 1024, "transitions_per_s": float("nan")}
    path = tmp_path / "run.json"
    written = write_run_info(path, config=config, metrics=metrics)
    info = read_run_info(path)
    assert info == written
    assert list(info) == [
        "schema_version",
        "config",
        "metrics",
        "versions",
        "git",
        "hostname",
        "platform",
        "written_utc",
    ]
    assert info["config"] == {
        "env": {"name": "warehouse"},
        "ppo": {"num_workers": 8, "learning_rate": 0.5},
        "model": {"hidden": [640, 256]},
        "out": str(tmp_path / "run"),
    }
    assert info["metrics"] == {"wall_time_s": 12.5, "transitions": 1024, "transitions_per_s": None}
    assert info["git"] == {"commit": "abc123", "dirty": False}
    assert set(info["versions"]) == {"python", "numpy", "torch", "gymnasium", "iam_repro"}
    assert info["versions"]["numpy"] == np.__version__
    assert info["versions"]["iam_repro"] == iam_repro.__version__
    json.loads(path.read_text())  # strict JSON: no NaN literal


def test_unserialisable_value_names_its_key(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"metrics\.when"):
        write_run_info(
            tmp_path / "run.json", config={}, metrics={"when": object()}, git_directory=tmp_path
        )
    assert not (tmp_path / "run.json").exists()


def test_git_outside_a_repository_is_unknown(tmp_path: Path) -> None:
    assert git_revision(tmp_path) == {"commit": "unknown", "dirty": None}


def test_git_missing_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_git(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError("git")

    monkeypatch.setattr(run_info_module.subprocess, "run", no_git)
    assert git_revision(tmp_path) == {"commit": "unknown", "dirty": None}


def test_git_commit_and_dirty_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fake_run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess:
        calls.append((args, kwargs["env"]["GIT_OPTIONAL_LOCKS"]))  # type: ignore[index]
        out = "deadbeef\n" if args[1] == "rev-parse" else " M src/x.py\n"
        return subprocess.CompletedProcess(args, 0, stdout=out, stderr="")

    monkeypatch.setattr(run_info_module.subprocess, "run", fake_run)
    assert git_revision(tmp_path) == {"commit": "deadbeef", "dirty": True}
    # Never take the index lock: a commit running at the same time must not fail.
    assert all(lock == "0" for _, lock in calls)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "does not exist"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"metrics": {}}', "'config'"),
        ('{"config": {}, "metrics": 3}', "'metrics'"),
    ],
)
def test_read_errors_name_the_file(tmp_path: Path, content: str | None, fragment: str) -> None:
    path = tmp_path / "run.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(RunInfoError) as info:
        read_run_info(path)
    assert str(path) in str(info.value)
    assert fragment in str(info.value)
    assert "To fix:" in str(info.value)


@pytest.mark.parametrize("content", [None, "{not json", '{"metrics": {}}'])
def test_a_caller_names_the_fix_for_a_copy_that_cannot_be_retrained(
    tmp_path: Path, content: str | None
) -> None:
    """An archive's run record is a copy: its remedy is to regenerate the archive, and the
    default advice (retrain the run) must not appear."""
    path = tmp_path / "seed_0.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(RunInfoError) as info:
        read_run_info(path, fix="regenerate the archive")
    assert str(info.value).endswith("To fix: regenerate the archive.")
    assert "snakemake" not in str(info.value)
