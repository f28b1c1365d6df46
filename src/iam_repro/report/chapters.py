"""The results chapters (one per Fig. 5 environment: warehouse.md, traffic.md).

A chapter loads one experiment's tables once (``load_chapter``), glues the numbers its prose
quotes (``chapter_texts``, ``glue_texts``) and shows its figures and tables (``show_*``); every
value is read from ``results/``, nothing is computed from raw runs here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from iam_repro.analysis.fig5 import fig5_panel
from iam_repro.analysis.roles import models_by_role, paper_for_experiment, roles_from_table
from iam_repro.reference import Fig5Row, load_paper_fig5
from iam_repro.reference.calibration import load_traffic_calibration
from iam_repro.report.formatting import MISSING, format_duration, format_fixed, format_value
from iam_repro.report.markup import not_run_notice, notice, show_html
from iam_repro.report.prose import (
    claim_verdict_text,
    estimate_text,
    paper_reading_text,
    preset_note,
    random_level_note,
    rolling_note,
    run_budget,
    seeds_text,
)
from iam_repro.report.results import (
    ROLLING_FIGURE,
    concat_tables,
    figure_path,
    load_provenance,
    results_dir,
    try_load_overview,
    try_load_table,
)
from iam_repro.report.tables_html import (
    claims_html,
    compute_models_html,
    scores_html,
    summary_html,
    vs_random_html,
)


@dataclass(frozen=True)
class ChapterResults:
    """What a results chapter reads of one experiment (None: the table is not in the results).

    Attributes:
        experiment: The experiment name (a folder of ``results/tables``).
        panel: The paper's Fig. 5 row for the experiment's environment.
        results: The results directory.
        preset: The preset of this build ('unknown' without provenance.json).
        summary, curves, scores, compute, compute_models: ``summary.csv``,
            ``curves_summary.csv``, ``final_scores.csv``, ``compute.csv`` and
            ``compute_models.csv`` of the experiment.
        claims: Its ``claims.csv`` with an ``experiment`` column (empty when absent).
        overview: The build's ``claims_overview.csv``.
        rolling: Its ``curves_rolling.csv``.
        models: Its ``models.csv``: every model of the experiment file with its role.
    """

    experiment: str
    panel: Fig5Row
    results: Path
    preset: str
    summary: pd.DataFrame | None
    curves: pd.DataFrame | None
    scores: pd.DataFrame | None
    compute: pd.DataFrame | None
    claims: pd.DataFrame
    compute_models: pd.DataFrame | None = None
    overview: pd.DataFrame | None = None
    rolling: pd.DataFrame | None = None
    models: pd.DataFrame | None = None

    @property
    def ran(self) -> bool:
        """Whether the experiment has results in this build."""
        return self.summary is not None

    @property
    def roles(self) -> dict[str, str]:
        """Model -> role of the experiment's models (models.csv; empty when not run)."""
        return {} if self.models is None else roles_from_table(self.models)


def load_chapter(
    experiment: str, env: str | None = None, results: Path | None = None
) -> ChapterResults:
    """Load everything a results chapter shows for one experiment.

    Args:
        experiment: The experiment name.
        env: Its environment (default: the experiment name, as for the shipped experiments).
        results: The results directory (default: ``results_dir()``).

    Raises:
        KeyError: the paper's Fig. 5 has no row for ``env``.
    """
    env = env or experiment
    panel = fig5_panel(env)
    if panel is None:
        raise KeyError(f"the paper's Fig. 5 has no row for environment '{env}'")
    results = results_dir() if results is None else Path(results)
    provenance = load_provenance(results) or {}
    return ChapterResults(
        experiment=experiment,
        panel=panel,
        results=results,
        preset=str(provenance.get("preset", "unknown")),
        summary=try_load_table(results, experiment, "summary"),
        curves=try_load_table(results, experiment, "curves_summary"),
        scores=try_load_table(results, experiment, "final_scores"),
        compute=try_load_table(results, experiment, "compute"),
        claims=concat_tables(results, "claims", [experiment]),
        compute_models=try_load_table(results, experiment, "compute_models"),
        overview=try_load_overview(results),
        rolling=try_load_table(results, experiment, "curves_rolling"),
        models=try_load_table(results, experiment, "models"),
    )


