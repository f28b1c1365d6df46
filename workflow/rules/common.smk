# Config -> runs table, and the target functions every other rule uses.
# The library validates everything (iam_repro.config) and raises one clear message.
import sys
from pathlib import Path

import pandas as pd

from iam_repro.config import (
    ConfigError,
    load_config,
    load_experiments,
    runs_table,
    training_config,
)
from iam_repro.envs import training_cpu_estimate_s
from iam_repro.io.run_info import read_run_info
from iam_repro.report.results import OVERVIEW_TABLE, TABLE_COLUMNS


def _with_experiments_dir_found(config):
    """A relative experiments_dir is looked up in the working directory, then beside the Snakefile."""
    folder = Path(config.get("experiments_dir", "config/experiments"))
    if folder.is_absolute() or folder.exists():
        return config
    return {**config, "experiments_dir": str(Path(workflow.basedir) / folder)}


try:
    PIPELINE = load_config(
        _with_experiments_dir_found(config), config_path="config/config.yaml"
    )
    # An experiment whose preset lists no models (`models: []`) sits this preset out.
    EXPERIMENTS = {
        exp.name: exp
        for exp in load_experiments(PIPELINE)
        if exp.preset_models(PIPELINE.preset)
    }
    RUNS = runs_table(list(EXPERIMENTS.values()), PIPELINE.preset, PIPELINE.seeds)
except ConfigError as error:
    sys.exit(f"iam-repro: configuration error\n{error}")

RESULTS = str(PIPELINE.results_dir)
RUN_DIR = f"{RESULTS}/runs/{{experiment}}/{{env}}/{{model}}/seed_{{seed}}"
TABLES = f"{RESULTS}/tables/{{experiment}}"
FIGURES = f"{RESULTS}/figures/{{experiment}}"
LOGS = f"{RESULTS}/logs"
CONDA_ENV = "../../environment.yml"
REPORT_SRC = str(Path(workflow.basedir, "report"))
BOOK_DIR = "report/_build/html"
BOOK_INDEX = f"{BOOK_DIR}/index.html"
# Every table the aggregate rule writes (the book's reading contract, named by the code that
# writes them), and the build-wide overview of the paper's claims.
TABLE_NAMES = list(TABLE_COLUMNS)
CLAIMS_OVERVIEW = f"{RESULTS}/tables/{OVERVIEW_TABLE}.csv"
RESOLVED = {run.run_id: run.resolved for run in RUNS}


wildcard_constraints:
    experiment=r"[A-Za-z0-9_\-]+",
    env=r"[A-Za-z0-9_\-]+",
    model=r"[A-Za-z0-9_\-]+",
    seed=r"\d+",


def run_dir(run):
    """The results folder of one run of the runs table."""
    return RUN_DIR.format(
        experiment=run.experiment, env=run.env, model=run.model, seed=run.seed
    )


def resolved_config(wildcards):
    """The resolved config of one run."""
    run_id = f"{wildcards.experiment}/{wildcards.env}/{wildcards.model}/seed_{wildcards.seed}"
    return RESOLVED[run_id]


def training_params(wildcards):
    """What one run's training result depends on (a train job's params): a change retrains
    only that run, and analysis-only keys (threshold, summary window, preset name) retrain
    nothing."""
    return training_config(resolved_config(wildcards))


def train_threads(wildcards):
    """Cores a training job asks for: the run's `threads` (Atari's vector backend steps its
    games on them), at least the pipeline's torch threads."""
    torch_threads = config["training"]["torch_threads"]
    return max(torch_threads, resolved_config(wildcards).get("threads", torch_threads))


def train_priority(wildcards):
    """Longest training jobs first (their rough CPU seconds): started last, a long job (an
    Atari run) would train alone at the end of a build while the other cores idle."""
    return round(training_cpu_estimate_s(resolved_config(wildcards)))


def train_gpus(wildcards):
    """GPUs a training job asks the scheduler for: 1 unless its run config says cpu.

    `auto` asks for one too (the job then uses it if it sees one); on a cluster the slurm
    executor turns the `gpu` resource into `sbatch --gpus=<n>`.
    """
    return 0 if resolved_config(wildcards).get("device", "cpu") == "cpu" else 1


def experiment_run_configs(wildcards):
    """Run folder -> resolved config, for each run of one experiment under the current preset."""
    return {
        run_dir(r): r.resolved for r in RUNS if r.experiment == wildcards.experiment
    }


def experiment_run_dirs(wildcards):
    """Run folders of one experiment under the current preset."""
    return list(experiment_run_configs(wildcards))


