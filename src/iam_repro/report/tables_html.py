"""Each result table as the book shows it: which columns, under which headers, formatted how.

One renderer per table of ``results/`` (claims, summary, scores, compute) and the two reference
tables the Methods and Traffic pages show (PPO setting names, traffic calibration returns).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from iam_repro.analysis.fig5 import model_label
from iam_repro.reference.calibration import load_traffic_calibration
from iam_repro.report.formatting import (
    MISSING,
    RETURN_DECIMALS,
    estimate_with_ci,
    format_ci,
    format_duration,
    format_fixed,
    format_ratio,
    format_return,
    format_value,
)
from iam_repro.report.markup import html_table, notice

#: Headers of the claims table as the pages show it.
CLAIM_COLUMNS = {
    "claim_id": "#",
    "experiment": "experiment",
    "claim": "claim",
    "verdict": "verdict",
    "paper_value": "paper",
    "reproduced": "reproduced [95% CI]",
    "tolerance": "tolerance",
    "evidence": "evidence",
}

#: The three returns at the end of a run each have one name (report/methods.md, "Three
#: returns at the end of a run"): final_scores.csv's, the vs-random table's, a curve's last point.
FINAL_RETURN = "final return (paper protocol)"
#: Caption of every summary.csv table.
SUMMARY_CAPTION = "Final return (paper protocol) across seeds"


def last_episodes_name(window: Any) -> str:
    """The name of a run's mean return over its last `window` episodes (vs_random.csv):
    'last-100-episodes return'; 'last-episodes return' when the window is unknown."""
    if window is None or pd.isna(window):
        return "last-episodes return"
    return f"last-{int(window):,}-episodes return"


#: Headers of the final-return summary table.
SUMMARY_COLUMNS = {
    "label": "model",
    "n_seeds": "seeds",
    "mean": "mean",
    "std": "std",
    "ci": "95% CI",
    "per_seed": "per seed",
    "paper_value": "paper (Fig. 5)",
}

#: Headers of the per-run compute table.
COMPUTE_RUN_COLUMNS = {
    "label": "model",
    "seed": "seed",
    "wall_time_s": "wall time",
    "transitions": "transitions",
    "steps_per_worker": "steps per worker",
    "transitions_per_s": "transitions / s",
    "device": "device",
    "resumes": "resumed",
}

#: Headers of the per-model compute table (``compute_models.csv``).
COMPUTE_MODEL_COLUMNS = {
    "label": "model",
    "runs": "runs",
    "wall_time_s": "mean wall time",
    "transitions_per_s": "mean transitions / s",
    "relative_throughput": "relative to IAM",
}

_COMPUTE_FORMATS: dict[str, Callable[[Any], str]] = {
    "wall_time_s": format_duration,
    "transitions_per_s": lambda v: format_fixed(v, 0),
    "relative_throughput": format_ratio,
}

#: Headers of the per-run scores table.
SCORE_COLUMNS = {
    "label": "model",
    "seed": "seed",
    "final_return": FINAL_RETURN,
    "auc": "area under the curve",
    "steps_to_threshold": "steps to threshold",
}

#: Headers of the per-run "above random" table (``vs_random.csv``).
VS_RANDOM_COLUMNS = {
    "label": "model",
    "seed": "seed",
    "verdict": "verdict",
    "final_mean": last_episodes_name(None),  # vs_random_html names its window
    "final_episodes": "episodes",
    "diff": "minus random [95% CI]",
}

#: Headers of the deviations table.
DEVIATION_COLUMNS = {
    "experiment": "experiment",
    "model": "model",
    "option": "option",
    "value": "value",
    "original": "original",
    "description": "what it changes",
}

#: Headers of the traffic calibration table.
TRAFFIC_POLICY_COLUMNS = {
    "policy": "fixed policy",
    "mean_return": "mean episode return",
    "std": "std",
}


def _with_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with a ``label`` column: each model's readable name."""
    return frame.assign(label=[model_label(m) for m in frame["model"]])