def chapter_texts(chapter: ChapterResults, paper: pd.DataFrame | None = None) -> dict[str, str]:
    """The numbers and phrases a results chapter's prose quotes, by glue name (no prefix).

    Keys: status, last_step, preset_note, seeds, frames, threshold, rolling_note (what the
    rolling-average figure shows: ``rolling_note``); paper_recurrent and paper_feedforward
    (what the paper's figure reads for IAM and LSTM, and for the two FNNs: ``paper_reading_text``
    with ``paper``, default ``load_paper_fig5()``); per role of the paper's Fig. 5 (iam, lstm,
    fnn_1, fnn_k = FNN with k stacked observations), for the experiment's model in that role
    (models.csv): final_<role> (from the summary table), tps_<role> and wall_<role> (mean
    transitions per second and wall time per run, from compute_models.csv); frames, the k of
    the fnn_k model (the paper's k when it did not run); claim<n> for each paper claim about
    the environment.
    """
    panel = chapter.panel
    roles = chapter.roles
    paper = paper_for_experiment(load_paper_fig5() if paper is None else paper, panel.env, roles)
    budget = run_budget(chapter.compute, chapter.curves)
    # The experiment's model in each role of the figure; the paper's name where none plays it.
    played = models_by_role(roles)
    models = {role: played.get(role, theirs) for role, theirs in panel.models.items()}
    texts = {
        "status": ""
        if chapter.ran
        else f"The {chapter.experiment} experiment was not run in this build; each dash below "
        "stands for a missing result.",
        "last_step": MISSING
        if chapter.curves is None or chapter.curves.empty
        else f"{format_value(chapter.curves['step'].max())} steps",
        "preset_note": preset_note(chapter.preset),
        "seeds": seeds_text(chapter.summary),
        "frames": _frames(chapter.models, models["fnn_k"], panel.fnn_k_frames),
        "threshold": _claimed_threshold(chapter.claims),
        "rolling_note": rolling_note(chapter.rolling),
        "paper_recurrent": paper_reading_text(
            chapter.summary, paper, panel.env, [models["iam"], models["lstm"]], budget
        ),
        "paper_feedforward": paper_reading_text(
            chapter.summary, paper, panel.env, [models["fnn_1"], models["fnn_k"]], budget
        ),
    }
    per_model = (
        chapter.compute_models.set_index("model")
        if chapter.compute_models is not None
        else pd.DataFrame(columns=["transitions_per_s", "wall_time_s"])
    )
    for role, model in models.items():
        texts[f"final_{role}"] = estimate_text(chapter.summary, model)
        row = per_model.loc[model] if model in per_model.index else None
        texts[f"tps_{role}"] = MISSING if row is None else format_fixed(row["transitions_per_s"], 0)
        texts[f"wall_{role}"] = MISSING if row is None else format_duration(row["wall_time_s"])
    for number in panel.claims:
        texts[f"claim{number}"] = claim_verdict_text(chapter.claims, number)
    return texts


def _frames(models: pd.DataFrame | None, model: str, papers: int) -> str:
    """The stacked observations of `model` (models.csv), or the paper's k when it did not run."""
    if models is None or model not in set(models["model"]):
        return str(papers)
    return str(int(models.set_index("model").loc[model, "frames"]))


def _claimed_threshold(claims: pd.DataFrame) -> str:
    """The return threshold of the learning-speed claim, as its claim text states it
    ('... (steps to reach -10)', written by iam_repro.analysis.claims), or '—'."""
    for text in claims["claim"].astype(str) if len(claims) else []:
        match = re.search(r"\(steps to reach ([^)]+)\)", text)
        if match:
            return match.group(1)
    return MISSING


def glue_texts(prefix: str, texts: Mapping[str, str]) -> None:
    """Glue every text under ``<prefix>_<key>`` for ``{glue:text}`` roles (myst-nb's glue)."""
    from myst_nb import glue

    for key, value in texts.items():
        glue(f"{prefix}_{key}", value, display=False)


def _show_figure_or_notice(results: Path, figure: Path, rule: str) -> bool:
    """Display a figure, or a notice naming the rule that did not run; whether it was shown."""
    if figure.is_file():
        from IPython.display import Image, display

        display(Image(filename=str(figure)))
        return True
    shown = figure.relative_to(results) if figure.is_relative_to(results) else figure
    show_html(
        notice(
            "Figure not available",
            f"{shown} is not in the results directory: the {rule} did not run in this build.",
        )
    )
    return False


def show_chapter_figure(chapter: ChapterResults, name: str = "fig5.png") -> None:
    """Display one of the experiment's figures (default: its Fig. 5 panels; ``ROLLING_FIGURE``:
    its rolling-average curves), or a notice that the plot rule did not run."""
    figure = figure_path(chapter.results, chapter.experiment, name)
    _show_figure_or_notice(chapter.results, figure, "plot rule")