def experiment_run_files(wildcards):
    return [
        f"{d}/{name}"
        for d in experiment_run_dirs(wildcards)
        for name in ("monitor.csv", "run.json")
    ]


def all_tables():
    return expand(
        f"{TABLES}/{{name}}.csv", experiment=list(EXPERIMENTS), name=TABLE_NAMES
    )


def all_figures():
    # Each figure is the output of one rule in plot.smk (the Fig. 5 comparison, the rolling mean).
    return expand(
        f"{FIGURES}/{{name}}.png",
        experiment=list(EXPERIMENTS),
        name=["fig5", "rolling"],
    )


def all_run_infos():
    return [f"{run_dir(r)}/run.json" for r in RUNS]


def experiment_setting(key):
    """A setting shared by all runs of an experiment (from its resolved config)."""

    def lookup(wildcards):
        for run in RUNS:
            if run.experiment == wildcards.experiment:
                return run.resolved[key]
        raise ValueError(f"no runs for experiment {wildcards.experiment!r}")

    return lookup


def experiment_num_workers(wildcards):
    """Parallel environments of an experiment's runs (ppo.num_workers of its first run)."""
    return experiment_setting("ppo")(wildcards)["num_workers"]


def experiment_random_episodes(wildcards):
    """Episodes the random-policy baseline plays (the preset's, else the experiment's)."""
    return EXPERIMENTS[wildcards.experiment].random_episodes(PIPELINE.preset)


def experiment_roster(wildcards):
    """Every model of an experiment file with its role, kind and frames (claims and figures
    find models by role)."""
    return EXPERIMENTS[wildcards.experiment].roster


def report_sources():
    """The book's source files and the code its pages run (src/iam_repro/report/): an edit
    to either rebuilds the book, nothing else."""
    pages = (
        p
        for p in Path(REPORT_SRC).rglob("*")
        if p.is_file()
        and not {"_build", "__pycache__", ".ipynb_checkpoints"} & set(p.parts)
    )
    code = Path(SRC, "iam_repro", "report").rglob("*.py")
    return sorted(str(p) for p in (*pages, *code))


# Archived builds (workflow/rules/archive.smk).
ARCHIVE_SRC = Path(workflow.basedir, "report", "archive")
ARCHIVE_OUT = f"{RESULTS}/archive/{{archive}}"
ARCHIVE_TABLES = f"{ARCHIVE_OUT}/tables/{{experiment}}"


def _archived_experiments(folder):
    """The experiments an archive holds tables of (each with its curves_summary.csv)."""
    tables = folder / "tables"
    if not tables.is_dir():
        return []
    return sorted(
        p.name for p in tables.iterdir() if (p / "curves_summary.csv").is_file()
    )


ARCHIVES = {
    folder.name: _archived_experiments(folder)
    for folder in sorted(ARCHIVE_SRC.iterdir())
    if folder.is_dir() and _archived_experiments(folder)
}


def archive_files():
    """Every archived table, copied into the results, and the figures drawn from them."""
    files = []
    for name, experiments in ARCHIVES.items():
        source = ARCHIVE_SRC / name / "tables"
        files += [
            f"{RESULTS}/archive/{name}/tables/{path.relative_to(source)}"
            for path in sorted(source.rglob("*"))
            if path.suffix in (".csv", ".json")
        ]
        files += expand(
            f"{RESULTS}/archive/{name}/figures/{{experiment}}/{{figure}}.png",
            experiment=experiments,
            figure=["fig5", "rolling"],
        )
    return files


def archive_env(wildcards):
    """The env the archived runs were made with, read from their own run records: the
    archive must draw in any build, whatever experiment files that build has."""
    runs = ARCHIVE_SRC / wildcards.archive / "runs" / wildcards.experiment
    regenerate = (
        "regenerate the archive with scripts/archive_paper_scale.sh, which copies each "
        "run's run.json there"
    )
    envs = {
        read_run_info(record, fix=regenerate)["config"]["env"]["name"]
        for record in sorted(runs.glob("*/seed_*.json"))
    }
    if len(envs) != 1:
        raise ValueError(
            f"{runs}: the archive's run records name the envs {sorted(envs)}, not one. "
            f"To fix: {regenerate}."
        )
    return {"name": envs.pop()}


def archive_budget(wildcards):
    """How far the archived runs went (compute.csv's steps per worker)."""
    compute = (
        ARCHIVE_SRC
        / wildcards.archive
        / "tables"
        / wildcards.experiment
        / "compute.csv"
    )
    return {"steps_per_worker": int(pd.read_csv(compute)["steps_per_worker"].max())}
