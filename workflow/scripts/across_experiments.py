"""Snakemake adapter: every experiment's tables -> results/tables/across_experiments_*.csv."""

from pathlib import Path

import pandas as pd

from iam_repro.analysis.across import ACROSS_TABLES, ExperimentTables, across_tables
from iam_repro.io.atomic import write_csv_atomic
from iam_repro.jobs.errors import user_errors
from iam_repro.jobs.log import line_logger

sm = snakemake  # noqa: F821 (injected by Snakemake)


def by_experiment(paths: list[str]) -> dict[str, str]:
    """results/tables/{experiment}/<table>.csv: the folder names the experiment."""
    return {Path(path).parent.name: path for path in paths}


with user_errors("the across_experiments step"), line_logger(sm.log[0]) as emit:
    tables = {
        key: by_experiment(sm.input[key])
        for key in ("final_scores", "models", "random_policy", "rolling")
    }
    experiments = {
        name: ExperimentTables(
            env=facts["env"],
            steps_per_worker=int(facts["steps_per_worker"]),
            final_scores=pd.read_csv(tables["final_scores"][name]),
            models=pd.read_csv(tables["models"][name]),
            random_policy=pd.read_csv(tables["random_policy"][name]),
            rolling=pd.read_csv(tables["rolling"][name]),
        )
        for name, facts in sm.params.experiments.items()
    }
    aggregation = sm.params.aggregation
    results = across_tables(
        experiments,
        confidence=float(aggregation["confidence"]),
        n_resamples=int(aggregation["bootstrap_resamples"]),
    )
    out_dir = Path(sm.output[0]).parent
    for name in ACROSS_TABLES:
        write_csv_atomic(results[name], out_dir / f"{name}.csv")
    normalisation = results["across_experiments_normalisation"]
    emit(
        f"{len(experiments)} experiments, {len(results['across_experiments_scores'])} runs, "
        f"{int((normalisation['normalised_runs'] > 0).sum())} with normalised scores"
    )
    for row in normalisation.itertuples(index=False):
        if row.note:
            emit(f"{row.experiment}: {row.note}")
