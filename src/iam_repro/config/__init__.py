"""Pipeline and experiment configuration: load, validate, and resolve into a runs table.

The user writes ``config/config.yaml`` (:func:`load_config` -> :class:`PipelineConfig`) and one
``config/experiments/<name>.yaml`` per experiment (:func:`load_experiment` /
:func:`load_experiments` -> :class:`Experiment`); :func:`runs_table` expands them into one
:class:`Run` per experiment x model x seed of a preset, each with its complete resolved config.
Every problem is one :class:`ConfigError` naming the file, the key and the fix.

Modules, each importing only those listed before it:

- :mod:`.digest`: digests of a resolved config (standard library only);
- :mod:`.types`: ConfigError, PipelineConfig, Run and the settings records;
- :mod:`.suggestions`: "did you mean ...?" fixes;
- :mod:`.schema`: the packaged JSON schemas and the strict validator;
- :mod:`.validation`: schema violations worded as ConfigErrors;
- :mod:`.checks`: semantic checks and the PPO override order;
- :mod:`.experiment`: Experiment, its resolved runs, the runs table;
- :mod:`.loading`: reading the files into validated objects;
- :mod:`.deviations`: where a resolved run departs from the paper's protocol.

The names below are imported on first use, so that ``from iam_repro.config.digest import ...``
(as `iam_repro.io` and `iam_repro.ppo` do) does not load jsonschema, pandas and the
environments.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iam_repro.config.digest import (
        ANALYSIS_KEYS,
        canonical_json,
        config_digest,
        training_config,
        trajectory_digest,
    )
    from iam_repro.config.experiment import Experiment, runs_dataframe, runs_table
    from iam_repro.config.loading import (
        experiment_from_dict,
        load_config,
        load_experiment,
        load_experiments,
        read_yaml_file,
    )
    from iam_repro.config.schema import SCHEMA_DIR
    from iam_repro.config.types import (
        AggregationSettings,
        ConfigError,
        PipelineConfig,
        Run,
        TrainingSettings,
    )

#: Public name -> the submodule that defines it.
_EXPORTS: dict[str, str] = {
    "ANALYSIS_KEYS": "digest",
    "canonical_json": "digest",
    "config_digest": "digest",
    "training_config": "digest",
    "trajectory_digest": "digest",
    "AggregationSettings": "types",
    "ConfigError": "types",
    "PipelineConfig": "types",
    "Run": "types",
    "TrainingSettings": "types",
    "SCHEMA_DIR": "schema",
    "Experiment": "experiment",
    "runs_dataframe": "experiment",
    "runs_table": "experiment",
    "experiment_from_dict": "loading",
    "load_config": "loading",
    "load_experiment": "loading",
    "load_experiments": "loading",
    "read_yaml_file": "loading",
}

__all__ = [
    "ANALYSIS_KEYS",
    "SCHEMA_DIR",
    "AggregationSettings",
    "ConfigError",
    "Experiment",
    "PipelineConfig",
    "Run",
    "TrainingSettings",
    "canonical_json",
    "config_digest",
    "experiment_from_dict",
    "load_config",
    "load_experiment",
    "load_experiments",
    "read_yaml_file",
    "runs_dataframe",
    "runs_table",
    "training_config",
    "trajectory_digest",
]


def __getattr__(name: str) -> Any:
    """Import a public name's submodule on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
