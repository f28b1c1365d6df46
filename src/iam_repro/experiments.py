"""Pipeline and experiment configuration: load, validate, and resolve into a runs table.

The user writes two kinds of files:

- ``config/config.yaml`` (the Snakemake ``configfile``): which experiments, which preset, and
  settings shared by all runs -> :func:`load_config` -> :class:`PipelineConfig`.
- ``config/experiments/<name>.yaml``: one environment, its models, seeds, budget and presets ->
  :func:`load_experiment` / :func:`load_experiments` -> :class:`Experiment`.

Both are checked against the JSON schemas in ``workflow/schemas/`` and then semantically (known
environment, d-set indices within the observation, PPO settings, budget a multiple of the
rollout). Every problem is raised as one :class:`ConfigError` whose message names the file, the
key path, what is wrong and the fix -- never a bare schema traceback.

:func:`runs_table` expands the experiments into one :class:`Run` per experiment x model x seed
for a preset. Each run's ``resolved`` dict is the complete, JSON-serialisable configuration of
that run. PPO settings are merged in this order, later winning::

    PPOConfig defaults -> experiment `ppo` -> model `ppo` -> preset `ppo`

and the preset's budget, seeds, models, device, summary_window and threshold replace the
experiment's.
Command-line overrides arrive through Snakemake's ``--config`` as values of config.yaml.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import hashlib
import json
import math
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pandas as pd
import yaml
from jsonschema.exceptions import ValidationError

from iam_repro.ppo.config import PPOConfig
from iam_repro.reference import OTHER_ROLE, registry

__all__ = [
    "ANALYSIS_KEYS",
    "KNOWN_ENVS",
    "OBS_DIM",
    "SCHEMA_DIR",
    "AggregationSettings",
    "ConfigError",
    "Experiment",
    "PipelineConfig",
    "Run",
    "TrainingSettings",
    "canonical_json",
    "config_digest",
    "training_config",
    "trajectory_digest",
    "experiment_from_dict",
    "load_config",
    "load_experiment",
    "load_experiments",
    "read_yaml_file",
    "runs_dataframe",
    "runs_table",
]

#: The schemas live with the workflow (snakemake-workflows layout); the pipeline always runs
#: from a source checkout (editable install), so they are found relative to this file.
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "workflow" / "schemas"

#: Environments an experiment may name. Grows as `envs/` gains atari.
KNOWN_ENVS: tuple[str, ...] = ("warehouse", "traffic")

#: Length of one (unstacked) vector observation, for the d-set range check. Warehouse: 49 robot
#: position bits + 24 item bits (spec/warehouse.md); traffic: the 15-cell column and the 15-cell
#: row through the junction (spec/traffic.md, section 5). Environments without an entry (image
#: observations) skip the check.
OBS_DIM: dict[str, int] = {"warehouse": 73, "traffic": 30}

#: Keys of a resolved config that only the analysis reads: changing them must not make a
#: finished training run stale, so :func:`training_config` (a train job's params) and
#: :func:`config_digest` leave them out.
ANALYSIS_KEYS: tuple[str, ...] = ("preset", "summary_window", "threshold", "role")


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
        file, key, problem, fix = self.file, self.key, self.problem, self.fix
        where = f"{self.file}, key '{key}'" if key else self.file
        super().__init__(f"{where}: {problem}. Fix: {fix}")


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


# --------------------------------------------------------------------------------------------
# Result types


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


@dataclass(frozen=True)
class Experiment:
    """One validated experiment file.

    Attributes:
        name: The file stem; the ``experiment`` wildcard.
        path: The file it came from.
        spec: The validated mapping as written (defaults not filled in; see :meth:`resolve`).
    """

    name: str
    path: Path
    spec: dict[str, Any] = field(repr=False, compare=False)

    @property
    def env(self) -> str:
        """The environment name (the ``env`` wildcard)."""
        return self.spec["env"]["name"]

    @property
    def description(self) -> str:
        """The free-text description ("" when absent)."""
        return self.spec.get("description", "")

    @property
    def model_names(self) -> tuple[str, ...]:
        """All model names, in file order."""
        return tuple(self.spec["models"])

    @property
    def roster(self) -> dict[str, dict[str, Any]]:
        """Every model of the file: name -> its role, kind and stacked frames (models.csv)."""
        return {
            name: {"role": model["role"], "kind": model["kind"], "frames": model.get("frames", 1)}
            for name, model in self.spec["models"].items()
        }

    @property
    def preset_names(self) -> tuple[str, ...]:
        """All preset names, in file order."""
        return tuple(self.spec["presets"])

    def preset_models(self, preset: str) -> tuple[str, ...]:
        """The models a preset runs (all models unless the preset lists them)."""
        return tuple(self._preset(preset).get("models", self.model_names))

    def preset_seeds(self, preset: str) -> tuple[int, ...]:
        """The seeds a preset runs."""
        return tuple(self._preset(preset).get("seeds", self.spec["seeds"]))

    def resolve(self, model: str, preset: str, seed: int) -> dict[str, Any]:
        """The complete configuration of one run (layout: see :func:`runs_table`).

        Raises:
            ConfigError: `preset` or `model` is not defined in this experiment.
        """
        spec, p = self.spec, self._preset(preset)
        if model not in spec["models"]:
            raise ConfigError(
                self.path,
                "models",
                f"there is no model '{model}'",
                _choose_fix(model, self.model_names, "model"),
            )
        model_spec = _model_with_defaults(spec["models"][model])
        budget, budget_key = _budget(spec, preset)
        schedule = _schedule(spec, preset)
        # Validated at load for the preset's own models; checked again for any other pairing.
        ppo = _check_run_ppo(spec, self.path, model, preset, budget, budget_key)
        resolved = {
            "run_id": f"{self.name}/{self.env}/{model}/seed_{seed}",
            "experiment": self.name,
            "env": {"name": self.env, "options": spec["env"].get("options", {})},
            "model_name": model,
            # What the model stands for in the paper's claims (analysis only, ANALYSIS_KEYS).
            "role": spec["models"][model]["role"],
            "model": model_spec,
            "seed": seed,
            "ppo": ppo.to_dict(),
            # How far the run goes, and the span its learning-rate and clip decay follow.
            "budget": {"steps_per_worker": budget, "schedule_steps_per_worker": schedule},
            "device": p.get("device", spec.get("device", "cpu")),
            "summary_window": p.get("summary_window", spec["summary_window"]),
            # A float always, so 35 and 35.0 give the same resolved config.
            "threshold": float(p.get("threshold", spec["threshold"])),
            "preset": preset,
        }
        # The JSON round trip detaches every list from `spec` and proves serialisability.
        return json.loads(canonical_json(resolved))

    def runs(self, preset: str) -> list[Run]:
        """One run per model x seed of `preset` (model order, then seed order, as written)."""
        return [
            Run(self.name, self.env, model, seed, self.resolve(model, preset, seed))
            for model in self.preset_models(preset)
            for seed in self.preset_seeds(preset)
        ]

    def _preset(self, preset: str) -> dict[str, Any]:
        if preset not in self.spec["presets"]:
            raise ConfigError(
                self.path,
                "presets",
                f"preset '{preset}' (chosen by `preset` in the pipeline config or "
                f"`--config preset=...`) is not defined in this experiment",
                _choose_fix(preset, self.preset_names, "preset")
                + f" Or add a `{preset}:` entry under `presets` ({{}} = run as written).",
            )
        return self.spec["presets"][preset]


@dataclass(frozen=True)
class Run:
    """One training run: experiment x model x seed under a preset.

    Attributes:
        experiment, env, model, seed: The four wildcards of the run's results folder.
        resolved: The run's complete configuration (see :func:`runs_table`).
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
        """:func:`config_digest` of the resolved config."""
        return config_digest(self.resolved)


