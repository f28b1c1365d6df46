"""Snakemake adapter: one experiment's run folders -> its tables (rule aggregate)."""

from pathlib import Path

import pandas as pd

from iam_repro.analysis.tables import TableSettings, experiment_tables
from iam_repro.config.deviations import deviations_table
from iam_repro.io.atomic import write_csv_atomic
from iam_repro.io.runs import load_runs
from iam_repro.jobs.errors import user_errors
from iam_repro.jobs.log import line_logger

sm = snakemake  # noqa: F821 (injected by Snakemake)
step = f"the aggregate step of experiment '{sm.wildcards.experiment}'"
with user_errors(step), line_logger(sm.log[0]) as emit:
    run_configs = sm.params.run_configs
    # Every run is read and checked before anything is written: earlier tables survive an error.
    runs = load_runs(list(run_configs), expected_configs=run_configs)
    tables = experiment_tables(
        runs,
        env=sm.params.env["name"],
        env_options=sm.params.env.get("options", {}),
        roster=sm.params.roster,
        summary_window=sm.params.summary_window,
        max_step=sm.params.budget["steps_per_worker"],
        threshold=sm.params.threshold,
        settings=TableSettings.from_config(sm.params.aggregation),
        random_returns=pd.read_csv(sm.input.random_episodes)["return"].to_numpy(),
    )
    # The run.json configs were just checked to match these (config_digest).
    tables["deviations.csv"] = deviations_table((c["model_name"], c) for c in run_configs.values())
    out_dir = Path(sm.output[0]).parent
    for name, table in tables.items():
        write_csv_atomic(table, out_dir / name)
    emit(f"aggregated {len(run_configs)} runs into {out_dir}")
