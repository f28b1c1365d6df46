"""iam_repro.report.provenance: provenance.json as the Provenance page's tables."""

from __future__ import annotations

import pandas as pd

from iam_repro.report import provenance as p


def test_provenance_frames() -> None:
    provenance = {
        "preset": "smoke",
        "experiments": ["warehouse"],
        "git_commit": "abc",
        "git_dirty": True,
        "versions": {"python": "3.11.7", "torch": "2.13.0"},
        "generated_utc": "2026-01-01T00:00:00Z",
        "runs": [{"run_id": "w/IAM/seed_0", "config_digest": "d1", "wall_time_s": 90.0}],
    }
    items = dict(p.provenance_frame(provenance).itertuples(index=False))
    assert items["git commit"] == "abc (with uncommitted changes)"
    assert items["runs"] == "1"
    assert list(p.versions_frame(provenance)["package"]) == ["python", "torch"]
    runs = p.runs_frame(provenance)
    assert list(runs.columns) == list(p.RUN_COLUMNS)
    assert pd.isna(runs.loc[0, "hostname"])
    table = p.runs_html(provenance)
    assert "90 s" in table and '<td class="col-hostname num">—</td>' in table  # no host recorded


def test_a_run_s_machines_and_fingerprint_in_the_runs_table(tmp_path) -> None:
    """Segments on one kind of machine read as one; a resume on another kind names the step;
    runs from before segments were recorded say so; the fingerprint shows 12 hex digits."""
    from iam_repro.io.run_info import write_run_info
    from iam_repro.jobs.provenance import describe_segments, write_provenance

    zen = {"cpu": "AMD EPYC", "torch_cpu_capability": "AVX512"}
    xeon = {"cpu": "Intel Xeon", "torch_cpu_capability": "AVX2"}
    assert describe_segments(None) is None
    assert describe_segments([{"from_step": 0, **zen}, {"from_step": 512, **zen}]) == (
        "AMD EPYC (AVX512)"
    )
    assert describe_segments([{"from_step": 0, **zen}, {"from_step": 40960, **xeon}]) == (
        "AMD EPYC (AVX512); from step 40,960: Intel Xeon (AVX2)"
    )
    assert describe_segments([{"from_step": 0}, {"from_step": 256, **zen}]) == (
        "not recorded; from step 256: AMD EPYC (AVX512)"
    )

    run_info = tmp_path / "run.json"
    metrics = {
        "segments": [{"from_step": 0, **zen}],
        "fingerprint": {"steps_per_worker": 1024, "monitor": "ab" * 32, "weights": "cd" * 32},
    }
    write_run_info(run_info, config={"run_id": "w/w/IAM/seed_0"}, metrics=metrics)
    provenance = write_provenance([run_info], tmp_path / "p.json", preset="x", experiments=["w"])
    table = p.runs_html(provenance)
    assert "AMD EPYC (AVX512)" in table and "cdcdcdcdcdcd<" in table and "cd" * 7 not in table
