"""Snakemake adapter: across_experiments_profiles.csv -> figure (rule plot_across_profiles)."""

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from iam_repro.analysis.across_plots import figure_performance_profiles  # noqa: E402
from iam_repro.io.atomic import save_figure_atomic  # noqa: E402
from iam_repro.jobs.log import line_logger  # noqa: E402

sm = snakemake  # noqa: F821 (injected by Snakemake)
with line_logger(sm.log[0]) as emit:
    figure = figure_performance_profiles(pd.read_csv(sm.input[0]))
    save_figure_atomic(figure, sm.output[0], dpi=150)
    emit(f"wrote {sm.output[0]}")
