"""The archive refuses to pool tables that were not made under the config of the new runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from iam_repro.analysis.tables import OUTPUT_COLUMNS, TableSettings
from iam_repro.config import Run
from iam_repro.io import run_info as run_info_module
from iam_repro.io import write_run_info
from iam_repro.jobs.archive import ArchiveError, _check_pooled, _check_record


@pytest.fixture(autouse=True)
def no_git(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        run_info_module, "git_revision", lambda directory=None: {"commit": "test", "dirty": False}
    )


def run(seed: int, steps: int) -> Run:
    resolved = {
        "run_id": f"warehouse/warehouse/IAM/seed_{seed}",
        "seed": seed,
        "budget": {"steps_per_worker": steps},
        "summary_window": 10,
    }
    return Run("warehouse", "warehouse", "IAM", seed, resolved)


def record(tmp_path: Path, archived: Run) -> Path:
    path = tmp_path / "runs" / "warehouse" / "IAM" / f"seed_{archived.seed}.json"
    path.parent.mkdir(parents=True)
    write_run_info(path, config=archived.resolved, metrics={"wall_time_s": 1.0})
    return path


def test_an_archived_run_of_the_preset_with_its_config_passes(tmp_path: Path) -> None:
    _check_record(record(tmp_path, run(0, 40)), [run(0, 40), run(1, 40)])


@pytest.mark.parametrize(
    "preset_runs", [[run(0, 80)], [run(1, 40)]], ids=["another budget", "not in the preset"]
)
def test_an_archived_run_made_otherwise_is_refused(tmp_path: Path, preset_runs) -> None:
    path = record(tmp_path, run(0, 40))
    with pytest.raises(ArchiveError, match=r"seed_0\.json.*cannot be pooled.*To fix"):
        _check_record(path, preset_runs)


def kept(window_episodes: int, steps: list[int]) -> dict[str, pd.DataFrame]:
    rolling = pd.DataFrame(columns=list(OUTPUT_COLUMNS["curves_rolling.csv"]))
    rolling.loc[0] = ["IAM", 0, 10, 20, 1.0, window_episodes]
    protocol = pd.DataFrame(
        {"model": "IAM", "seed": 0, "step": steps, "mean_return": 1.0},
        columns=list(OUTPUT_COLUMNS["curves_protocol.csv"]),
    )
    return {"curves_rolling.csv": rolling, "curves_protocol.csv": protocol}


def test_curves_on_other_windows_are_refused(tmp_path: Path) -> None:
    settings = TableSettings(rolling_window_episodes=100)
    _check_pooled(tmp_path, kept(100, [10, 20]), 10, settings)
    with pytest.raises(ArchiveError, match=r"rolling windows \[50\].*To fix"):
        _check_pooled(tmp_path, kept(50, [10, 20]), 10, settings)
    with pytest.raises(ArchiveError, match=r"summary window"):
        _check_pooled(tmp_path, kept(100, [15, 30]), 10, settings)