# --------------------------------------------------------------------------------------------
# Public functions


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
    _check_plain(data, [], config_path)
    _validate(data, _schema("config"), config_path)
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
    )


def load_experiments(
    config: PipelineConfig, *, known_envs: Sequence[str] = KNOWN_ENVS
) -> list[Experiment]:
    """Load the experiments `config` selects, sorted by name.

    Args:
        config: The pipeline config; ``experiments: all`` takes every ``*.yaml`` file of
            ``experiments_dir``, otherwise the named file stems.
        known_envs: Environment names an experiment may use.

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
                "workflow/schemas/experiment.schema.yaml), or point experiments_dir elsewhere.",
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
                suggestion = _did_you_mean(stem, available)
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


def load_experiment(path: str | Path, *, known_envs: Sequence[str] = KNOWN_ENVS) -> Experiment:
    """Read and validate one experiment file; its stem is the experiment's name.

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
            "workflow/schemas/experiment.schema.yaml and config/experiments/warehouse.yaml).",
        )
    return experiment_from_dict(data, name=path.stem, source=path, known_envs=known_envs)


def experiment_from_dict(
    data: Any,
    *,
    name: str,
    source: str | Path = "<experiment>",
    known_envs: Sequence[str] = KNOWN_ENVS,
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
    _check_plain(data, [], source)
    _validate(data, _schema("experiment"), source)
    _check_semantics(data, source, known_envs)
    # A private copy: the caller may go on editing its dict.
    return Experiment(name=name, path=source, spec=copy.deepcopy(data))


def runs_table(experiments: Iterable[Experiment], preset: str) -> list[Run]:
    """Expand experiments into runs: experiment x (preset's models) x (preset's seeds).

    Each run's ``resolved`` dict (JSON-serialisable; dump it with :func:`canonical_json`)::

        {
          "run_id": "warehouse/warehouse/IAM/seed_0",   # {experiment}/{env}/{model}/seed_{seed}
          "experiment": "warehouse",
          "env": {"name": "warehouse", "options": {"removal_quirk": true}},
          "model_name": "IAM",
          "model": {"kind": "iam", "frames": 1, "fnn": [576, 256], "memory": 64,
                    "dset": [0, 49, ...], "cell": "lstm"},      # defaults filled, no `ppo`
          "seed": 0,
          "ppo": {...every PPOConfig field...},                 # defaults->exp->model->preset
          "budget": {"steps_per_worker": 2048},
          "device": "cpu",                                      # cpu | cuda | auto
          "summary_window": 256,
          "threshold": 12.0,
          "preset": "smoke",
        }

    Args:
        experiments: Validated experiments (e.g. from :func:`load_experiments`).
        preset: The preset to apply; it must be defined in every experiment.

    Returns:
        Runs in experiment order, then the preset's model order, then its seed order.

    Raises:
        ConfigError: An experiment does not define `preset`.
    """
    return [run for experiment in experiments for run in experiment.runs(preset)]


def runs_dataframe(runs: Iterable[Run]) -> pd.DataFrame:
    """The runs as a table: columns experiment, env, model, seed; index run_id."""
    runs = list(runs)
    frame = pd.DataFrame(
        {
            "experiment": [r.experiment for r in runs],
            "env": [r.env for r in runs],
            "model": [r.model for r in runs],
            "seed": np.array([r.seed for r in runs], dtype=np.int64),
        },
        index=pd.Index([r.run_id for r in runs], name="run_id", dtype=object),
    )
    return frame


def canonical_json(obj: Any) -> str:
    """Deterministic compact JSON: sorted keys, ASCII, no NaN/inf (they would not round-trip)."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def training_config(resolved: Mapping[str, Any]) -> dict[str, Any]:
    """What a training run's result depends on: the resolved config without the analysis-only
    keys (:data:`ANALYSIS_KEYS`). A train job's params, and the config its run.json records, so
    that changing a threshold, a summary window or a preset's name (same budget) retrains
    nothing."""
    return {k: v for k, v in resolved.items() if k not in ANALYSIS_KEYS}


def config_digest(resolved: Mapping[str, Any], *, exclude: Iterable[str] = ANALYSIS_KEYS) -> str:
    """The first 16 hex digits of the SHA-256 of the canonical JSON of a resolved config.

    Args:
        resolved: A run's resolved config.
        exclude: Top-level keys left out; by default the analysis-only ones
            (:data:`ANALYSIS_KEYS`), so that changing a plot threshold does not mark a finished
            training run as stale. Pass ``()`` to hash everything.
    """
    excluded = set(exclude)
    payload = {k: v for k, v in resolved.items() if k not in excluded}
    return hashlib.sha256(canonical_json(payload).encode("ascii")).hexdigest()[:16]


def trajectory_digest(resolved: Mapping[str, Any]) -> str:
    """:func:`config_digest` without the budget's length (``budget.steps_per_worker``).

    Two runs that differ only in how far they go follow the same trajectory up to the shorter
    one's end (the schedule's span is kept), so a checkpoint with this digest can be resumed to
    grow a finished run to a larger budget.
    """
    budget = {k: v for k, v in resolved["budget"].items() if k != "steps_per_worker"}
    return config_digest({**resolved, "budget": budget})


def _glob_escape(text: str) -> str:
    """`text` with glob metacharacters escaped (for Path.glob)."""
    return re.sub(r"([\[\]*?])", r"[\1]", text)


# --------------------------------------------------------------------------------------------
# Schemas

_NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]*"


def _is_integer(_checker: Any, instance: Any) -> bool:
    # Strict: JSON Schema would accept 2048.0 as an integer, which then leaks into paths
    # ("seed_1.0") and into the digest.
    return isinstance(instance, int) and not isinstance(instance, bool)


def _is_number(_checker: Any, instance: Any) -> bool:
    return (
        isinstance(instance, int | float)
        and not isinstance(instance, bool)
        and math.isfinite(instance)
    )


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"integer": _is_integer, "number": _is_number}
    ),
)


def _ppo_field_schemas() -> dict[str, Any]:
    """One JSON-schema property per PPOConfig field, from its type hint and default."""
    hints = typing.get_type_hints(PPOConfig)
    simple = {int: "integer", float: "number", bool: "boolean", type(None): "null"}
    phrase = {
        "integer": "a whole number >= 1",
        "number": "a number",
        "boolean": "true or false",
        "null": "null",
    }
    props: dict[str, Any] = {}
    for f in dataclasses.fields(PPOConfig):
        hint = hints[f.name]
        args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        json_types = [simple[a] for a in args]
        sub: dict[str, Any] = {"type": json_types[0] if len(json_types) == 1 else json_types}
        if "integer" in json_types:
            # Every integer PPO setting is a count (workers, steps, epochs) and PPOConfig
            # divides by several of them, so 0 must be caught before it gets there.
            sub["minimum"] = 1
        kinds = " or ".join(phrase[t] for t in json_types)
        sub["description"] = f"{kinds} (PPO setting '{f.name}', default {f.default!r})"
        props[f.name] = sub
    return props


@cache
def _schema(name: str) -> dict[str, Any]:
    path = SCHEMA_DIR / f"{name}.schema.yaml"
    schema = yaml.safe_load(path.read_text(encoding="utf-8"))
    schema["$comment"] = f"workflow/schemas/{path.name}"  # named in messages about the root
    if name == "experiment":
        schema["$defs"]["ppo"] = {
            "type": "object",
            "additionalProperties": False,
            "description": schema["$defs"]["ppo"]["description"],
            "properties": _ppo_field_schemas(),
        }
        schema["$defs"]["role"]["enum"] = list(registry().roles)
    _Validator.check_schema(schema)
    return schema


# --------------------------------------------------------------------------------------------
# Validation: plain data, schema, semantics


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


def _key_path(parts: Iterable[str | int]) -> str:
    out = ""
    for part in parts:
        # An empty key name ('': 1 in YAML) shows as "", or it would read as "the whole file".
        name = str(part) or '""'
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + name
    return out


def _check_plain(value: Any, path: list[str | int], source: str | Path) -> None:
    """Reject what YAML can express but JSON cannot (non-text keys, dates, NaN, ...)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ConfigError(
                    source,
                    _key_path([*path, str(key)]),
                    f"the key {key!r} is not text",
                    f"quote it: '{key}'.",
                )
            _check_plain(item, [*path, key], source)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_plain(item, [*path, i], source)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(
            source,
            _key_path(path),
            f"the value {value} is not a finite number",
            "use a finite number.",
        )
    elif not isinstance(value, str | int | float | bool | type(None)):
        raise ConfigError(
            source,
            _key_path(path),
            f"the value {value!r} is a {type(value).__name__}, which a config cannot hold",
            "quote it if you meant text.",
        )


