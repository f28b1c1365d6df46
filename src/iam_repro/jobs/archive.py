"""An archive of finished runs' tables (``report/archive/<name>/``) that grows run by run.

An archive keeps each run's tables and run.json, never its episode log or checkpoints, so it
is small enough to commit. `add_finished_runs` takes the runs of a preset that have finished
in a results folder, computes their per-run tables (`iam_repro.analysis.tables.run_tables`),
pools them with the runs already archived (`merge_run_tables`: a run archived again replaces
its old rows) and recomputes every across-seed table, the claims overview and the provenance
from the pool. Runs trained in different sessions, on machines that did not all survive, end
in one archive whose tables are those one aggregate over all their monitors would give.

Layout (``tables/`` mirrors a build's ``results/tables/``)::

    tables/<experiment>/<table>.csv     every table of the aggregate rule
    tables/claims_overview.csv          the paper's claims over the archived experiments
    tables/provenance.json              every archived run's commit, digest, compute
    runs/<experiment>/<model>/seed_<seed>.json             the run's run.json
    runs/<experiment>/<model>/seed_<seed>.benchmark.tsv    Snakemake's benchmark of its job
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from iam_repro.analysis.overview import claims_overview, experiment_order, stack_claims
from iam_repro.analysis.tables import (
    OUTPUT_COLUMNS,
    RUN_TABLES,
    TableSettings,
    merge_run_tables,
    random_policy_table,
    run_tables,
    seed_tables,
)
from iam_repro.config import Experiment, PipelineConfig, Run
from iam_repro.config.deviations import deviations_table
from iam_repro.io.atomic import atomic_write, write_csv_atomic
from iam_repro.io.run_info import config_matches, read_run_info
from iam_repro.io.runs import load_runs
from iam_repro.jobs.provenance import write_provenance

__all__ = ["ArchiveError", "add_finished_runs", "pair_rows_from_summary", "run_folder"]

_PROTOCOL = "curves_protocol.csv"


class ArchiveError(ValueError):
    """An archive or a results folder that cannot be pooled (the message names the fix)."""


def run_folder(results: Path, run: Run) -> Path:
    """The run's folder in a results folder (the pipeline's layout)."""
    return Path(results) / "runs" / run.run_id


def _record(archive: Path, run: Run) -> Path:
    """Where the archive keeps the run's run.json."""
    return archive / "runs" / run.experiment / run.model / f"seed_{run.seed}.json"


def _finished(results: Path, run: Run) -> bool:
    """Whether the run's folder holds a run.json of this very config (training writes it
    last; a run.json of another preset's budget is a run still growing)."""
    info = run_folder(results, run) / "run.json"
    return info.is_file() and config_matches(read_run_info(info)["config"], run.resolved)


def pair_rows_from_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """Two runs' protocol values per model and step, from their curves_summary.csv rows.

    For archives made before curves_protocol.csv existed, whose monitors are gone: with two
    seeds a summary's mean m and standard deviation s (n - 1 in the denominator) are those of
    exactly the values m - s/sqrt(2) and m + s/sqrt(2), exact to rounding. Which seed had which
    is not recorded, so the rows carry no seed (NaN); only across-seed statistics, which do not
    depend on the order, may use them.

    Raises:
        ArchiveError: a row summarises other than two seeds.
    """
    if not (summary["n_seeds"] == 2).all():
        counts = sorted(set(summary["n_seeds"]))
        raise ArchiveError(
            f"curves_summary.csv summarises {counts} seeds per step; per-run protocol curves "
            "can be recovered from two seeds only. To fix: rebuild the archive from the runs' "
            "monitors."
        )
    half = summary["std"] / math.sqrt(2)
    rows = [summary.assign(mean_return=summary["mean"] + sign * half) for sign in (-1.0, 1.0)]
    pairs = pd.concat(rows).sort_index(kind="stable").assign(seed=float("nan"))
    return pairs[list(OUTPUT_COLUMNS[_PROTOCOL])].reset_index(drop=True)


