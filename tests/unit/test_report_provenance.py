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
