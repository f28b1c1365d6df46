"""Snakemake adapter: one experiment's run folders -> its tables (rule aggregate)."""

from pathlib import Path

from iam_repro.analysis.tables import aggregate_experiment
from iam_repro.config.deviations import deviations_table
from iam_repro.errors import user_errors
from iam_repro.io.atomic import write_csv_atomic
from iam_repro.workflow_log import line_logger

sm = snakemake  # noqa: F821 (injected by Snakemake)
step = f"the aggregate step of experiment '{sm.wildcards.experiment}'"
with user_errors(step), line_logger(sm.log[0]) as emit:
    out_dir = Path(sm.output[0]).parent
    run_configs = sm.params.run_configs
    run_dirs = [Path(d) for d in run_configs]
    aggregate_experiment(
        run_dirs,
        summary_window=sm.params.summary_window,
        max_step=sm.params.budget["steps_per_worker"],
        threshold=sm.params.threshold,
        env=sm.params.env["name"],
        out_dir=out_dir,
        aggregation=sm.params.aggregation,
        expected_configs=run_configs,
    )
    # The run.json configs were just checked to match these (config_digest).
    write_csv_atomic(
        deviations_table((c["model_name"], c) for c in run_configs.values()),
        out_dir / "deviations.csv",
    )
    emit(f"aggregated {len(run_dirs)} runs into {out_dir}")
