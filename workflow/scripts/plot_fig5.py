"""Snakemake adapter: an experiment's across-seed curves -> its Fig. 5 panels (rule plot_fig5)."""

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from iam_repro.analysis.plots import figure_fig5  # noqa: E402
from iam_repro.analysis.roles import roles_from_table  # noqa: E402
from iam_repro.io.atomic import save_figure_atomic  # noqa: E402
from iam_repro.jobs.log import line_logger  # noqa: E402
from iam_repro.reference import load_paper_fig5  # noqa: E402

sm = snakemake  # noqa: F821 (injected by Snakemake)
with line_logger(sm.log[0]) as emit:
    env = sm.params.env["name"]
    figure = figure_fig5(
        pd.read_csv(sm.input.summary),
        load_paper_fig5(),
        env,
        roles=roles_from_table(pd.read_csv(sm.input.models)),
        max_step=sm.params.budget["steps_per_worker"],
    )
    save_figure_atomic(figure, sm.output[0], dpi=150)
    emit(f"wrote {sm.output[0]}")
