"""``results/tables/provenance.json`` as the Provenance page's tables.

The record says what produced the results (preset, commit, package versions, each run's
config digest and cost); these functions only flatten it into rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from iam_repro.report.formatting import MISSING, format_duration, format_fixed, is_missing
from iam_repro.report.markup import html_table

#: Headers of the per-run provenance table.
RUN_COLUMNS = {
    "run_id": "run",
    "config_digest": "config digest",
    "wall_time_s": "wall time",
    "cpu_s": "CPU time",
    "transitions_per_s": "transitions / s",
    "hostname": "host",
    "compute": "CPU (kernels)",
    "fingerprint": "fingerprint",
}


def provenance_frame(provenance: Mapping[str, Any]) -> pd.DataFrame:
    """The build-level fields of provenance.json as (item, value) rows."""
    commit = str(provenance.get("git_commit", "unknown"))
    if provenance.get("git_dirty"):
        commit += " (with uncommitted changes)"
    rows = [
        ("preset", provenance.get("preset", "unknown")),
        ("experiments", ", ".join(provenance.get("experiments", [])) or "none"),
        ("git commit", commit),
        ("generated (UTC)", provenance.get("generated_utc", "unknown")),
        ("runs", str(len(provenance.get("runs", [])))),
    ]
    return pd.DataFrame(rows, columns=["item", "value"])


def versions_frame(provenance: Mapping[str, Any]) -> pd.DataFrame:
    """The package versions of provenance.json as (package, version) rows."""
    versions = provenance.get("versions", {}) or {}
    return pd.DataFrame([(k, str(v)) for k, v in versions.items()], columns=["package", "version"])


def runs_frame(provenance: Mapping[str, Any]) -> pd.DataFrame:
    """The per-run records of provenance.json (columns of ``RUN_COLUMNS``; missing keys blank)."""
    return pd.DataFrame(provenance.get("runs", []) or [], columns=list(RUN_COLUMNS))


def _text_or_missing(value: Any) -> str:
    return MISSING if is_missing(value) else str(value)


def runs_html(provenance: Mapping[str, Any]) -> str:
    """HTML table of the per-run records of provenance.json."""
    return html_table(
        runs_frame(provenance),
        RUN_COLUMNS,
        verdict_column=None,
        formats={
            "wall_time_s": format_duration,
            "cpu_s": format_duration,
            "transitions_per_s": lambda v: format_fixed(v, 0),
            "config_digest": _text_or_missing,
            "hostname": _text_or_missing,
            "compute": _text_or_missing,
            # The first 12 hex digits identify it; `iam-repro verify` compares the whole digest.
            "fingerprint": lambda v: MISSING if is_missing(v) else str(v)[:12],
        },
    )
