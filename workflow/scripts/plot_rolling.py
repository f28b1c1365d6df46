"""Snakemake adapter: an experiment's rolling-average curves -> its figure (rule plot_rolling)."""

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from iam_repro.analysis.plots import figure_rolling  # noqa: E402
from iam_repro.analysis.roles import roles_from_table  # noqa: E402
from iam_repro.analysis.tables import TableSettings  # noqa: E402
from iam_repro.io.atomic import save_figure_atomic  # noqa: E402
from iam_repro.jobs.log import line_logger  # noqa: E402

sm = snakemake  # noqa: F821 (injected by Snakemake)
with line_logger(sm.log[0]) as emit:
    random_policy = pd.read_csv(sm.input.random_policy)
    figure = figure_rolling(
        pd.read_csv(sm.input.rolling),
        sm.params.env["name"],
        roles=roles_from_table(pd.read_csv(sm.input.models)),
        max_step=sm.params.budget["steps_per_worker"],
        random_level=float(random_policy["mean"].iloc[0]) if len(random_policy) else None,
        settings=TableSettings.from_config(sm.params.aggregation),
    )
    save_figure_atomic(figure, sm.output[0], dpi=150)
    emit(f"wrote {sm.output[0]}")
