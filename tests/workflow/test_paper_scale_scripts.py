"""scripts/paper_scale.sh and scripts/archive_paper_scale.sh on the smoke preset.

The real runs take days, so the scripts' own commands are checked here on runs of seconds: the
training script trains one seed from a clone of HEAD, the archive script refuses while a run of
the seeds it is given is unfinished, and archives the finished seed without retraining, even
after the train rule's code changed.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from tests.workflow.dag import REPO, SNAKEMAKE

pytestmark = pytest.mark.workflow

MODELS = {"warehouse": {"FNN1", "FNN8", "LSTM", "IAM"}, "traffic": {"FNN1", "FNN32", "LSTM", "IAM"}}


def run_script(script: str, *args: str, archive: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRESET": "smoke", "SNAKEMAKE": str(SNAKEMAKE), "ARCHIVE": str(archive)}
    return subprocess.run(
        ["bash", str(REPO / "scripts" / script), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
        check=False,
    )


def test_the_scripts_train_a_seed_then_archive_only_finished_runs(tmp_path):
    folder, archive = tmp_path / "paper_scale", tmp_path / "archive"
    trained = run_script("paper_scale.sh", str(folder), "0", archive=archive)
    assert trained.returncode == 0, trained.stdout[-3000:] + trained.stderr[-3000:]
    runs = folder / "results" / "runs"
    run_infos = sorted(runs.glob("*/*/*/seed_*/run.json"))
    assert {(p.parts[-5], p.parts[-3], p.parts[-2]) for p in run_infos} == {
        (experiment, model, "seed_0") for experiment, models in MODELS.items() for model in models
    }
    stamps = {p: p.stat().st_mtime_ns for p in run_infos}

    refused = run_script("archive_paper_scale.sh", str(folder), "0", "1", archive=archive)
    assert refused.returncode != 0
    assert "not finished" in refused.stderr and "seed_1" in refused.stderr, refused.stderr
    assert not archive.exists()

    # A later pull of the clone that changes the train rule's code, not its config, must not
    # make the finished runs look unfinished.
    with (folder / "code" / "workflow" / "scripts" / "train.py").open("a") as script:
        script.write("# a later commit's edit\n")
    archived = run_script("archive_paper_scale.sh", str(folder), "0", archive=archive)
    assert archived.returncode == 0, archived.stdout[-3000:] + archived.stderr[-3000:]
    assert {p: p.stat().st_mtime_ns for p in run_infos} == stamps, "the archive retrained a run"
    tables = archive / "tables"
    for experiment, models in MODELS.items():
        finals = pd.read_csv(tables / experiment / "final_scores.csv")
        assert set(finals["model"]) == models and set(finals["seed"]) == {0}
        for model in models:
            copied = archive / "runs" / experiment / model / "seed_0.json"
            original = runs / experiment / experiment / model / "seed_0" / "run.json"
            assert copied.read_bytes() == original.read_bytes()
            assert (copied.parent / "seed_0.benchmark.tsv").is_file()
    overview = pd.read_csv(tables / "claims_overview.csv")
    judged = overview[overview["experiment"].isin(list(MODELS))]
    assert set(judged["experiment"]) == set(MODELS), overview
    assert not judged["verdict"].str.contains("no results").any(), judged
    assert (tables / "provenance.json").is_file()
