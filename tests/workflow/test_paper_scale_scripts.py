"""scripts/paper_scale.sh and scripts/archive_paper_scale.sh on the smoke preset.

The real runs take days, so the scripts' own commands are checked here on runs of seconds: the
training script trains one seed from a clone of HEAD; the archive script adds the finished
runs without retraining them (even after the train rule's code changed), lists the unfinished
ones, and after the next seed has trained and been added, holds exactly the tables the DAG's
own aggregate makes from every run's monitor.
"""

from __future__ import annotations

import json
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


def test_the_archive_grows_seed_by_seed_into_one_aggregate_of_all_runs(tmp_path):
    folder, archive = tmp_path / "paper_scale", tmp_path / "archive"
    trained = run_script("paper_scale.sh", str(folder), "0", archive=archive)
    assert trained.returncode == 0, trained.stdout[-3000:] + trained.stderr[-3000:]
    runs = folder / "results" / "runs"
    run_infos = sorted(runs.glob("*/*/*/seed_*/run.json"))
    assert {(p.parts[-5], p.parts[-3], p.parts[-2]) for p in run_infos} == {
        (experiment, model, "seed_0") for experiment, models in MODELS.items() for model in models
    }
    stamps = {p: p.stat().st_mtime_ns for p in run_infos}

    # A later pull of the clone that changes the train rule's code, not its config, must not
    # make the finished runs look unfinished.
    with (folder / "code" / "workflow" / "scripts" / "train.py").open("a") as script:
        script.write("# a later commit's edit\n")
    first = run_script("archive_paper_scale.sh", str(folder), archive=archive)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert {p: p.stat().st_mtime_ns for p in run_infos} == stamps, "the archive retrained a run"
    assert "not finished, not archived" in first.stdout and "seed_1" in first.stdout
    tables = archive / "tables"
    for experiment, models in MODELS.items():
        finals = pd.read_csv(tables / experiment / "final_scores.csv")
        assert set(finals["model"]) == models and set(finals["seed"]) == {0}
        for model in models:
            copied = archive / "runs" / experiment / model / "seed_0.json"
            original = runs / experiment / experiment / model / "seed_0" / "run.json"
            assert copied.read_bytes() == original.read_bytes()
            assert (copied.parent / "seed_0.benchmark.tsv").is_file()

    trained = run_script("paper_scale.sh", str(folder), "1", archive=archive)
    assert trained.returncode == 0, trained.stdout[-3000:] + trained.stderr[-3000:]
    second = run_script("archive_paper_scale.sh", str(folder), archive=archive)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "not archived" not in second.stdout and "16 runs archived now" in second.stdout

    # The reference: the DAG's aggregate over both seeds, from every run's monitor.
    results = folder / "results"
    aggregate = subprocess.run(
        [str(SNAKEMAKE), "--cores", "2", str(results / "tables" / "claims_overview.csv")]
        + ["--rerun-triggers", "mtime", "params", "input", "--config", "preset=smoke"]
        + ["seeds=[0,1]", f"results_dir={results}", "experiments=[warehouse,traffic]"],
        cwd=folder / "code",
        env={**os.environ, "PYTHONPATH": str(folder / "code" / "src")},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert aggregate.returncode == 0, aggregate.stderr[-3000:]
    for experiment in MODELS:
        made = sorted(p.name for p in (results / "tables" / experiment).glob("*.csv"))
        assert made == sorted(p.name for p in (tables / experiment).glob("*.csv"))
        for name in made:
            ours = (tables / experiment / name).read_text()
            assert ours == (results / "tables" / experiment / name).read_text(), name
    overview = (tables / "claims_overview.csv").read_text()
    assert overview == (results / "tables" / "claims_overview.csv").read_text()
    judged = pd.read_csv(tables / "claims_overview.csv")
    judged = judged[judged["experiment"].isin(list(MODELS))]
    assert set(judged["experiment"]) == set(MODELS), judged
    assert not judged["verdict"].str.contains("no results").any(), judged
    provenance = json.loads((tables / "provenance.json").read_text())
    assert len(provenance["runs"]) == 16