def claims_html(
    claims: pd.DataFrame, caption: str | None = None, *, show_experiment: bool = True
) -> str:
    """HTML for claims rows: ``claims_overview.csv`` (or some of its rows), or an experiment's
    ``claims.csv`` with ``show_experiment=False``. The estimate and its CI share a cell."""
    reproduced = [
        estimate_with_ci(value, format_ci(low, high))
        for value, low, high in zip(
            claims["reproduced_value"], claims["ci_low"], claims["ci_high"], strict=True
        )
    ]
    columns = {k: v for k, v in CLAIM_COLUMNS.items() if show_experiment or k != "experiment"}
    return html_table(claims.assign(reproduced=reproduced), columns, caption=caption)


def per_seed_finals(scores: pd.DataFrame, model: str) -> str:
    """A model's final returns (paper protocol) from ``final_scores.csv``, in seed order,
    e.g. '40.70 (s0), 40.66 (s1)'; a run without a score reads '—'. With 2-3 seeds the
    values say more than the interval: one failed seed shows here, not only as a wide CI."""
    runs = scores.loc[scores["model"] == model].sort_values("seed")
    return ", ".join(
        f"{format_return(value)} (s{seed})"
        for seed, value in zip(runs["seed"], runs["final_return"], strict=True)
    )


def summary_html(
    summary: pd.DataFrame,
    caption: str | None = SUMMARY_CAPTION,
    scores: pd.DataFrame | None = None,
) -> str:
    """HTML table of ``summary.csv``: the final return (paper protocol) across seeds per model,
    each seed's (from ``final_scores.csv``, when given) and the paper's."""
    frame = _with_labels(summary).assign(
        ci=[
            format_ci(lo, hi, decimals=RETURN_DECIMALS)
            for lo, hi in zip(summary["ci_low"], summary["ci_high"], strict=True)
        ],
    )
    columns = dict(SUMMARY_COLUMNS)
    if scores is None:
        del columns["per_seed"]
    else:
        frame = frame.assign(per_seed=[per_seed_finals(scores, m) for m in summary["model"]])
    formats = dict.fromkeys(("mean", "std", "paper_value"), format_return)
    return html_table(frame, columns, verdict_column=None, caption=caption, formats=formats)


def compute_models_html(compute_models: pd.DataFrame, caption: str | None = None) -> str:
    """HTML table of ``compute_models.csv`` (mean wall time and throughput per model)."""
    return html_table(
        _with_labels(compute_models),
        COMPUTE_MODEL_COLUMNS,
        verdict_column=None,
        caption=caption,
        formats=_COMPUTE_FORMATS,
    )


def compute_runs_html(compute: pd.DataFrame, caption: str | None = None) -> str:
    """HTML table of ``compute.csv``, one row per run."""
    return html_table(
        _with_labels(compute),
        COMPUTE_RUN_COLUMNS,
        verdict_column=None,
        caption=caption,
        formats=_COMPUTE_FORMATS,
    )


def vs_random_html(vs_random: pd.DataFrame, caption: str | None = None) -> str:
    """HTML table of ``vs_random.csv``: each run's last episodes against a random policy. The
    return column is named by its window: the most episodes any run averages (a run with fewer
    episodes than the window averages all of them, as its ``episodes`` cell shows)."""
    frame = _with_labels(vs_random).assign(
        diff=[
            estimate_with_ci(d, format_ci(lo, hi, decimals=RETURN_DECIMALS), fmt=format_return)
            for d, lo, hi in zip(
                vs_random["diff"], vs_random["ci_low"], vs_random["ci_high"], strict=True
            )
        ],
    )
    formats = {"final_mean": format_return, "final_episodes": lambda v: format_fixed(v, 0)}
    window = vs_random["final_episodes"].max() if len(vs_random) else None
    columns = {**VS_RANDOM_COLUMNS, "final_mean": last_episodes_name(window)}
    return html_table(frame, columns, caption=caption, formats=formats)


def scores_html(scores: pd.DataFrame, caption: str | None = None) -> str:
    """HTML table of ``final_scores.csv``, one row per run ('—': threshold never reached)."""
    return html_table(
        _with_labels(scores),
        SCORE_COLUMNS,
        verdict_column=None,
        caption=caption,
        formats={"final_return": format_return},
    )


