"""What the flickering-Atari chapter shows: every Atari experiment of the build, side by side.

The paper gives no Atari numbers, so the chapter compares the models with each other (claim 7,
judged in each experiment's claims.csv) and shows the earlier reproductions' figure as context
only (``EARLIER_REPRODUCTION``). Which experiments play Atari is read from the build's
provenance (each run id is ``experiment/env/model/seed_N``).
"""

from __future__ import annotations

import html
from pathlib import Path

from iam_repro.analysis.overview import in_claim_order
from iam_repro.report.chapters import show_rolling
from iam_repro.report.markup import heading_html, not_run_notice, notice, show_html
from iam_repro.report.results import load_provenance, try_load_table
from iam_repro.report.tables_html import (
    claims_html,
    compute_models_html,
    compute_runs_html,
    summary_html,
)

__all__ = ["ATARI_ENV", "EARLIER_REPRODUCTION", "experiments_of_env", "show_atari_experiment"]

ATARI_ENV = "atari"

#: Context, not a target (spec/atari.md, "What to expect"): the only Atari figure available.
EARLIER_REPRODUCTION = (
    "An earlier reproduction trained IAM on Breakout without flicker to a full-game return of "
    "roughly 340 after 5e7 transitions (one seed); with flicker, none of its runs matched the "
    "paper. The paper's own Atari values are not available to us."
)


def experiments_of_env(results: Path, env: str = ATARI_ENV) -> list[str]:
    """The build's experiments whose runs play `env`, sorted (from provenance.json's run ids)."""
    provenance = load_provenance(results) or {}
    names = {
        run["run_id"].split("/")[0]
        for run in provenance.get("runs", [])
        if run.get("run_id", "").count("/") == 3 and run["run_id"].split("/")[1] == env
    }
    return sorted(names)


def show_atari_experiment(results: Path, experiment: str) -> None:
    """One experiment's section: rolling curves, final returns, claim 7, compute per model."""
    show_html(heading_html(experiment, level=3))
    # This page draws no Fig. 5 figure: the paper's Atari values are not available.
    show_rolling(results, experiment, fig5_above=False)
    summary = try_load_table(results, experiment, "summary")
    if summary is None:
        show_html(not_run_notice(experiment, "final-return summary"))
        return
    show_html(
        summary_html(
            summary,
            caption="Final return (paper protocol: worker 0's full-game returns) across seeds; "
            "the paper's value is not available",
            scores=try_load_table(results, experiment, "final_scores"),
        )
    )
    claims = try_load_table(results, experiment, "claims")
    if claims is not None and len(claims):
        show_html(claims_html(in_claim_order(claims), caption="Claim 7", show_experiment=False))
    else:
        show_html(
            notice(
                "No claim on this experiment",
                f"Claim 7 is about flickering Atari; '{html.escape(experiment)}' is not "
                "flickered, so it is the fully observed control.",
                kind="note",
            )
        )
    compute_models = try_load_table(results, experiment, "compute_models")
    compute = try_load_table(results, experiment, "compute")
    if compute_models is not None and len(compute_models):
        show_html(compute_models_html(compute_models, caption="Compute per model (mean per run)"))
    if compute is not None and len(compute):
        show_html(compute_runs_html(compute, caption="Compute per run"))