def _validate(data: Any, schema: dict[str, Any], source: str | Path) -> None:
    errors = list(_Validator(schema).iter_errors(data))
    if not errors:
        return
    # The shallowest problem first: a wrong parent explains its children's errors.
    first = min(errors, key=lambda e: len(e.absolute_path))
    error = _error_to_config_error(first, schema, source)
    if len(errors) > 1:
        raise ConfigError(
            error.file,
            error.key,
            error.problem,
            f"{error.fix} ({len(errors) - 1} more problem(s) in this file are "
            f"reported once this one is fixed.)",
        )
    raise error


_TYPE_PHRASES = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of keys to values",
    "null": "null",
}


def _show(value: Any) -> str:
    """A short description of a config value for messages."""
    if value is None:
        return "an empty value (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text '{value if len(value) <= 40 else value[:37] + '...'}'"
    text = json.dumps(value, default=str)
    text = text if len(text) <= 40 else text[:37] + "..."
    return f"a list {text}" if isinstance(value, list) else f"a mapping {text}"


def _deref(sub: Any, root: dict[str, Any]) -> dict[str, Any]:
    """`sub` with a local ``$ref`` followed (siblings of the $ref win)."""
    if not isinstance(sub, dict):
        return {}
    while "$ref" in sub:
        target = root
        for part in sub["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        sub = {**target, **{k: v for k, v in sub.items() if k != "$ref"}}
    return sub


def _type_phrase(json_type: Any) -> str:
    kinds = [json_type] if isinstance(json_type, str) else list(json_type or [])
    return " or ".join(_TYPE_PHRASES.get(k, k) for k in kinds) or "a valid value"


def _expected(schema: Any, root: dict[str, Any]) -> str:
    """What a schema wants, in words: its description, else its JSON type."""
    if schema is root:  # the root's description is documentation, not a phrase
        return f"{_type_phrase(root.get('type'))} (see {root['$comment']})"
    schema = _deref(schema, root)
    return schema.get("description") or _type_phrase(schema.get("type"))


def _branch_matches(validator: Any, branch: dict[str, Any], instance: Any) -> bool:
    if "const" in branch:
        return type(branch["const"]) is type(instance)
    kinds = branch.get("type")
    if kinds is None:
        return True
    kinds = [kinds] if isinstance(kinds, str) else kinds
    return any(validator.is_type(instance, k) for k in kinds)


def _error_to_config_error(
    error: ValidationError, root: dict[str, Any], source: str | Path
) -> ConfigError:
    path = list(error.absolute_path)
    kind = error.validator
    inst = error.instance
    expected = _expected(error.schema, root)

    if kind in ("anyOf", "oneOf"):
        # Report inside the alternative that has the value's type (a list given for a
        # "list or 'all'" is judged as a list); without one, say what the alternatives are.
        validator = _Validator(root)
        for index, branch in enumerate(error.validator_value):
            branch = _deref(branch, root)
            if not _branch_matches(validator, branch, inst):
                continue
            inner = [e for e in error.context if e.relative_schema_path[0] == index]
            if inner:
                # A problem inside the value (dset[3]) is more specific than one with it.
                deeper = [e for e in inner if len(e.absolute_path) > len(path)]
                if deeper or inner[0].validator not in ("const", "enum"):
                    return _error_to_config_error((deeper or inner)[0], root, source)
                # A wrong word ("ALL"): the alternatives' description says more than the const.
                words = [b["const"] for b in error.validator_value if "const" in b]
                suggestion = _did_you_mean(str(inst), [str(w) for w in words])
                hint = f"did you mean '{suggestion}'? Otherwise " if suggestion else ""
                return ConfigError(
                    source,
                    _key_path(path),
                    f"{_show(inst)} is not allowed",
                    f"{hint}use {expected}.",
                )
            break
        return ConfigError(
            source,
            _key_path(path),
            f"{_show(inst)} is none of the allowed forms",
            f"use {expected}.",
        )

    if "propertyNames" in error.absolute_schema_path:
        return ConfigError(
            source,
            _key_path([*path, str(inst)]),
            f"the name '{inst}' is not allowed",
            f"rename it: use {expected}.",
        )

    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        unknown = [k for k in inst if k not in allowed]
        key = unknown[0]
        also = f" (also unknown: {', '.join(map(repr, unknown[1:]))})" if unknown[1:] else ""
        suggestion = _did_you_mean(key, allowed)
        fix = f"did you mean '{suggestion}'? " if suggestion else "remove it or rename it. "
        return ConfigError(
            source,
            _key_path([*path, key]),
            f"unknown key '{key}'{also}",
            fix + f"Allowed keys here: {', '.join(sorted(allowed))}.",
        )

    if kind == "required":
        missing = [k for k in error.validator_value if k not in inst]
        key = missing[0]
        what = _expected(error.schema.get("properties", {}).get(key, {}), root)
        under = f" under '{_key_path(path)}'" if path else ""
        return ConfigError(
            source,
            _key_path([*path, key]),
            "this required key is missing",
            f"add '{key}:'{under} with {what}.",
        )

    if kind == "type":
        return ConfigError(
            source,
            _key_path(path),
            f"expected {_type_phrase(error.validator_value)}, got {_show(inst)}",
            _type_fix(inst, error.validator_value, expected),
        )

    bounds = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
    if kind in bounds:
        op = bounds[kind]
        return ConfigError(
            source,
            _key_path(path),
            f"must be {op} {error.validator_value}, got {inst!r}",
            f"use {expected}.",
        )

    if kind in ("enum", "const"):
        choices = error.validator_value if kind == "enum" else [error.validator_value]
        suggestion = _did_you_mean(str(inst), [str(c) for c in choices])
        hint = f"did you mean '{suggestion}'? " if suggestion else ""
        return ConfigError(
            source,
            _key_path(path),
            f"'{inst}' is not allowed here",
            f"{hint}Allowed values: {', '.join(map(str, choices))}.",
        )

    if kind == "uniqueItems":
        seen, dups = [], []
        for item in inst:
            (dups if item in seen and item not in dups else seen).append(item)
        return ConfigError(
            source,
            _key_path(path),
            f"the list repeats {', '.join(map(repr, dups))}",
            f"list each value once ({expected}).",
        )

    if kind in ("minItems", "minProperties", "minLength"):
        noun = {list: "the list", dict: "the mapping"}.get(type(inst), "the text")
        problem = (
            f"{noun} is empty"
            if len(inst) == 0
            else f"{noun} has fewer than {error.validator_value}"
        )
        return ConfigError(source, _key_path(path), problem, f"use {expected}.")

    if kind == "pattern":
        return ConfigError(
            source, _key_path(path), f"{_show(inst)} is not allowed", f"use {expected}."
        )

    # A keyword the schemas do not use today: still one paragraph, with jsonschema's words.
    return ConfigError(source, _key_path(path), error.message, f"use {expected}.")


def _type_fix(instance: Any, json_type: Any, expected: str) -> str:
    wanted = {json_type} if isinstance(json_type, str) else set(json_type)
    if isinstance(instance, str) and wanted & {"integer", "number"}:
        try:
            number = float(instance.replace("_", ""))
        except ValueError:
            pass
        else:
            if re.fullmatch(r"[+-]?\d+[eE][+-]?\d+", instance.strip()):
                # YAML 1.1 (PyYAML) reads 1e-4 as text: it needs a decimal point.
                mantissa, exponent = re.split("[eE]", instance.strip())
                return (
                    f"YAML reads '{instance}' as text; write {mantissa}.0e{exponent} ({expected})."
                )
            shown = int(number) if number.is_integer() and "integer" in wanted else number
            return f"write it as a number without quotes: {shown} ({expected})."
    if isinstance(instance, float) and instance.is_integer() and "integer" in wanted:
        return f"write {int(instance)} without the decimal point ({expected})."
    return f"use {expected}."


def _did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest choice to `word` (case-insensitive), or None."""
    by_lower = {str(c).lower(): str(c) for c in choices}
    match = difflib.get_close_matches(str(word).lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[match[0]] if match else None


def _choose_fix(word: str, choices: Sequence[str], what: str) -> str:
    suggestion = _did_you_mean(word, choices)
    listed = ", ".join(choices) if choices else "(none)"
    head = f"did you mean '{suggestion}'? " if suggestion else ""
    return f"{head}Defined {what}s: {listed}."


def _model_with_defaults(model: Mapping[str, Any]) -> dict[str, Any]:
    """The model spec without `ppo`, with the schema's defaults (frames, cell) filled in, so
    that writing a default explicitly gives the same resolved config."""
    branch = _schema("experiment")["$defs"][f"{model['kind']}_model"]["properties"]
    out = {k: v for k, v in model.items() if k not in ("ppo", "role")}
    for key, sub in branch.items():
        if "default" in sub:
            out.setdefault(key, sub["default"])
    return out


def _ppo_layers(spec: Mapping[str, Any], model: str, preset: str) -> list[tuple[str, dict]]:
    """(key path, overrides) in merge order: experiment, model, preset."""
    return [
        ("ppo", spec.get("ppo", {})),
        (f"models.{model}.ppo", spec["models"][model].get("ppo", {})),
        (f"presets.{preset}.ppo", spec["presets"][preset].get("ppo", {})),
    ]


_PPO_FLOAT_FIELDS = {
    name
    for name, sub in _ppo_field_schemas().items()
    if "number" in ([sub["type"]] if isinstance(sub["type"], str) else sub["type"])
}


def _merge_ppo(layers: list[tuple[str, dict]]) -> tuple[dict[str, Any], dict[str, str]]:
    """The layered PPO overrides merged (later layers win), and the key path that set each."""
    merged: dict[str, Any] = {}
    set_by: dict[str, str] = {}
    for layer_path, overrides in layers:
        for key, value in overrides.items():
            # Floats always, so `c1: 1` and `c1: 1.0` resolve (and digest) alike.
            merged[key] = float(value) if key in _PPO_FLOAT_FIELDS and value is not None else value
            set_by[key] = f"{layer_path}.{key}"
    return merged, set_by


def _budget(spec: Mapping[str, Any], preset: str) -> tuple[int, str]:
    """A preset's budget in steps per worker, and the key path that sets it."""
    if "budget" in spec["presets"][preset]:
        return (
            spec["presets"][preset]["budget"]["steps_per_worker"],
            f"presets.{preset}.budget.steps_per_worker",
        )
    return spec["budget"]["steps_per_worker"], "budget.steps_per_worker"


def _schedule(spec: Mapping[str, Any], preset: str) -> int:
    """Steps per worker over which a preset's runs decay the learning rate and clip range.

    A preset's own `budget.schedule_steps_per_worker` wins; otherwise the experiment's (whose
    default is its `budget.steps_per_worker`, the paper's budget). So a shorter preset follows
    the paper's schedule and stops early, unless it says otherwise.
    """
    top = spec["budget"]
    own = spec["presets"][preset].get("budget", {})
    return own.get(
        "schedule_steps_per_worker", top.get("schedule_steps_per_worker", top["steps_per_worker"])
    )


def _check_semantics(spec: dict[str, Any], source: Path, known_envs: Sequence[str]) -> None:
    """What the schema cannot express; `spec` has passed the schema."""
    env = spec["env"]["name"]
    if env not in known_envs:
        raise ConfigError(
            source,
            "env.name",
            f"unknown environment '{env}'",
            _choose_fix(env, list(known_envs), "environment").replace(
                "Defined environments", "Known environments"
            ),
        )

    played_by: dict[str, str] = {}
    for name, model in spec["models"].items():
        role = model["role"]
        if role != OTHER_ROLE and role in played_by:
            raise ConfigError(
                source,
                f"models.{name}.role",
                f"role '{role}' is already played by model '{played_by[role]}'; claims compare "
                f"one model per role",
                f"give one of them another role, or `role: {OTHER_ROLE}` (a model no claim is "
                f"about).",
            )
        played_by[role] = name

    obs_dim = OBS_DIM.get(env)
    for name, model in spec["models"].items():
        dset = model.get("dset")
        if obs_dim is None or not isinstance(dset, list):
            continue
        for i, index in enumerate(dset):
            if index >= obs_dim:
                raise ConfigError(
                    source,
                    f"models.{name}.dset[{i}]",
                    f"index {index} is out of range for the {env} observation "
                    f"({obs_dim} values, indices 0..{obs_dim - 1})",
                    f"use indices from 0 to {obs_dim - 1} (d-set indices refer to one, the "
                    f"newest, observation), or dset: all.",
                )

    for preset_name, preset in spec["presets"].items():
        for i, model in enumerate(preset.get("models", [])):
            if model not in spec["models"]:
                raise ConfigError(
                    source,
                    f"presets.{preset_name}.models[{i}]",
                    f"there is no model '{model}' under `models`",
                    _choose_fix(model, list(spec["models"]), "model"),
                )

    for preset_name, preset in spec["presets"].items():
        budget, budget_key = _budget(spec, preset_name)
        window_key = (
            f"presets.{preset_name}.summary_window"
            if "summary_window" in preset
            else "summary_window"
        )
        window = preset.get("summary_window", spec["summary_window"])
        if window > budget:
            raise ConfigError(
                source,
                window_key,
                f"summary_window ({window}) is larger than the budget under preset "
                f"'{preset_name}' ({budget_key} = {budget}), so no summary "
                f"window would ever be complete",
                f"use a summary_window of at most {budget}, or raise the budget.",
            )
        for model in preset.get("models", list(spec["models"])):
            _check_run_ppo(spec, source, model, preset_name, budget, budget_key)


def _check_run_ppo(
    spec: dict[str, Any], source: Path, model: str, preset: str, budget: int, budget_key: str
) -> PPOConfig:
    """The merged PPOConfig of one model under one preset, checked against the budget."""
    layers = _ppo_layers(spec, model, preset)
    order = " -> ".join(["defaults"] + [path for path, overrides in layers if overrides])
    merged, set_by = _merge_ppo(layers)
    try:
        ppo = PPOConfig.from_dict(merged)
    except (ValueError, ArithmeticError, TypeError) as exc:
        # PPOConfig names the fields of the broken constraint; point at where they were set.
        message = str(exc).removeprefix("invalid PPO settings: ")
        keys = [path for name, path in set_by.items() if re.search(rf"\b{name}\b", message)]
        key = ", ".join(keys) if keys else " / ".join(path for path, _ in layers)
        raise ConfigError(
            source,
            key,
            f"the PPO settings of model '{model}' under preset '{preset}' (merged {order}) are "
            f"invalid: {message}",
            "change the value(s) named so that the constraint holds (PPOConfig in "
            "src/iam_repro/ppo/config.py documents each setting).",
        ) from None
    memory = ppo.memory_size
    if budget % memory:
        lower, upper = budget // memory * memory, (budget // memory + 1) * memory
        nearest = f"{lower} or {upper}" if lower else f"{upper}"
        memory_key = set_by.get("memory_size", "the PPOConfig default")
        raise ConfigError(
            source,
            budget_key,
            f"the budget {budget} (steps per worker) of model '{model}' under preset '{preset}' "
            f"is not a multiple of ppo.memory_size = {memory} ({memory_key}); training "
            f"collects whole rollouts of memory_size steps, so it would overshoot the budget",
            f"set it to {nearest} (multiples of {memory}).",
        )
    return ppo
