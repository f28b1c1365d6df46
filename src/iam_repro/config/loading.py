"""Reading the user's files into validated objects.

The user writes two kinds of files:

- ``config/config.yaml`` (the Snakemake ``configfile``): which experiments, which preset, and
  settings shared by all runs -> :func:`load_config` -> :class:`PipelineConfig`.
- ``config/experiments/<name>.yaml``: one environment, its models, seeds, budget and presets ->
  :func:`load_experiment` / :func:`load_experiments` -> :class:`Experiment`.

Both are read without unsafe tags or duplicate keys, checked for values JSON cannot hold, then
against the packaged JSON schemas (:mod:`.schema`), then semantically (:mod:`.checks`). Every
problem is raised as one :class:`ConfigError` whose message names the file, the key path, what
is wrong and the fix -- never a bare schema traceback. Command-line overrides arrive through
Snakemake's ``--config`` as values of config.yaml.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from iam_repro.config.checks import check_semantics
from iam_repro.config.experiment import Experiment
from iam_repro.config.schema import load_schema, schema_source
from iam_repro.config.suggestions import did_you_mean
from iam_repro.config.types import (
    AggregationSettings,
    ConfigError,
    PipelineConfig,
    TrainingSettings,
)
from iam_repro.config.validation import check_plain, validate
from iam_repro.envs import ENV_NAMES

__all__ = [
    "experiment_from_dict",
    "load_config",
    "load_experiment",
    "load_experiments",
    "read_yaml_file",
]

#: What an experiment name (a file stem, and a folder name of its results) may look like.
_NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]*"


def load_config(
    config: Mapping[str, Any], *, config_path: str = "config/config.yaml"
) -> PipelineConfig:
    """Validate the pipeline config (Snakemake's ``config`` dict, after ``--config``).

    Args:
        config: The parsed config.yaml, with command-line overrides applied.
        config_path: The file name used in error messages.

    Returns:
        The validated config.

    Raises:
        ConfigError: A key is unknown, missing, or has a wrong type or value.
    """
    data = dict(config)
    if isinstance(data.get("seeds"), list):  # `--config 'seeds=[0,1]'` gives the items as text
        data["seeds"] = [int(s) if isinstance(s, str) and s.isdigit() else s for s in data["seeds"]]
    check_plain(data, [], config_path)
    validate(data, load_schema("config"), config_path)
    experiments = data["experiments"]
    agg, train = data["aggregation"], data["training"]
    return PipelineConfig(
        path=config_path,
        preset=data["preset"],
        experiments="all"
        if experiments == "all"
        else tuple([experiments] if isinstance(experiments, str) else experiments),
        experiments_dir=Path(data["experiments_dir"]),
        results_dir=Path(data["results_dir"]),
        aggregation=AggregationSettings(
            rolling_window_episodes=agg["rolling_window_episodes"],
            confidence=float(agg["confidence"]),
            bootstrap_resamples=agg["bootstrap_resamples"],
        ),
        training=TrainingSettings(
            torch_threads=train["torch_threads"],
            progress_interval_s=float(train["progress_interval_s"]),
            checkpoint_interval_s=float(train["checkpoint_interval_s"]),
        ),
        seeds=None if data.get("seeds", "preset") == "preset" else tuple(data["seeds"]),
    )


def load_experiments(
    config: PipelineConfig, *, known_envs: Sequence[str] = ENV_NAMES
) -> list[Experiment]:
    """Load the experiments `config` selects, sorted by name.

    Args:
        config: The pipeline config; ``experiments: all`` takes every ``*.yaml`` file of
            ``experiments_dir``, otherwise the named file stems.
        known_envs: Environment names an experiment may use (default: every environment
            `iam_repro.envs.ENVS` registers).

    Raises:
        ConfigError: The folder or a named file is missing, no experiment is selected, or an
            experiment file is invalid.
    """
    folder = config.experiments_dir
    if not folder.is_dir():
        raise ConfigError(
            config.path,
            "experiments_dir",
            f"the folder '{folder}' does not exist (relative paths are taken from {Path.cwd()})",
            "point experiments_dir at the folder of experiment files, or create it with one "
            "<name>.yaml file per experiment.",
        )
    available = sorted(p.stem for p in folder.glob("*.yaml") if p.is_file())
    if config.experiments == "all":
        if not available:
            raise ConfigError(
                config.path,
                "experiments_dir",
                f"the folder '{folder}' holds no experiment files (*.yaml)",
                "add one <name>.yaml file per experiment there (see "
                f"{schema_source('experiment')}), or point experiments_dir elsewhere.",
            )
        stems = available
    else:
        stems = sorted(config.experiments)
        for i, stem in enumerate(config.experiments):
            if stem not in available:
                key = "experiments" if len(config.experiments) == 1 else f"experiments[{i}]"
                other_ext = [p.name for p in folder.glob(f"{_glob_escape(stem)}.*")]
                hint = (
                    f" There is {other_ext[0]}; experiment files must end in .yaml."
                    if other_ext
                    else ""
                )
                suggestion = did_you_mean(stem, available)
                raise ConfigError(
                    config.path,
                    key,
                    f"there is no experiment file '{folder / (stem + '.yaml')}'",
                    (f"did you mean '{suggestion}'? " if suggestion else "")
                    + f"Experiment files in {folder}: {', '.join(available) or '(none)'}; use "
                    f"their names without .yaml, or experiments: all.{hint}",
                )
    return [load_experiment(folder / f"{stem}.yaml", known_envs=known_envs) for stem in stems]


def read_yaml_file(path: Path, *, missing_fix: str) -> Any:
    """A YAML file's data (None when empty), read without unsafe tags or duplicate keys.

    Raises:
        ConfigError: The file is missing (`missing_fix` says what to do), unreadable, or not
            valid YAML; the message names the line and column.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            path,
            "",
            "the file does not exist",
            missing_fix,
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            path, "", f"the file cannot be read ({exc})", "make it a readable UTF-8 text file."
        ) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: safe
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if isinstance(exc, _DuplicateKeyError):
            raise ConfigError(
                path,
                "",
                f"{reason}{at}",
                "keep only one of them (YAML would silently use the last one).",
            ) from None
        raise ConfigError(
            path,
            "",
            f"the file is not valid YAML{at}: {reason}",
            "correct the YAML syntax there (indentation, colons, brackets, quotes).",
        ) from None
    return data


