"""iam_repro.reference.calibration: the packaged traffic calibration returns."""

from __future__ import annotations

from importlib import resources

import pytest

from iam_repro.reference import calibration
from iam_repro.reference.calibration import CALIBRATION_COLUMNS, load_traffic_calibration


def test_the_table_holds_the_six_fixed_policies_of_spec_traffic_section_10() -> None:
    table = load_traffic_calibration()
    assert tuple(table.columns) == CALIBRATION_COLUMNS
    returns = table.set_index("policy")
    assert len(returns) == 6
    assert tuple(returns.loc["uniform random", ["mean_return", "std"]]) == (-39.9, 2.9)
    assert returns.loc["queue-greedy heuristic (memoryless)", "mean_return"] == -10.6
    assert returns.loc["always green north (action 0)", "mean_return"] == -133.1
    assert set(table["episodes"]) == {50}
    assert (table["std"] > 0).all()


def test_the_data_file_is_documented_beside_it() -> None:
    readme = resources.files("iam_repro.reference").joinpath("README.md").read_text()
    assert calibration.TRAFFIC_CALIBRATION_FILE in readme


def test_a_broken_file_is_named(monkeypatch, tmp_path) -> None:
    (tmp_path / "bad.csv").write_text("policy,mean_return\nrandom,-39.9\n")
    monkeypatch.setattr(calibration, "TRAFFIC_CALIBRATION_FILE", "bad.csv")
    monkeypatch.setattr(calibration.resources, "files", lambda package: tmp_path)
    with pytest.raises(ValueError, match=r"bad.csv: missing columns \['std', 'episodes'\]"):
        load_traffic_calibration()
