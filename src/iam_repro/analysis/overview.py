"""The paper's seven claims against every experiment's claims table (``claims_overview.csv``).

Each experiment's ``claims.csv`` tests some claims; the overview lists every claim of the
paper (reference/paper.yaml) once or more, with the rows that test it and a 'not yet run' row
for a claim no experiment tested. A rule writes it, so the book's pages only read it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from iam_repro.analysis.claims import (
    CLAIMS_COLUMNS,
    CONTRADICTED,
    INCONCLUSIVE,
    NEEDS_PAPER_SCALE,
    NOT_YET_RUN,
    ONE_SEED,
    REPRODUCED,
)
from iam_repro.reference import PaperClaim, registry

__all__ = [
    "MAIN_EXPERIMENT",
    "NOT_RUN",
    "OVERVIEW_COLUMNS",
    "claim_number",
    "claims_overview",
    "experiment_order",
    "in_claim_order",
    "normalise_verdict",
    "stack_claims",
]

#: Columns of ``claims_overview.csv``, in order: the claims table's, with the claim's number
#: and the experiment that tested it.
OVERVIEW_COLUMNS: tuple[str, ...] = ("number", "claim_id", "experiment", *CLAIMS_COLUMNS[1:])

#: The verdict of a claim without results.
NOT_RUN = NOT_YET_RUN

#: The paper's main benchmark, listed before the other experiments.
MAIN_EXPERIMENT = "warehouse"


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip().lower() in {"", "nan"}
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _integral(value: Any) -> int | None:
    """The value as an int when it is a whole number (3, 3.0, '3'), else None."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def claim_number(claim_id: Any) -> int | None:
    """The paper-claim number a claims-table id refers to: 1, '1', '1a', 'claim-2b' -> int."""
    if _blank(claim_id):
        return None
    number = _integral(claim_id)
    if number is not None:
        return number
    match = re.search(r"(\d+)", str(claim_id))
    return int(match.group(1)) if match else None


def normalise_verdict(verdict: Any) -> str:
    """A verdict as one of the claims table's words (``iam_repro.analysis.claims.VERDICTS``).

    Case, spacing, '_' and '-' insensitive: 'Reproduced' -> 'reproduced', 'needs_paper_scale'
    -> 'needs paper scale', 'Inconclusive (n=1)' -> 'inconclusive (n = 1)'; missing -> 'not
    yet run'. Other words (such as an older table's 'partly') are returned lower-cased, not
    mapped: no newer word means what they meant.
    """
    if _blank(verdict):
        return NOT_RUN
    text = re.sub(r"[\s_-]+", " ", str(verdict).strip().lower())
    if text.startswith("inconclusive"):
        # The one-seed case names its n; "(n=1)" and "(n = 1)" are the same words.
        return ONE_SEED if re.fullmatch(r"inconclusive \(n ?= ?1\)", text) else INCONCLUSIVE
    for word in (REPRODUCED, CONTRADICTED, NEEDS_PAPER_SCALE, NOT_RUN):
        if text == word:
            return word
    if text in {"not run", "missing", "no data"}:
        return NOT_RUN
    return text


def in_claim_order(claims: pd.DataFrame) -> pd.DataFrame:
    """One experiment's claims rows in the paper's claim order, as the book lists claims on
    every page: by claim number, then by id (1a, 1b, 1c, 2a, ...; the order claims_table
    writes); ids without a number last, in their table order."""
    keys = [(claim_number(c) is None, claim_number(c) or 0, str(c)) for c in claims["claim_id"]]
    order = sorted(range(len(claims)), key=lambda i: keys[i])
    return claims.iloc[order].reset_index(drop=True)


def experiment_order(names: Iterable[str]) -> list[str]:
    """Experiments sorted by name, the paper's main benchmark (warehouse) first."""
    return sorted(sorted(names), key=lambda name: name != MAIN_EXPERIMENT)


def stack_claims(claims_by_experiment: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Every experiment's claims table in one frame, ``experiment`` first.

    Experiments follow ``experiment_order``; empty tables are skipped; with none, the frame is
    empty but has the columns.
    """
    frames = [
        claims_by_experiment[name].assign(experiment=name)
        for name in experiment_order(claims_by_experiment)
        if len(claims_by_experiment[name])
    ]
    if not frames:
        return pd.DataFrame(columns=["experiment", *CLAIMS_COLUMNS])
    merged = pd.concat(frames, ignore_index=True)
    return merged[["experiment", *[c for c in merged.columns if c != "experiment"]]]


def _claim_id_text(claim_id: Any) -> str:
    """A claim id as text: 3.0 -> '3' (ids read as numbers), '1a' unchanged."""
    if _blank(claim_id):
        return ""
    number = _integral(claim_id)
    return str(number) if number is not None else str(claim_id)


def _tested_row(row: pd.Series, number: Any) -> dict[str, Any]:
    return {
        "number": number,
        "claim_id": _claim_id_text(row["claim_id"]),
        "experiment": row.get("experiment", ""),
        "claim": row["claim"],
        "paper_value": row["paper_value"],
        "reproduced_value": row["reproduced_value"],
        "ci_low": row["ci_low"],
        "ci_high": row["ci_high"],
        "tolerance": row["tolerance"],
        "verdict": normalise_verdict(row["verdict"]),
        "evidence": row["evidence"],
    }


def _untested_row(claim: PaperClaim) -> dict[str, Any]:
    return {
        "number": claim.number,
        "claim_id": str(claim.number),
        "experiment": claim.experiment,
        "claim": claim.text,
        "verdict": NOT_RUN,
        "evidence": "no results in this build",
    }


def claims_overview(
    claims: pd.DataFrame, paper_claims: Iterable[PaperClaim] | None = None
) -> pd.DataFrame:
    """Every paper claim with the reproduced rows that test it.

    Args:
        claims: Claims tables of all experiments stacked (``stack_claims``), with an
            ``experiment`` column.
        paper_claims: The paper's claims (default: ``registry().claims``, reference/paper.yaml).

    Returns:
        One row per claims-table row, ordered by claim number (stable within a number), plus
        one 'not yet run' row for each paper claim that no table tests; rows whose id matches
        no paper claim come last. Columns: ``OVERVIEW_COLUMNS``; verdicts normalised
        (``normalise_verdict``), claim ids as text.
    """
    paper_claims = tuple(registry().claims if paper_claims is None else paper_claims)
    claims = claims.copy()
    claims["number"] = [claim_number(c) for c in claims["claim_id"]] if len(claims) else []
    rows: list[dict[str, Any]] = []
    for paper_claim in paper_claims:
        tested = claims[claims["number"] == paper_claim.number]
        if tested.empty:
            rows.append(_untested_row(paper_claim))
        rows.extend(_tested_row(row, paper_claim.number) for _, row in tested.iterrows())
    known = {c.number for c in paper_claims}
    unknown = claims[~claims["number"].isin(known)]
    rows.extend(_tested_row(row, row["number"]) for _, row in unknown.iterrows())
    return pd.DataFrame(rows, columns=list(OVERVIEW_COLUMNS))
