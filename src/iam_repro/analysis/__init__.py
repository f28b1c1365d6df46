"""Pure functions on tidy tables: curves, scores, bootstrap statistics, claim verdicts, plots."""

from iam_repro.analysis.claims import (
    CLAIMS,
    CLAIMS_COLUMNS,
    DEFAULT_ABS_TOLERANCE,
    DEFAULT_THRESHOLDS,
    VALUE_CHECKS,
    DirectionClaim,
    claims_table,
    compare_models,
    direction_verdict,
    paper_curve,
    paper_final_value,
    value_verdict,
)
from iam_repro.analysis.curves import (
    area_under_curve,
    final_score,
    paper_protocol_curve,
    rolling_curve,
    step_grid,
    steps_to_threshold,
)
from iam_repro.analysis.fig5 import FIG5_PANELS, Fig5Panel, fig5_panel, model_label
from iam_repro.analysis.plots import DEFAULT_COLORS, figure_fig5, plot_learning_curves
from iam_repro.analysis.stats import bootstrap_ci, bootstrap_means, summarise
from iam_repro.analysis.tables import (
    MODEL_ORDER,
    OUTPUT_COLUMNS,
    RunDir,
    aggregate_experiment,
    load_reference_fig5,
    model_sort_key,
)

__all__ = [
    "CLAIMS",
    "CLAIMS_COLUMNS",
    "DEFAULT_ABS_TOLERANCE",
    "DEFAULT_COLORS",
    "DEFAULT_THRESHOLDS",
    "FIG5_PANELS",
    "MODEL_ORDER",
    "OUTPUT_COLUMNS",
    "VALUE_CHECKS",
    "DirectionClaim",
    "Fig5Panel",
    "RunDir",
    "aggregate_experiment",
    "area_under_curve",
    "bootstrap_ci",
    "bootstrap_means",
    "claims_table",
    "compare_models",
    "direction_verdict",
    "fig5_panel",
    "figure_fig5",
    "final_score",
    "load_reference_fig5",
    "model_label",
    "model_sort_key",
    "paper_curve",
    "paper_final_value",
    "paper_protocol_curve",
    "plot_learning_curves",
    "rolling_curve",
    "step_grid",
    "steps_to_threshold",
    "summarise",
    "value_verdict",
]