def deviations_html(deviations: pd.DataFrame, has_runs: bool) -> str:
    """The Methods page's deviations: the named options in use (``deviations.csv`` of every
    experiment, stacked), or a box saying that there are none, or that nothing has run."""
    if not has_runs:
        return notice(
            "No runs in this build", "The results directory holds no experiments yet.", kind="note"
        )
    if deviations.empty:
        return notice("No deviations", "Every run follows the original protocol.", kind="tip")
    return html_table(deviations, DEVIATION_COLUMNS, verdict_column=None)


def ppo_name_table() -> pd.DataFrame:
    """Our PPO setting names against the original code's keys and other libraries' names.

    Built from ``iam_repro.ppo.config.NAME_MAP`` with the original protocol's value of each
    setting (``PPOConfig()`` defaults: the warehouse column of spec/ppo.md).
    Columns: ours, original, common, value.
    """
    from iam_repro.ppo.config import NAME_MAP, PPOConfig

    defaults = PPOConfig().to_dict()
    rows = [
        {
            "ours": ours,
            "original": original,
            "common": common,
            "value": format_value(defaults.get(ours), digits=4),
        }
        for ours, (original, common) in NAME_MAP.items()
    ]
    return pd.DataFrame(rows, columns=["ours", "original", "common", "value"])


def traffic_policy_html() -> str:
    """HTML table of the traffic calibration returns (policy, mean return, std)."""
    return html_table(
        load_traffic_calibration(),
        TRAFFIC_POLICY_COLUMNS,
        verdict_column=None,
        formats={"mean_return": lambda v: format_fixed(v, 1), "std": lambda v: format_fixed(v, 1)},
    )


#: Headers of the table of where our curve leaves the paper's (``analysis.departures``).
DEPARTURE_COLUMNS = {
    "label": "model",
    "compared_text": "paper points compared",
    "matches_text": "within the band",
    "departs_text": "outside the band",
    "mean_gap": "mean gap, ours − paper",
    "gap_text": "largest gap",
}
#: Its caption: how each point is judged.
DEPARTURE_CAPTION = (
    "Our curve against each point of the paper's Fig. 5, in the summary window that holds the "
    "point's step, judged as the value claims are: within the band when our whole 95% CI lies "
    "inside the paper's value ± tolerance, outside when it lies wholly outside"
)


def _signed_return(value: float) -> str:
    """A return difference with its sign: +0.25, -1.30."""
    return ("+" if value > 0 else "") + format_return(value)


def departures_html(summary: pd.DataFrame) -> str:
    """HTML table of ``analysis.departures.departure_summary``: per model, the paper points
    compared, how many lie within and outside the band (and where) and the largest gap."""

    def compared(row: pd.Series) -> str:
        total = row["compared"] + row["not_compared"]
        return f"{row['compared']}" if total == row["compared"] else f"{row['compared']} of {total}"

    def matches(row: pd.Series) -> str:
        return "no CI (1 seed)" if row["judged"] == 0 else f"{row['matches']} of {row['judged']}"

    def departs(row: pd.Series) -> str:
        if row["judged"] == 0:
            return MISSING
        spans = "; ".join(
            f"{side} at {format_value(first)}" + ("" if first == last else f"–{format_value(last)}")
            for first, last, side in row["depart_spans"]
        )
        return f"{row['departs']}" + (f" ({spans})" if spans else "")

    def gap(row: pd.Series) -> str:
        sign = "+" if row["largest_gap"] > 0 else ""
        return (
            f"{sign}{format_return(row['largest_gap'])} at {format_value(row['largest_gap_step'])}"
        )

    frame = _with_labels(summary)
    rows = [r for _, r in frame.iterrows()]
    frame = frame.assign(
        compared_text=[compared(r) for r in rows],
        matches_text=[matches(r) for r in rows],
        departs_text=[departs(r) for r in rows],
        gap_text=[gap(r) for r in rows],
    )
    return html_table(
        frame,
        DEPARTURE_COLUMNS,
        verdict_column=None,
        caption=DEPARTURE_CAPTION,
        formats={"mean_gap": _signed_return},
    )
