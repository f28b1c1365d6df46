"""Sentences and phrases the pages' prose quotes, each made from a table the pipeline wrote.

The pages glue these into their text (myst-nb ``glue``), so a number in a sentence always
agrees with the tables below it; a missing table gives a dash or a sentence that says so.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from iam_repro.analysis.fig5 import model_label
from iam_repro.analysis.overview import claim_number, normalise_verdict
from iam_repro.analysis.tables import rolling_window
from iam_repro.report.formatting import (
    MISSING,
    RETURN_DECIMALS,
    format_ci,
    format_return,
    is_missing,
)
from iam_repro.report.markup import VERDICTS
from iam_repro.report.tables_html import FINAL_RETURN, last_episodes_name


def preset_note(preset: str) -> str:
    """One sentence on what the build's preset means for comparisons with the paper."""
    if preset == "paper":
        return (
            "Runs use the paper's training budget, so their returns can be set against the paper's."
        )
    if preset in {"smoke", "quick"}:
        return (
            f"The '{preset}' preset trains for a small fraction of the paper's budget: it "
            "checks that the pipeline works, and its returns and verdicts say nothing about "
            "the paper."
        )
    if preset == "unknown":
        return "No provenance.json was found, so the preset of these results is unknown."
    return (
        f"'{preset}' is not one of the standard presets (smoke, quick, paper); see the "
        "Provenance page for the budget used."
    )


def claim_verdict_text(claims: pd.DataFrame, number: int) -> str:
    """One line stating the verdict(s) of a paper claim, for the pages' prose.

    'reproduced' when one row tests the claim; '1a: reproduced, 1b: inconclusive (n = 1)' when
    several; rows of several experiments (an ``experiment`` column) are named by it too:
    'warehouse 6a: reproduced, traffic 6a: inconclusive'; 'not yet run' when none.
    """
    if claims.empty:
        return "not yet run"
    tested = claims[[claim_number(c) == number for c in claims["claim_id"]]]
    if tested.empty:
        return "not yet run"
    verdicts = [normalise_verdict(v) for v in tested["verdict"]]
    if len(verdicts) == 1:
        return verdicts[0]
    labels = [str(c) for c in tested["claim_id"]]
    # The same ids (6a, 6b) recur in every experiment: only the experiment tells them apart.
    if "experiment" in tested and tested["experiment"].nunique() > 1:
        labels = [f"{e} {c}" for e, c in zip(tested["experiment"], labels, strict=True)]
    return ", ".join(f"{c}: {v}" for v, c in zip(verdicts, labels, strict=True))


def verdict_counts(overview: pd.DataFrame) -> str:
    """'3 reproduced, 1 contradicted, 2 inconclusive, 4 not yet run' over the overview's rows,
    in the order of ``VERDICTS``."""
    counts = overview["verdict"].value_counts()
    order = [*VERDICTS, *[v for v in counts.index if v not in VERDICTS]]
    return ", ".join(f"{counts[v]} {v}" for v in order if v in counts)


def estimate_text(summary: pd.DataFrame | None, model: str) -> str:
    """'38.34 (95% CI 38.15 to 38.53)' for one model's final return (paper protocol), or '—'."""
    if summary is None:
        return MISSING
    rows = summary[summary["model"] == model]
    if rows.empty:
        return MISSING
    row = rows.iloc[0]
    mean = format_return(row["mean"])
    if is_missing(row["ci_low"]) or is_missing(row["ci_high"]):
        return mean
    return f"{mean} (95% CI {format_return(row['ci_low'])} to {format_return(row['ci_high'])})"


def seeds_text(summary: pd.DataFrame | None) -> str:
    """How many seeds each model has in a summary: '5', '2–5' when models differ, '—' if none."""
    if summary is None or summary.empty:
        return MISSING
    counts = pd.to_numeric(summary["n_seeds"], errors="coerce").dropna().astype(int)
    if counts.empty:
        return "an unknown number of"
    low, high = int(counts.min()), int(counts.max())
    return str(low) if low == high else f"{low}–{high}"


def paper_value_text(summary: pd.DataFrame | None, model: str) -> str:
    """The paper's value for one model from the summary table, or '—' when absent."""
    if summary is None:
        return MISSING
    rows = summary[summary["model"] == model]
    if rows.empty or is_missing(rows.iloc[0]["paper_value"]):
        return MISSING
    return format_return(rows.iloc[0]["paper_value"])


def _join_or(labels: list[str]) -> str:
    """'IAM', 'IAM or LSTM', 'A, B or C'."""
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"


