"""The `iam-repro` command: check the configuration, or train one run outside Snakemake.

    iam-repro check [--config FILE] [--preset P]
    iam-repro train EXPERIMENT MODEL SEED [--config FILE] [--preset P] [--run-dir DIR]
    iam-repro verify RUN [RUN ...]
    iam-repro archive ARCHIVE [--results DIR] [--experiments A,B] [--config FILE] [--preset P]

`check` and `train` read the same files as the pipeline (config/config.yaml and the experiment
files it selects; relative paths from the working directory), so `check` answers "would the DAG
accept this, and which runs would it train?" without starting Snakemake, and `train` leaves
exactly the run folder the train rule would (it resumes from that folder's checkpoint, too).
`verify` needs only a run.json: it re-trains the run's first steps and says whether this
machine computes them bit for bit (`iam_repro.jobs.verify`). `archive` adds a preset's
finished runs to an archive of tables that grows run by run (`iam_repro.jobs.archive`).
Errors a user can fix end in one message and exit status 1 (`iam_repro.jobs.errors.user_errors`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from iam_repro.config import (
    ConfigError,
    Experiment,
    PipelineConfig,
    load_config,
    load_experiments,
    read_yaml_file,
    runs_dataframe,
    runs_table,
)
from iam_repro.jobs.errors import user_errors

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line `argv` (default: sys.argv[1:]); returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return args.command(args)
    except BrokenPipeError:  # `iam-repro check | head`: the reader has all it wanted
        # Python's documented way out: point stdout at devnull so its flush at exit is silent.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iam-repro",
        description="Influence-aware memory reproduction: check the configuration, or train "
        "one run outside Snakemake (the pipeline itself runs with `snakemake`).",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def add(name: str, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.add_argument(
            "--config",
            type=Path,
            default=Path("config/config.yaml"),
            help="the pipeline config (default: %(default)s)",
        )
        sub.add_argument("--preset", help="the preset to use (default: the config's `preset`)")
        return sub

    check = add("check", "validate the config and experiment files; list a preset's runs")
    check.set_defaults(command=_check)

    train = add("train", "train one run (resumes from its checkpoint; Ctrl-C saves one)")
    train.add_argument("experiment", help="experiment file stem, e.g. warehouse")
    train.add_argument("model", help="model name in that file, e.g. IAM")
    train.add_argument("seed", type=_seed, help="the run's seed (a whole number >= 0)")
    train.add_argument(
        "--run-dir",
        type=Path,
        help="the run folder (default: <results_dir>/runs/<experiment>/<env>/<model>/seed_<seed>, "
        "where the pipeline puts it)",
    )
    train.set_defaults(command=_train)

    verify = commands.add_parser(
        "verify",
        help="re-train a finished run's first steps; say whether this machine gives the same bits",
        description="Re-train the first steps of finished runs (to the fingerprint each run.json "
        "records) and say, per run, whether the episodes and every weight bit are identical. "
        "Exit status 0: all identical; 1: a run differs or cannot be checked.",
    )
    verify.add_argument(
        "runs", nargs="+", type=Path, metavar="RUN", help="a run folder or a run.json file"
    )
    verify.set_defaults(command=_verify)

    archive = add(
        "archive",
        "add a preset's finished runs to an archive of tables (report/archive/<name>/), pooled "
        "with the runs it holds; every across-seed table is recomputed",
    )
    archive.add_argument("archive", type=Path, help="the archive folder, e.g. report/archive/x")
    archive.add_argument(
        "--results",
        type=Path,
        help="the results folder holding the runs (default: the config's results_dir)",
    )
    archive.add_argument(
        "--experiments",
        type=lambda text: [name for name in text.split(",") if name],
        help="comma-separated experiment file stems (default: the config's `experiments`)",
    )
    archive.set_defaults(command=_archive)
    return parser


def _check(args: argparse.Namespace) -> int:
    with user_errors("the configuration check"):
        config, experiments = _load(args.config, args.preset)
        runs = runs_table(experiments, config.preset, config.seeds)
    steps = [run.resolved["budget"]["steps_per_worker"] for run in runs]
    workers = [run.resolved["ppo"]["num_workers"] for run in runs]
    table = runs_dataframe(runs).assign(
        steps_per_worker=steps, transitions=[s * w for s, w in zip(steps, workers, strict=True)]
    )
    print(f"{config.path}: valid; preset '{config.preset}': {len(runs)} runs")
    print(table.to_string(index=False))
    return 0


def _train(args: argparse.Namespace) -> int:
    # Imported here: torch takes seconds to import, which `check` and `--help` need not wait for.
    from iam_repro.jobs.training import run_training
    from iam_repro.ppo.trainer import TrainingInterrupted

    run_id = f"{args.experiment}/{args.model}/seed_{args.seed}"
    with user_errors(f"training run {run_id}"):
        config, experiments = _load(args.config, args.preset)
        experiment = _find(experiments, args.experiment, config)
        resolved = experiment.resolve(args.model, config.preset, args.seed)
        run_dir = args.run_dir or config.results_dir / "runs" / resolved["run_id"]
        try:
            run_training(
                resolved,
                run_dir,
                emit=lambda line: print(line, flush=True),
                torch_threads=config.training.torch_threads,
                progress_interval_s=config.training.progress_interval_s,
                checkpoint_interval_s=config.training.checkpoint_interval_s,
                stop_on_signals=True,
            )
        except TrainingInterrupted as stop:  # SIGINT/SIGTERM: the checkpoint is saved
            sys.exit(f"iam-repro: {stop}; run the same command again to resume")
    print(f"{run_dir}: monitor.csv and run.json written")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from iam_repro.jobs.verify import verify_run  # imports torch

    identical = True
    for run in args.runs:
        run_info = run / "run.json" if run.is_dir() else run
        with user_errors(f"the check of {run}"):
            verdict = verify_run(run_info, emit=lambda _line: None)
        print(verdict.summary(), flush=True)
        identical &= verdict.identical
    return 0 if identical else 1


def _archive(args: argparse.Namespace) -> int:
    from iam_repro.jobs.archive import add_finished_runs  # pandas, the analysis code

    with user_errors(f"the update of the archive {args.archive}"):
        config, experiments = _load(args.config, args.preset, args.experiments)
        runs = runs_table(experiments, config.preset, config.seeds)
        added, unfinished = add_finished_runs(
            args.archive, args.results or config.results_dir, config, experiments, runs
        )
    print(f"{args.archive}: {len(added)} runs archived now, {len(unfinished)} not yet")
    return 0


def _seed(text: str) -> int:
    if not text.isdigit():  # numpy's generators take no negative seed
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number >= 0")
    return int(text)


def _load(
    path: Path, preset: str | None, experiments: list[str] | None = None
) -> tuple[PipelineConfig, list[Experiment]]:
    """The validated pipeline config (with `preset` and `experiments` replacing its own) and
    its experiments."""
    data = read_yaml_file(path, missing_fix="run from the repository root or pass --config.")
    if not isinstance(data, dict):
        raise ConfigError(
            path, "", "the file is not a mapping of keys to values", "see config/config.yaml."
        )
    if preset is not None:
        data["preset"] = preset  # as `snakemake --config preset=...` does
    if experiments is not None:
        data["experiments"] = experiments
    config = load_config(data, config_path=str(path))
    return config, load_experiments(config)


def _find(experiments: list[Experiment], name: str, config: PipelineConfig) -> Experiment:
    for experiment in experiments:
        if experiment.name == name:
            return experiment
    names = ", ".join(e.name for e in experiments)
    raise ConfigError(
        config.path,
        "experiments",
        f"the experiment '{name}' (command line) is not among those selected: {names}",
        "name one of them, or select it in the config (experiments: all, or its file stem).",
    )


if __name__ == "__main__":
    sys.exit(main())
