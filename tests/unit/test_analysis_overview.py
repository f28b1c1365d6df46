"""iam_repro.analysis.overview: the paper's claims against every experiment's claims table."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from iam_repro.analysis.claims import CLAIMS_COLUMNS
from iam_repro.analysis.overview import (
    OVERVIEW_COLUMNS,
    claim_number,
    claims_overview,
    experiment_order,
    in_claim_order,
    normalise_verdict,
    stack_claims,
)
from iam_repro.reference import PaperClaim, registry
from tests.unit.report_data import CLAIM_HEADER, FOO_CLAIMS, WAREHOUSE_CLAIMS


def _claims(**tables: str) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(io.StringIO(text)) for name, text in tables.items()}


@pytest.mark.parametrize(
    ("claim_id", "number"),
    [
        (1, 1),
        ("2", 2),
        ("1a", 1),
        ("claim-2b", 2),
        (3.0, 3),
        ("W12", 12),
        ("x", None),
        (None, None),
    ],
)
def test_claim_number(claim_id, number) -> None:
    assert claim_number(claim_id) == number


@pytest.mark.parametrize(
    ("verdict", "word"),
    [
        ("reproduced", "reproduced"),
        ("Reproduced", "reproduced"),
        ("CONTRADICTED", "contradicted"),
        ("inconclusive", "inconclusive"),
        ("Inconclusive (n=1)", "inconclusive (n = 1)"),
        ("inconclusive (n = 1)", "inconclusive (n = 1)"),
        ("needs_paper_scale", "needs paper scale"),
        ("needs-paper scale", "needs paper scale"),
        ("not-yet-run", "not yet run"),
        (float("nan"), "not yet run"),
        # An older table's words are shown as they are: no new word means what they meant.
        ("Partly", "partly"),
        ("not_reproduced", "not reproduced"),
        ("reproduced?", "reproduced?"),
    ],
)
def test_normalise_verdict(verdict, word) -> None:
    assert normalise_verdict(verdict) == word


def test_in_claim_order_is_the_papers_claim_order() -> None:
    """An older claims.csv listed comparisons before value checks (1a, 2a, 3, 1c, 2c); the
    book shows every table by claim number, then id, as the overview does."""
    claims = pd.DataFrame(
        {"claim_id": ["1a", "2a", "3", "x", "1c", "6b", "2c", "6a"], "verdict": list("abcdefgh")}
    )
    ordered = in_claim_order(claims)
    assert list(ordered["claim_id"]) == ["1a", "1c", "2a", "2c", "3", "6a", "6b", "x"]
    assert list(ordered["verdict"]) == list("aebgchfd")  # the rows move whole
    assert list(ordered.index) == list(range(8))
    numeric = pd.DataFrame({"claim_id": [5, 3], "verdict": ["a", "b"]})  # ids read as numbers
    assert list(in_claim_order(numeric)["claim_id"]) == [3, 5]


def test_experiments_are_ordered_warehouse_first_then_by_name() -> None:
    assert experiment_order(["traffic", "foo", "warehouse"]) == ["warehouse", "foo", "traffic"]
    assert experiment_order([]) == []


def test_stack_claims_orders_experiments_and_skips_empty_tables() -> None:
    claims = _claims(foo=FOO_CLAIMS, warehouse=WAREHOUSE_CLAIMS, empty=CLAIM_HEADER)
    stacked = stack_claims(claims)
    assert list(stacked.columns[:2]) == ["experiment", "claim_id"]
    assert list(stacked["experiment"]) == ["warehouse"] * 3 + ["foo"]
    nothing = stack_claims({})
    assert nothing.empty and list(nothing.columns) == ["experiment", *CLAIMS_COLUMNS]


def test_claims_overview_lists_every_paper_claim() -> None:
    overview = claims_overview(stack_claims(_claims(warehouse=WAREHOUSE_CLAIMS, foo=FOO_CLAIMS)))
    assert list(overview.columns) == list(OVERVIEW_COLUMNS)
    # 1a, 1b, then 2 (not run), 3, 4, 5, 6, 7 (not run), then the unknown claim 9 last.
    assert list(overview["claim_id"]) == ["1a", "1b", "2", "3", "4", "5", "6", "7", "9"]
    verdicts = dict(zip(overview["claim_id"], overview["verdict"], strict=True))
    assert verdicts == {
        "1a": "reproduced",
        "1b": "inconclusive (n = 1)",
        "2": "not yet run",
        "3": "inconclusive",
        "4": "not yet run",
        "5": "not yet run",
        "6": "not yet run",
        "7": "not yet run",
        "9": "contradicted",
    }
    row = overview.set_index("claim_id").loc["1a"]
    assert (row["ci_low"], row["ci_high"], row["experiment"]) == (1.5, 3.5, "warehouse")
    untested = overview.set_index("claim_id").loc["7"]
    assert untested["experiment"] == "atari"
    assert untested["claim"] == registry().claims[6].text
    assert untested["evidence"] == "no results in this build"
    assert pd.isna(untested["ci_low"]) and pd.isna(untested["reproduced_value"])


def test_claims_overview_of_nothing_is_one_not_yet_run_row_per_claim() -> None:
    overview = claims_overview(stack_claims({}))
    assert list(overview["number"]) == [1, 2, 3, 4, 5, 6, 7]
    assert set(overview["verdict"]) == {"not yet run"}


def test_claims_overview_takes_the_claims_it_is_given() -> None:
    claims = stack_claims(_claims(warehouse=WAREHOUSE_CLAIMS))
    paper = [PaperClaim(3, "warehouse", "faster"), PaperClaim(8, "x", "new claim")]
    overview = claims_overview(claims, paper)
    # Claim 3's row, the untested claim 8, then 1a and 1b (numbers the given claims lack).
    assert list(overview["claim_id"]) == ["3", "8", "1a", "1b"]
    assert list(overview["number"]) == [3, 8, 1, 1]


def test_numeric_claim_ids_are_written_as_text() -> None:
    claims = stack_claims(_claims(traffic=CLAIM_HEADER + "5,faster,,1,0,2,,reproduced,e\n"))
    assert claims["claim_id"].dtype.kind == "i"  # every id a number: read as integers
    overview = claims_overview(claims)
    assert overview.set_index("number").loc[5, "claim_id"] == "5"
