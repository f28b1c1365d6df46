"""A validated experiment, and its expansion into the runs of a preset.

:func:`runs_table` expands experiments into one :class:`~iam_repro.config.types.Run` per
experiment x model x seed of a preset. Each run's ``resolved`` dict is the complete,
JSON-serialisable configuration of that run: the preset's budget, seeds, models, device,
summary_window and threshold replace the experiment's, and the PPO settings are merged as
:mod:`iam_repro.config.checks` describes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from iam_repro.config.checks import check_run_ppo, preset_budget, preset_schedule
from iam_repro.config.digest import canonical_json
from iam_repro.config.schema import model_defaults
from iam_repro.config.suggestions import choose_fix
from iam_repro.config.types import ConfigError, Run

__all__ = ["RANDOM_EPISODES", "Experiment", "runs_dataframe", "runs_table"]

#: Episodes a uniformly random policy plays per experiment when its file does not say.
RANDOM_EPISODES = 100


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

    def random_episodes(self, preset: str) -> int:
        """Episodes of the uniformly random policy that the preset's "above random" check plays
        (preset, then experiment, then :data:`RANDOM_EPISODES`)."""
        return int(
            self._preset(preset).get(
                "random_episodes", self.spec.get("random_episodes", RANDOM_EPISODES)
            )
        )

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
                choose_fix(model, self.model_names, "model"),
            )
        model_spec = _model_with_defaults(spec["models"][model])
        budget, budget_key = preset_budget(spec, preset)
        schedule = preset_schedule(spec, preset)
        # Validated at load for the preset's own models; checked again for any other pairing.
        ppo = check_run_ppo(spec, self.path, model, preset, budget, budget_key)
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
        # Written only when not the default, so that runs made before these keys keep their
        # digests: bf16 changes results; threads (EXECUTION_KEYS) only how fast they come.
        precision = p.get("precision", spec.get("precision", "fp32"))
        if precision != "fp32":
            resolved["precision"] = precision
        threads = p.get("threads", spec.get("threads"))
        if threads is not None:
            resolved["threads"] = threads
        # The JSON round trip detaches every list from `spec` and proves serialisability.
        return json.loads(canonical_json(resolved))

    def runs(self, preset: str, seeds: Sequence[int] | None = None) -> list[Run]:
        """One run per model x seed of `preset` (model order, then seed order, as written);
        `seeds` replaces the preset's seeds."""
        return [
            Run(self.name, self.env, model, seed, self.resolve(model, preset, seed))
            for model in self.preset_models(preset)
            for seed in (self.preset_seeds(preset) if seeds is None else seeds)
        ]

    def _preset(self, preset: str) -> dict[str, Any]:
        if preset not in self.spec["presets"]:
            raise ConfigError(
                self.path,
                "presets",
                f"preset '{preset}' (chosen by `preset` in the pipeline config or "
                f"`--config preset=...`) is not defined in this experiment",
                choose_fix(preset, self.preset_names, "preset")
                + f" Or add a `{preset}:` entry under `presets` ({{}} = run as written).",
            )
        return self.spec["presets"][preset]


def runs_table(
    experiments: Iterable[Experiment], preset: str, seeds: Sequence[int] | None = None
) -> list[Run]:
    """Expand experiments into runs: experiment x (preset's models) x (preset's seeds, or
    `seeds` where given: the pipeline config's `seeds`).

    Each run's ``resolved`` dict (JSON-serialisable; dump it with :func:`canonical_json`)::

        {
          "run_id": "warehouse/warehouse/IAM/seed_0",   # {experiment}/{env}/{model}/seed_{seed}
          "experiment": "warehouse",
          "env": {"name": "warehouse", "options": {"removal_quirk": true}},
          "model_name": "IAM",
          "role": "iam",                                        # analysis only
          "model": {"kind": "iam", "frames": 1, "fnn": [576, 256], "memory": 64,
                    "dset": [0, 49, ...], "cell": "lstm"},      # defaults filled, no `ppo`
          "seed": 0,
          "ppo": {...every PPOConfig field...},                 # defaults->exp->model->preset
          "budget": {"steps_per_worker": 2048, "schedule_steps_per_worker": 4000000},
          "device": "cpu",                                      # cpu | cuda | auto
          "precision": "bf16",            # only when not fp32 (conv trunks in bfloat16)
          "threads": 2,                   # only when set: the job's cores (not digested)
          "summary_window": 256,
          "threshold": 12.0,
          "preset": "smoke",
        }

    Args:
        experiments: Validated experiments (e.g. from :func:`~iam_repro.config.load_experiments`).
        preset: The preset to apply; it must be defined in every experiment.

    Returns:
        Runs in experiment order, then the preset's model order, then its seed order.

    Raises:
        ConfigError: An experiment does not define `preset`.
    """
    return [run for experiment in experiments for run in experiment.runs(preset, seeds)]


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


def _model_with_defaults(model: Mapping[str, Any]) -> dict[str, Any]:
    """The model spec without `ppo` and `role`, with the schema's defaults (frames, cell)
    filled in, so that writing a default explicitly gives the same resolved config."""
    out = {k: v for k, v in model.items() if k not in ("ppo", "role")}
    for key, default in model_defaults(model["kind"]).items():
        out.setdefault(key, default)
    return out
