"""iam_repro.report.results: finding and loading the pipeline's tables with their contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iam_repro.analysis.compute import COMPUTE_MODELS_COLUMNS
from iam_repro.analysis.overview import OVERVIEW_COLUMNS
from iam_repro.report import results as r
from tests.unit.report_data import write, write_two_experiments


@pytest.fixture
def results(tmp_path: Path) -> Path:
    return write_two_experiments(tmp_path)


def test_results_dir_prefers_the_environment(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(r.RESULTS_ENV, str(tmp_path))
    assert r.results_dir() == tmp_path.resolve()
    monkeypatch.delenv(r.RESULTS_ENV)
    assert r.results_dir(tmp_path / "x") == (tmp_path / "x").resolve()


def test_experiments_are_the_table_folders_warehouse_first(results: Path) -> None:
    write(results / "tables" / "provenance.json", "{}")
    write(results / "tables" / "claims_overview.csv", "number\n")
    (results / "tables" / ".hidden").mkdir()
    assert r.experiments(results) == ["warehouse", "empty", "foo"]
    assert r.experiments(results / "nowhere") == []


def test_table_contract_includes_the_tables_rules_write_for_the_book() -> None:
    assert r.TABLE_COLUMNS["compute_models"] == COMPUTE_MODELS_COLUMNS
    assert {"summary", "claims", "compute", "deviations", "curves_rolling"} <= set(r.TABLE_COLUMNS)


def test_load_table_names_the_missing_file_and_the_rule(results: Path) -> None:
    with pytest.raises(r.MissingResultsError) as err:
        r.load_table(results, "empty", "summary")
    message = str(err.value)
    assert str(results / "tables" / "empty" / "summary.csv") in message
    assert "aggregate rule" in message
    assert r.try_load_table(results, "empty", "summary") is None


def test_load_table_rejects_missing_columns_and_bad_files(results: Path) -> None:
    write(results / "tables" / "empty" / "summary.csv", "model,mean\nIAM,1\n")
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['n_seeds', 'std'"):
        r.load_table(results, "empty", "summary")
    write(results / "tables" / "empty" / "compute.csv", "")
    with pytest.raises(ValueError, match="not a readable CSV"):
        r.try_load_table(results, "empty", "compute")


def test_concat_tables_adds_the_experiment_and_keeps_columns_when_empty(results: Path) -> None:
    claims = r.concat_tables(results, "claims")
    assert list(claims.columns[:2]) == ["experiment", "claim_id"]
    assert list(claims["experiment"]) == ["warehouse"] * 3 + ["foo"]
    none = r.concat_tables(results, "claims", ["empty"])
    assert none.empty
    assert list(none.columns) == ["experiment", *r.TABLE_COLUMNS["claims"]]


def test_load_provenance(results: Path) -> None:
    assert r.load_provenance(results) is None
    write(results / "tables" / "provenance.json", json.dumps({"preset": "quick"}))
    assert r.load_provenance(results) == {"preset": "quick"}
    write(results / "tables" / "provenance.json", "{not json")
    with pytest.raises(ValueError, match="provenance.json is not valid JSON"):
        r.load_provenance(results)


def test_the_claims_overview_is_read_from_the_tables_folder(results: Path) -> None:
    assert r.try_load_overview(results) is None  # the rule did not run: the page says so
    path = write(r.overview_path(results), "number,claim_id\n1,1a\n")
    assert path == results / "tables" / "claims_overview.csv"
    with pytest.raises(ValueError, match="Rerun the claims_overview rule"):
        r.try_load_overview(results)
    write(path, ",".join(OVERVIEW_COLUMNS) + "\n7,7,atari,c,,,,,,not yet run,none\n")
    overview = r.try_load_overview(results)
    assert list(overview.columns) == list(OVERVIEW_COLUMNS)
    assert overview.loc[0, "verdict"] == "not yet run"