def show_rolling(results: Path, experiment: str, *, fig5_above: bool = True) -> None:
    """Display an experiment's rolling-average figure and the sentence saying what it shows
    (``fig5_above``: whether the page shows the experiment's Fig. 5 figure above it)."""
    figure = figure_path(results, experiment, ROLLING_FIGURE)
    if _show_figure_or_notice(results, figure, "plot_rolling rule"):
        rolling = try_load_table(results, experiment, "curves_rolling")
        note = rolling_note(rolling, fig5_above=fig5_above)
        show_html(f"<p>{html.escape(note)}</p>")
    show_vs_random(results, experiment)


def show_vs_random(results: Path, experiment: str) -> None:
    """Display the random policy's level and each run's verdict against it (random_policy.csv,
    vs_random.csv); nothing when the build has neither."""
    vs_random = try_load_table(results, experiment, "vs_random")
    window = vs_random["final_episodes"].max() if vs_random is not None and len(vs_random) else None
    random_note = random_level_note(try_load_table(results, experiment, "random_policy"), window)
    if random_note is not None and vs_random is not None and len(vs_random):
        show_html(f"<p>{html.escape(random_note)}</p>")
        show_html(vs_random_html(vs_random, caption="Did each run end above a random policy?"))


def show_chapter_summary(chapter: ChapterResults) -> None:
    """Display the final-return (paper protocol) summary table, or the 'not run' notice."""
    if chapter.summary is None:
        show_html(not_run_notice(chapter.experiment, "final scores"))
    else:
        show_html(summary_html(chapter.summary, scores=chapter.scores))


def show_chapter_claims(chapter: ChapterResults) -> None:
    """Display the overview's rows of this experiment for the paper claims about its
    environment ('not yet run' rows for claims without results)."""
    overview = chapter.overview
    if overview is None:
        show_html(overview_missing_notice())
        return
    rows = overview[
        overview["number"].isin(list(chapter.panel.claims))
        & (overview["experiment"] == chapter.experiment)
    ]
    show_html(claims_html(rows, show_experiment=False))


def overview_missing_notice() -> str:
    """The box shown where ``claims_overview.csv`` should be."""
    return notice(
        "Claims overview not available",
        "tables/claims_overview.csv is not in the results directory: the claims_overview "
        "rule did not run in this build.",
    )


def show_chapter_scores(chapter: ChapterResults) -> None:
    """Display the per-run scores, or the 'not run' notice."""
    if chapter.scores is None:
        show_html(not_run_notice(chapter.experiment, "per-run scores"))
    else:
        show_html(scores_html(chapter.scores))


def show_chapter_compute(chapter: ChapterResults) -> None:
    """Display mean wall time and throughput per model, or the 'not run' notice."""
    if chapter.compute_models is None or chapter.compute_models.empty:
        show_html(not_run_notice(chapter.experiment, "compute records"))
    else:
        show_html(compute_models_html(chapter.compute_models))


def traffic_texts(paper: pd.DataFrame | None = None) -> dict[str, str]:
    """Calibration numbers the traffic chapter quotes, by glue name (no prefix).

    Keys: sumo_version (the pinned SUMO release, ``iam_repro.envs.requirements.SUMO_VERSION``),
    random, random_std, heuristic, policy_episodes (from the packaged calibration table,
    ``iam_repro.reference.calibration``), paper_start and paper_start_step (the earliest
    traffic point of the paper's Fig. 5, from the packaged reference table).
    """
    from iam_repro.envs.requirements import SUMO_VERSION

    paper = load_paper_fig5() if paper is None else paper
    curve = paper[(paper["env"] == "traffic") & (paper["kind"] == "curve")]
    first = curve.sort_values("step", kind="stable").iloc[0] if len(curve) else None
    calibration = load_traffic_calibration()
    returns = calibration.set_index("policy")
    episodes = sorted({int(n) for n in calibration["episodes"]})
    return {
        "sumo_version": SUMO_VERSION,
        "random": format_fixed(returns.loc["uniform random", "mean_return"], 1),
        "random_std": format_fixed(returns.loc["uniform random", "std"], 1),
        "heuristic": format_fixed(
            returns.loc["queue-greedy heuristic (memoryless)", "mean_return"], 1
        ),
        "policy_episodes": str(episodes[0])
        if len(episodes) == 1
        else f"{episodes[0]}–{episodes[-1]}",
        "paper_start": MISSING if first is None else format_fixed(first["mean_return"], 0),
        "paper_start_step": MISSING if first is None else format_value(first["step"]),
    }
