"""The configuration's value types and its one error type.

Only standard-library imports (and :mod:`.digest`), so that any module of the package, and any
caller that only passes these objects around, can import them cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iam_repro.config.digest import config_digest

__all__ = ["AggregationSettings", "ConfigError", "PipelineConfig", "Run", "TrainingSettings"]


class ConfigError(ValueError):
    """A user-fixable configuration problem, with one paragraph naming file, key and fix.

    Attributes:
        file: The file that holds the problem (as the user would type its path).
        key: The key path inside it, e.g. ``models.IAM.dset[3]`` ("" for the whole file).
        problem: What is wrong.
        fix: What to change.
    """

    def __init__(self, file: str | Path, key: str, problem: str, fix: str) -> None:
        # Keys and values come from the user's file: escape control characters (a key "\n")
        # so that the message stays one line.
        self.file = _printable(str(file))
        self.key = _printable(key)
        self.problem = _printable(problem)
        self.fix = _printable(fix)
        where = f"{self.file}, key '{self.key}'" if self.key else self.file
        super().__init__(f"{where}: {self.problem}. Fix: {self.fix}")


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@dataclass(frozen=True)
class AggregationSettings:
    """How episode logs are summarised (config.yaml `aggregation`)."""

    rolling_window_episodes: int
    """Episodes (all workers) in the rolling average of the smooth curves."""
    confidence: float
    """Confidence level of the across-seed bootstrap intervals, in (0, 1)."""
    bootstrap_resamples: int
    """Bootstrap resamples per interval."""


@dataclass(frozen=True)
class TrainingSettings:
    """Per-job settings that do not change a run's result (config.yaml `training`)."""

    torch_threads: int
    """Torch threads per training job."""
    progress_interval_s: float
    """Seconds between progress lines in a training log."""
    checkpoint_interval_s: float
    """Least seconds between two training checkpoints (0: after every update)."""


@dataclass(frozen=True)
class PipelineConfig:
    """The validated config.yaml."""

    path: str
    """The file it came from, for messages."""
    preset: str
    """Preset applied to every experiment."""
    experiments: str | tuple[str, ...]
    """``"all"`` or the selected experiment file stems."""
    experiments_dir: Path
    """Folder of the experiment files (relative paths: to the working directory)."""
    results_dir: Path
    """Folder the DAG writes to."""
    aggregation: AggregationSettings
    training: TrainingSettings
    seeds: tuple[int, ...] | None = None
    """Seeds that replace every preset's own (config `seeds`); None: each preset's."""


@dataclass(frozen=True)
class Run:
    """One training run: experiment x model x seed under a preset.

    Attributes:
        experiment, env, model, seed: The four wildcards of the run's results folder.
        resolved: The run's complete configuration (see :func:`iam_repro.config.runs_table`).
    """

    experiment: str
    env: str
    model: str
    seed: int
    resolved: dict[str, Any] = field(repr=False, compare=False)

    @property
    def run_id(self) -> str:
        """``{experiment}/{env}/{model}/seed_{seed}``, also the results sub-folder."""
        return self.resolved["run_id"]

    @property
    def digest(self) -> str:
        """:func:`~iam_repro.config.digest.config_digest` of the resolved config."""
        return config_digest(self.resolved)
