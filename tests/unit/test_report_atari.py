"""iam_repro.report.atari: which experiments play Atari, and what each section shows."""

from __future__ import annotations

import json
from pathlib import Path

from iam_repro.report import atari
from tests.unit.report_data import write


def provenance(results: Path, run_ids: list[str]) -> None:
    write(
        results / "tables" / "provenance.json",
        json.dumps({"runs": [{"run_id": r} for r in run_ids]}),
    )


def test_atari_experiments_come_from_the_run_ids(tmp_path: Path) -> None:
    provenance(
        tmp_path,
        [
            "warehouse/warehouse/IAM/seed_0",
            "breakout_flicker/atari/IAM/seed_0",
            "breakout_flicker/atari/FNN4/seed_1",
            "breakout/atari/IAM/seed_0",
        ],
    )
    assert atari.experiments_of_env(tmp_path) == ["breakout", "breakout_flicker"]
    assert atari.experiments_of_env(tmp_path / "none") == []


def test_a_section_shows_summary_claims_and_compute(tmp_path: Path, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(atari, "show_html", shown.append)
    monkeypatch.setattr(
        atari,
        "show_rolling",
        lambda results, name, fig5_above: shown.append(f"rolling, Fig. 5 above: {fig5_above}"),
    )
    tables = tmp_path / "tables" / "breakout_flicker"
    write(
        tables / "summary.csv",
        "model,n_seeds,mean,std,ci_low,ci_high,paper_value\nFNN4,2,3.5,0.5,3.0,4.0,\n"
        "IAM,2,4.5,0.5,4.0,5.0,\n",
    )
    write(
        tables / "claims.csv",
        "claim_id,claim,paper_value,reproduced_value,ci_low,ci_high,tolerance,verdict,evidence\n"
        "7b,Atari: with flicker IAM ends at least as high as FNN,,1.0,0.1,1.9,,reproduced,e\n"
        "7a,Atari: with flicker IAM ends at least as high as LSTM,,2.0,,,,inconclusive (n = 1),"
        "e\n",
    )
    atari.show_atari_experiment(tmp_path, "breakout_flicker")
    page = "\n".join(shown)
    # No Fig. 5 figure on this page, so the rolling note must not point to one "above".
    assert "rolling, Fig. 5 above: False" in page
    assert "Final return (paper protocol: worker 0&#x27;s full-game returns)" in page
    assert "the paper&#x27;s value is not available" in page
    assert "7b" in page and "verdict-reproduced" in page
    # The paper's claim order, whatever the table's: 7a before 7b.
    assert page.index(">7a<") < page.index(">7b<")
    shown.clear()
    atari.show_atari_experiment(tmp_path, "breakout")  # not run: a notice, nothing else
    assert len(shown) == 3 and "not run" in shown[-1].lower()
