"""Snakemake adapter: one training run (rule train)."""

import sys
from pathlib import Path

from iam_repro.jobs.errors import user_errors
from iam_repro.jobs.log import line_logger
from iam_repro.jobs.training import run_training
from iam_repro.ppo.trainer import TrainingInterrupted

sm = snakemake  # noqa: F821 (injected by Snakemake)
# Read from the config, not params: they do not change results, so must not trigger reruns.
training = sm.config["training"]
step = f"training run {sm.params.resolved['run_id']}"
try:
    with user_errors(step), line_logger(sm.log[0]) as emit:
        run_training(
            sm.params.resolved,
            Path(sm.output.monitor).parent,
            emit=emit,
            # The job's cores (the run's `threads`) step its games; torch keeps its own count.
            torch_threads=min(training["torch_threads"], sm.threads),
            env_threads=sm.threads,
            progress_interval_s=training["progress_interval_s"],
            checkpoint_interval_s=training["checkpoint_interval_s"],
            stop_on_signals=True,
        )
except TrainingInterrupted as stop:  # SIGTERM/SIGINT: not a bug, the checkpoint is saved
    sys.exit(f"iam-repro: {stop}; rerun snakemake to resume from the checkpoint")
