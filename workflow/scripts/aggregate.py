"""Snakemake adapter: one experiment's run folders -> its tables (rule aggregate)."""

from pathlib import Path

from iam_repro.analysis.tables import aggregate_experiment
from iam_repro.workflow_log import line_logger

sm = snakemake  # noqa: F821 (injected by Snakemake)
with line_logger(sm.log[0]) as emit:
    out_dir = Path(sm.output[0]).parent
    aggregate_experiment(
        [Path(d) for d in sm.params.run_dirs],
        summary_window=sm.params.summary_window,
        max_step=sm.params.budget["steps_per_worker"],
        threshold=sm.params.threshold,
        env=sm.params.env["name"],
        out_dir=out_dir,
        aggregation=sm.params.aggregation,
    )
    emit(f"wrote {len(sm.output)} tables to {out_dir}")