def paper_reading_text(
    summary: pd.DataFrame | None,
    paper: pd.DataFrame,
    env: str,
    models: Iterable[str],
    budget: float | None,
) -> str:
    """What the paper's Fig. 5 reads for some models at this build's budget, as a clause.

    The values are the summary table's ``paper_value`` (the paper's curve over the same last
    part of the budget as the reproduced final return; its FNN values exist only at its own
    budget). Where a model has none, the clause says why from the figure's points, instead of
    quoting a dash: a quick run ends before the paper's first point.

    Args:
        summary: ``summary.csv`` (None: the experiment did not run, and dashes stand in).
        paper: The Fig. 5 reference (``iam_repro.reference.load_paper_fig5()``).
        env: The environment whose row of the figure is read.
        models: The models, in the order the sentence names them.
        budget: Per-worker steps of this build's runs (None: unknown).

    Returns:
        e.g. 'the paper's figure reads about 41.00 and 35.40', 'the paper's figure has no IAM
        or LSTM point before 200,000 steps', 'the paper's figure reads about 29.00 for IAM and
        has no LSTM point before 300,000 steps'.
    """
    models = list(models)
    values = {model: paper_value_text(summary, model) for model in models}
    missing = [model for model in models if values[model] == MISSING]
    if summary is None or not missing:
        return f"the paper's figure reads about {' and '.join(values.values())}"
    read = [model for model in models if model not in missing]
    labels = _join_or([model_label(model) for model in missing])
    steps = paper.loc[(paper["env"] == env) & paper["model"].isin(missing), "step"]
    if budget is None or steps.empty:
        gap = f"has no {labels} value at this budget"
    elif (steps > budget).all():
        gap = f"has no {labels} point before {int(steps.min()):,} steps"
    elif (steps < budget).all():
        gap = f"has no {labels} point after {int(steps.max()):,} steps"
    else:
        gap = f"has no {labels} point near {int(budget):,} steps"
    if not read:
        return f"the paper's figure {gap}"
    found = " and ".join(f"{values[model]} for {model_label(model)}" for model in read)
    return f"the paper's figure reads about {found} and {gap}"


def run_budget(compute: pd.DataFrame | None, curves: pd.DataFrame | None) -> float | None:
    """Per-worker steps of an experiment's runs: the longest run in ``compute.csv``, else the
    last step of its curves, else None."""
    for frame, column in ((compute, "steps_per_worker"), (curves, "step")):
        if frame is not None and len(frame) and pd.notna(frame[column].max()):
            return float(frame[column].max())
    return None


def _seed_lines(rolling: pd.DataFrame) -> str:
    """What the rolling figure's lines are, by how many seeds its models have."""
    seeds = rolling.groupby("model")["seed"].nunique()
    if seeds.max() == 1:
        return "one seed per model, so each model's line is that seed's curve, with no band"
    none = ", none for a model with one seed" if seeds.min() == 1 else ""
    return (
        "thin lines: single seeds; thick: each model's mean over its seeds; band: the "
        f"Student-t confidence interval of that mean over seeds, as in the tables{none}"
    )


def rolling_note(rolling: pd.DataFrame | None, *, fig5_above: bool = True) -> str:
    """One sentence saying what the rolling-average figure shows, its window read from
    ``curves_rolling.csv`` (``window_episodes``; the number of workers is transitions / step).

    Args:
        rolling: ``curves_rolling.csv`` of one experiment (None: not in this build).
        fig5_above: Whether the page shows the experiment's Fig. 5 comparison above the figure
            (the Atari page does not: its experiments have no paper values).
    """
    window = None if rolling is None else rolling_window(rolling)
    if window is None:
        return "No rolling-average curves are in this build's results."
    workers = (rolling["transitions"] / rolling["step"]).round().unique()
    who = f"all {int(workers[0])} workers" if len(workers) == 1 else "all workers"
    protocol = "the mean return of worker 0's episodes per window of steps"
    contrast = (
        f"the Fig. 5 comparison above follows the paper's protocol instead ({protocol}), so "
        "the paper's values are not drawn here"
        if fig5_above
        else f"the {FINAL_RETURN} in the table below is read off another curve ({protocol})"
    )
    return (
        f"Each curve is a rolling average: at each step, the mean return of the last "
        f"{window:,} episodes that ended by then, over {who} of the run ({_seed_lines(rolling)})."
        f" A curve's last point, at the run's final step, is the run's "
        f"{last_episodes_name(window)}. This is the curve most RL libraries log; {contrast}."
    )


def random_level_note(random_policy: pd.DataFrame | None, window: int | None = None) -> str | None:
    """What the dashed line and the "above random" table compare with (random_policy.csv), or
    None when this build has no random-policy episodes for the experiment.

    Args:
        random_policy: ``random_policy.csv`` of one experiment.
        window: The episodes each run's return averages (vs_random.csv's largest
            ``final_episodes``); None: unknown.
    """
    if random_policy is None or not len(random_policy):
        return None
    row = random_policy.iloc[0]
    ci = format_ci(row["ci_low"], row["ci_high"], decimals=RETURN_DECIMALS)
    last = "" if window is None else f"{int(window):,} "
    return (
        f"The dashed line is a uniformly random policy in the same environment: "
        f"{format_return(row['mean'])} {ci} over {int(row['episodes']):,} episodes (95% CI of "
        f"the mean). The table below compares each run's {last_episodes_name(window)} (the mean "
        f"of its last {last}episodes of all workers, the last point of its rolling curve) with "
        "it, episode by episode (one run can answer whether its policy beats chance; whether "
        "one model beats another is the claims' question, answered across seeds)."
    )
