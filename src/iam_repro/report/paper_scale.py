"""The paper-scale sections: the archived runs at the paper's full budget, beside this build.

The runs behind them take hours per run, so they are not part of a user's build: their tables
are archived in ``report/archive/paper_scale/tables/`` (with how they were made), and the
pipeline's archive rules copy them into ``<results>/archive/paper_scale/`` and draw their
figures there with the build's own plot scripts (workflow/rules/archive.smk). A section built
from them says so, so that no reader takes the archive's numbers for their own build's.
"""

from __future__ import annotations

import html
from pathlib import Path
from statistics import median

import pandas as pd

from iam_repro.analysis.departures import departure_summary, paper_points_on_curve
from iam_repro.analysis.roles import paper_for_experiment, roles_from_table
from iam_repro.reference import load_paper_fig5
from iam_repro.report.chapters import (
    ChapterResults,
    load_chapter,
    show_chapter_claims,
    show_chapter_compute,
    show_chapter_figure,
    show_chapter_summary,
)
from iam_repro.report.formatting import format_duration
from iam_repro.report.markup import notice, show_html
from iam_repro.report.results import (
    ROLLING_FIGURE,
    experiments,
    load_provenance,
    results_dir,
    table_path,
    try_load_overview,
)
from iam_repro.report.tables_html import claims_html, departures_html

__all__ = [
    "PAPER_SCALE",
    "archive_results",
    "cpu_share_sentence",
    "curve_departures",
    "paper_scale_facts",
    "pooled_curves_sentence",
    "show_paper_scale",
    "show_paper_scale_claims",
]

#: The archive of the paper-scale runs (report/archive/paper_scale/).
PAPER_SCALE = "paper_scale"


def archive_results(results: Path | None = None, name: str = PAPER_SCALE) -> Path:
    """Where the pipeline put an archive's tables and figures inside a results folder."""
    return (results_dir() if results is None else Path(results)) / "archive" / name


def _not_archived(what: str) -> str:
    return notice(
        "Paper-scale runs not archived yet",
        f"{what} comes from the runs at the paper's full budget (warehouse and traffic, "
        "4 models x 3 seeds), which train for hours each; their tables are not in this "
        "checkout yet (report/archive/paper_scale/README.md says how they are made).",
    )


def _experiment_runs(provenance: dict | None, experiment: str) -> list[dict]:
    """The provenance records of one experiment's runs (run ids start with its name)."""
    prefix = f"{experiment}/"
    return [r for r in (provenance or {}).get("runs", []) if r.get("run_id", "").startswith(prefix)]


def paper_scale_facts(chapter: ChapterResults, provenance: dict | None) -> str:
    """One sentence: whose runs these are, how many, what they cost and where they ran."""
    parts = [
        "These are the archived paper-scale runs (report/archive/paper_scale/), not this "
        "build's: the same pipeline at the paper's full budget"
    ]
    compute = chapter.compute
    if compute is not None and len(compute):
        seeds = compute.groupby("model")["seed"].nunique()
        low, high = int(seeds.min()), int(seeds.max())
        per_model = f"{low}" if low == high else f"{low}-{high}"
        ids = sorted(int(s) for s in compute["seed"].unique())
        which = ("seed " if len(ids) == 1 else "seeds ") + ", ".join(map(str, ids))
        noun = "seed" if high == 1 else "seeds"
        runs = f"{len(compute)} run" + ("" if len(compute) == 1 else "s")
        parts.append(f"{runs} ({per_model} {noun} per model; {which})")
        parts.append(f"{format_duration(float(compute['wall_time_s'].sum()))} of training in all")
    runs = _experiment_runs(provenance, chapter.experiment)
    machines = sorted({r["compute"] for r in runs if r.get("compute")})
    if machines:
        parts.append("computed on " + "; ".join(machines))
    return html.escape(", ".join(parts) + ".")