def _archived_run_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """An experiment's archived per-run tables (empty ones for a new experiment)."""
    if not (folder / "final_scores.csv").is_file():
        return {name: pd.DataFrame(columns=list(OUTPUT_COLUMNS[name])) for name in RUN_TABLES}
    tables = {name: pd.read_csv(folder / name) for name in RUN_TABLES if (folder / name).is_file()}
    if _PROTOCOL not in tables:
        tables[_PROTOCOL] = pair_rows_from_summary(pd.read_csv(folder / "curves_summary.csv"))
    missing = [name for name in RUN_TABLES if name not in tables]
    if missing:
        raise ArchiveError(
            f"{folder} lacks {missing}. To fix: restore them from git, or rebuild the archive "
            "from the runs' monitors."
        )
    return tables


def _check_record(record: Path, preset_runs: list[Run]) -> None:
    """An archived run must be a run of the preset, trained with the config it now has:
    tables of other budgets or settings cannot be pooled."""
    config = read_run_info(record)["config"]
    for run in preset_runs:
        if run.run_id == config.get("run_id") and config_matches(config, run.resolved):
            return
    raise ArchiveError(
        f"{record}: the archived run {config.get('run_id')} is not a run of this preset with "
        "its current config, so its tables cannot be pooled with the new runs'. To fix: archive "
        "with the preset the archive was made with, or start a new archive folder."
    )


def _check_pooled(
    folder: Path, kept: dict[str, pd.DataFrame], summary_window: int, settings: TableSettings
) -> None:
    """The archived curves must be on the windows the new runs' are computed with."""
    windows = set(kept["curves_rolling.csv"]["window_episodes"].dropna().astype(int))
    steps = kept["curves_protocol.csv"]["step"]
    if windows - {settings.rolling_window_episodes} or (steps % summary_window).any():
        raise ArchiveError(
            f"{folder}: its curves use rolling windows {sorted(windows)} and summary window "
            f"steps {sorted(set(steps))[:3]}..., not this config's "
            f"{settings.rolling_window_episodes} episodes and {summary_window} steps. To fix: "
            "archive with the aggregation settings the archive was made with (config.yaml "
            "`aggregation`, the experiment's `summary_window`)."
        )


def _copy(source: Path, target: Path) -> None:
    with atomic_write(target, "wb") as out:
        out.write(source.read_bytes())


def _archive_experiment(
    archive: Path,
    results: Path,
    experiment: Experiment,
    runs: list[Run],
    preset_runs: list[Run],
    settings: TableSettings,
    copies: dict[Path, Path],
) -> dict[str, pd.DataFrame]:
    """Every table of one experiment over its archived runs and `runs` (finished, in
    `results`), unwritten; the files to copy into the archive (record -> source) are added to
    `copies`. Every archived run must be one of `preset_runs`, with its config."""
    first = runs[0].resolved
    folders = {run_folder(results, run): run.resolved for run in runs}
    random_episodes = results / "baselines" / experiment.name / "random_episodes.csv"
    if not random_episodes.is_file():
        raise ArchiveError(
            f"{random_episodes} does not exist: the random policy's episodes are needed for "
            f"vs_random.csv. To fix: run `snakemake {random_episodes}` with the same config."
        )
    random_returns = pd.read_csv(random_episodes)["return"].to_numpy()
    roster = experiment.roster
    added = run_tables(
        load_runs(list(folders), expected_configs=folders),
        roster=roster,
        summary_window=first["summary_window"],
        max_step=first["budget"]["steps_per_worker"],
        threshold=first["threshold"],
        settings=settings,
        random_returns=random_returns,
    )
    tables_dir = archive / "tables" / experiment.name
    kept = _archived_run_tables(tables_dir)
    _check_pooled(tables_dir, kept, first["summary_window"], settings)
    per_run = merge_run_tables(kept, added, roster)
    across = seed_tables(
        per_run,
        env=first["env"]["name"],
        env_options=first["env"].get("options", {}),
        roster=roster,
        max_step=first["budget"]["steps_per_worker"],
        threshold=first["threshold"],
        settings=settings,
    )
    # The run.json of each pooled run: the archived copy, or the new run's own.
    sources = {path: path for path in (archive / "runs" / experiment.name).glob("*/seed_*.json")}
    for record in sources:
        _check_record(record, preset_runs)
    for run in runs:
        record = _record(archive, run)
        sources[record] = run_folder(results, run) / "run.json"
        bench = results / "benchmarks" / "train" / f"{run.run_id}.tsv"
        if bench.is_file():
            copies[record.with_name(f"seed_{run.seed}.benchmark.tsv")] = bench
    copies.update({record: source for record, source in sources.items() if record != source})
    configs = [read_run_info(sources[record])["config"] for record in sorted(sources)]
    return {
        **per_run,
        **across,
        "random_policy.csv": random_policy_table(random_returns, settings),
        "deviations.csv": deviations_table((c["model_name"], c) for c in configs),
    }