def load_experiment(path: str | Path, *, known_envs: Sequence[str] = ENV_NAMES) -> Experiment:
    """Read and validate one experiment file; its stem is the experiment's name.

    Args:
        path: The experiment file.
        known_envs: Environment names an experiment may use (default: every environment
            `iam_repro.envs.ENVS` registers).

    Raises:
        ConfigError: The file is missing, is not valid YAML, or is not a valid experiment.
    """
    path = Path(path)
    data = read_yaml_file(
        path, missing_fix="create it, or remove its name from the pipeline config."
    )
    if data is None:
        raise ConfigError(
            path,
            "",
            "the file is empty",
            "write the experiment's keys into it (env, budget, seeds, models, presets, ...; see "
            f"{schema_source('experiment')} and config/experiments/warehouse.yaml).",
        )
    return experiment_from_dict(data, name=path.stem, source=path, known_envs=known_envs)


def experiment_from_dict(
    data: Any,
    *,
    name: str,
    source: str | Path = "<experiment>",
    known_envs: Sequence[str] = ENV_NAMES,
) -> Experiment:
    """Validate an already parsed experiment mapping (what :func:`load_experiment` does after
    reading the file).

    Args:
        data: The parsed experiment file.
        name: The experiment name (the file stem).
        source: The file name used in messages and stored as ``Experiment.path``.
        known_envs: Environment names an experiment may use.

    Raises:
        ConfigError: Any schema or semantic violation (see the module docstring).
    """
    source = Path(source)
    if not isinstance(name, str) or not re.fullmatch(_NAME_PATTERN, name):
        raise ConfigError(
            source,
            "",
            f"the experiment name '{name}' (the file name without .yaml) is not allowed",
            "rename the file to letters, digits, '_' and '-' (it becomes a folder "
            "name), starting with a letter or digit.",
        )
    check_plain(data, [], source)
    validate(data, load_schema("experiment"), source)
    check_semantics(data, source, known_envs)
    # A private copy: the caller may go on editing its dict.
    return Experiment(name=name, path=source, spec=copy.deepcopy(data))


def _glob_escape(text: str) -> str:
    """`text` with glob metacharacters escaped (for Path.glob)."""
    return re.sub(r"([\[\]*?])", r"[\1]", text)


class _DuplicateKeyError(yaml.constructor.ConstructorError):
    """A key given twice in one mapping."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # unhashable key: let the base class report it
                continue
            if duplicate:
                raise _DuplicateKeyError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"the key {key!r} appears twice",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)