def cpu_share_sentence(experiment: str, provenance: dict | None) -> str | None:
    """How much of their wall time the experiment's archived runs had a core: CPU time (the
    run's process tree, SUMO included) over wall time, for the runs that recorded it; None when
    none did. Runs that shared the machine waited for a core, so their wall time and throughput
    carry that load as well as the model's cost."""
    runs = _experiment_runs(provenance, experiment)
    shares = sorted(
        float(r["cpu_s"]) / float(r["wall_time_s"])
        for r in runs
        if r.get("cpu_s") and r.get("wall_time_s")
    )
    if not shares:
        return None
    which = (
        f"the {len(shares)} of its {len(runs)} runs that recorded it"
        if len(shares) < len(runs)
        else "every run"
    )
    span = (
        f"{shares[0]:.0%}"
        if len(shares) == 1
        else f"between {shares[0]:.0%} and {shares[-1]:.0%} (median {median(shares):.0%})"
    )
    return html.escape(
        "CPU time (the training process and its environment processes together) was "
        f"{span} of wall time in {which}. A single-process run alone on a core keeps close to "
        "100%; below that, it waited for a core, so the wall times and throughputs below, "
        "and claim 6 at this scale, carry the machine's load as well as each model's cost."
    )


def pooled_curves_sentence(protocol: pd.DataFrame | None) -> str | None:
    """Says which runs enter the Fig. 5 curves only through a recovered pair of values: rows
    of curves_protocol.csv without a seed (`iam_repro.jobs.archive.pair_rows_from_summary`).
    None when every row has its seed (or the table is missing)."""
    if protocol is None or not protocol["seed"].isna().any():
        return None
    named = ", ".join(dict.fromkeys(protocol.loc[protocol["seed"].isna(), "model"]))
    return (
        f"In the Fig. 5 curves, two runs of each of {named} enter by their values recovered "
        "from the archive's earlier two-seed summary (per step, the mean and standard deviation "
        "of two values give both values exactly, to rounding, but not which seed had which; "
        "their monitors are gone). Every other table holds each run's own numbers "
        "(report/archive/paper_scale/README.md)."
    )


def curve_departures(
    chapter: ChapterResults, paper: pd.DataFrame | None = None
) -> pd.DataFrame | None:
    """Where the chapter's curves leave the paper's Fig. 5 points (`departure_summary`), or
    None without curves or without a paper point within their budget."""
    if chapter.curves is None or chapter.models is None:
        return None
    paper = load_paper_fig5() if paper is None else paper
    ours = paper_for_experiment(paper, chapter.panel.env, roles_from_table(chapter.models))
    points = paper_points_on_curve(chapter.curves, ours, chapter.panel.value_tolerance)
    return None if points.empty else departure_summary(points, ours)


def show_paper_scale(experiment: str, results: Path | None = None) -> None:
    """The chapter's paper-scale section: the archive's Fig. 5 comparison and rolling curves,
    where its curves leave the paper's points, final returns (paper protocol) beside the
    paper's, the claims judged at that scale with their CIs, and the compute it took; a notice
    while nothing is archived."""
    root = archive_results(results)
    if experiment not in experiments(root):
        show_html(_not_archived(f"This section of the {experiment} chapter"))
        return
    chapter = load_chapter(experiment, results=root)
    provenance = load_provenance(root)
    show_html(f"<p>{paper_scale_facts(chapter, provenance)}</p>")
    show_chapter_figure(chapter)
    protocol_path = table_path(root, experiment, "curves_protocol")
    pooled = pooled_curves_sentence(pd.read_csv(protocol_path) if protocol_path.is_file() else None)
    if pooled is not None:
        show_html(f"<p>{html.escape(pooled)}</p>")
    show_chapter_figure(chapter, ROLLING_FIGURE)
    departures = curve_departures(chapter)
    if departures is not None:
        show_html(departures_html(departures))
    show_chapter_summary(chapter)
    show_chapter_claims(chapter)
    share = cpu_share_sentence(experiment, provenance)
    if share is not None:
        show_html(f"<p>{share}</p>")
    show_chapter_compute(chapter)


def show_paper_scale_claims(results: Path | None = None) -> None:
    """The intro's short table: each claim's verdict at the paper's scale (the archive's claims
    overview), or a notice while nothing is archived."""
    overview = try_load_overview(archive_results(results))
    if overview is None:
        show_html(_not_archived("This table"))
        return
    show_html(claims_html(_short(overview), caption="At the paper's scale (archived runs)"))


def _short(overview: pd.DataFrame) -> pd.DataFrame:
    """The rows of experiments the archive covers (claims it has no runs for are left out)."""
    return overview[overview["verdict"] != "not yet run"]