def add_finished_runs(
    archive: str | Path,
    results: str | Path,
    config: PipelineConfig,
    experiments: Iterable[Experiment],
    runs: Iterable[Run],
    *,
    emit: Callable[[str], None] = print,
) -> tuple[list[Run], list[Run]]:
    """Add every finished run among `runs` (a preset's runs table) to the archive.

    Each experiment with a finished run gets all its tables recomputed from the pool of its
    archived runs and the new ones; the claims overview and provenance are then remade from
    every archived experiment and run record. All tables are computed before any is written.
    Adding a run again replaces it, so a rerun after an interruption finishes the job.

    Returns:
        (added, unfinished): the runs archived now, and those neither finished nor archived
        (the archived runs not finished in `results` are kept as they are).
    """
    archive, results = Path(archive), Path(results)
    runs = list(runs)
    added = [run for run in runs if _finished(results, run)]
    kept = [run for run in runs if run not in added and _record(archive, run).is_file()]
    unfinished = [run for run in runs if run not in added and run not in kept]
    by_name = {experiment.name: experiment for experiment in experiments}
    settings = TableSettings.from_config(dataclasses.asdict(config.aggregation))
    already = {run for run in added if _record(archive, run).is_file()}
    written: dict[Path, pd.DataFrame] = {}
    copies: dict[Path, Path] = {}
    for name in dict.fromkeys(run.experiment for run in added):
        new = [run for run in added if run.experiment == name]
        tables = _archive_experiment(archive, results, by_name[name], new, runs, settings, copies)
        written.update({archive / "tables" / name / file: t for file, t in tables.items()})
    for record, source in copies.items():
        _copy(source, record)
    for path, table in written.items():
        write_csv_atomic(table, path)
    if added:
        _remake_overview(archive, config.preset)
    for run in added:
        emit(f"archived {run.run_id}" + (" again (replaces its copy)" if run in already else ""))
    if kept:
        emit(f"kept as archived: {len(kept)} runs not in {results / 'runs'} or not finished there")
    for run in unfinished:
        emit(f"not finished, not archived: {run_folder(results, run)}")
    return added, unfinished


def _remake_overview(archive: Path, preset: str) -> None:
    """claims_overview.csv and provenance.json over every experiment the archive holds."""
    tables = archive / "tables"
    claims = {path.parent.name: pd.read_csv(path) for path in sorted(tables.glob("*/claims.csv"))}
    write_csv_atomic(claims_overview(stack_claims(claims)), tables / "claims_overview.csv")
    records = sorted((archive / "runs").glob("*/*/seed_*.json"))
    write_provenance(
        records, tables / "provenance.json", preset=preset, experiments=experiment_order(claims)
    )
