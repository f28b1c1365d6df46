"""What the schema cannot express, and the PPO settings each run gets.

Semantic checks of an experiment that has passed its schema: a known environment, one model
per role, d-set indices within the environment's observation, preset model names, a summary
window within the budget, and, for every model under every preset, valid merged PPO settings
whose rollout divides the budget.

PPO settings are merged in this order, later winning::

    PPOConfig defaults -> experiment `ppo` -> model `ppo` -> preset `ppo`

and the preset's budget and schedule replace the experiment's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from iam_repro.config.schema import ppo_field_schemas
from iam_repro.config.suggestions import choose_fix
from iam_repro.config.types import ConfigError
from iam_repro.envs import ENVS
from iam_repro.ppo.config import PPOConfig
from iam_repro.reference import OTHER_ROLE

__all__ = ["check_run_ppo", "check_semantics", "preset_budget", "preset_schedule"]


def _ppo_layers(spec: Mapping[str, Any], model: str, preset: str) -> list[tuple[str, dict]]:
    """(key path, overrides) in merge order: experiment, model, preset."""
    return [
        ("ppo", spec.get("ppo", {})),
        (f"models.{model}.ppo", spec["models"][model].get("ppo", {})),
        (f"presets.{preset}.ppo", spec["presets"][preset].get("ppo", {})),
    ]


_PPO_FLOAT_FIELDS = {
    name
    for name, sub in ppo_field_schemas().items()
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


def preset_budget(spec: Mapping[str, Any], preset: str) -> tuple[int, str]:
    """A preset's budget in steps per worker, and the key path that sets it."""
    if "budget" in spec["presets"][preset]:
        return (
            spec["presets"][preset]["budget"]["steps_per_worker"],
            f"presets.{preset}.budget.steps_per_worker",
        )
    return spec["budget"]["steps_per_worker"], "budget.steps_per_worker"


def preset_schedule(spec: Mapping[str, Any], preset: str) -> int:
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


def check_semantics(spec: dict[str, Any], source: Path, known_envs: Sequence[str]) -> None:
    """Check what the schema cannot express (see the module docstring).

    Args:
        spec: An experiment mapping that has passed the experiment schema.
        source: The file name used in messages.
        known_envs: Environment names an experiment may use. d-set indices are checked for
            the environments whose observation length `iam_repro.envs.ENVS` declares.

    Raises:
        ConfigError: The first problem found.
    """
    env = spec["env"]["name"]
    if env not in known_envs:
        raise ConfigError(
            source,
            "env.name",
            f"unknown environment '{env}'",
            choose_fix(env, list(known_envs), "environment").replace(
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

    _check_image_models(spec, source, env)

    obs_dim = ENVS[env].obs_dim if env in ENVS else None
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
                    choose_fix(model, list(spec["models"]), "model"),
                )

    for preset_name, preset in spec["presets"].items():
        budget, budget_key = preset_budget(spec, preset_name)
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
            check_run_ppo(spec, source, model, preset_name, budget, budget_key)


def check_run_ppo(
    spec: dict[str, Any], source: Path, model: str, preset: str, budget: int, budget_key: str
) -> PPOConfig:
    """The merged PPOConfig of one model under one preset, checked against the budget.

    Args:
        spec: An experiment mapping that has passed the experiment schema.
        source: The file name used in messages.
        model: A model of `spec`.
        preset: A preset of `spec`.
        budget: The preset's budget in steps per worker (:func:`preset_budget`).
        budget_key: The key path that sets `budget`, for the message.

    Raises:
        ConfigError: The merged settings are invalid, or their rollout (memory_size) does not
            divide the budget.
    """
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


def _check_image_models(spec: dict[str, Any], source: Path, env: str) -> None:
    """Image observations need a conv trunk, vectors must not have one; spatial attention
    needs both an image and its size."""
    image = env in ENVS and ENVS[env].frame_shape is not None
    if not image:
        places = [("precision", spec)] + [
            (f"presets.{name}.precision", preset) for name, preset in spec["presets"].items()
        ]
        for key, where in places:
            if where.get("precision", "fp32") != "fp32":
                raise ConfigError(
                    source,
                    key,
                    f"precision {where['precision']} casts convolutions, and the {env} "
                    "environment's models have none",
                    "remove `precision` (or set it to fp32); it is for image models (atari).",
                )
    for name, model in spec["models"].items():
        key = f"models.{name}"
        if image and "conv" not in model:
            raise ConfigError(
                source,
                key,
                f"the {env} environment's observations are images, but this model has no `conv`",
                "add `conv: [[32, 8, 4], [64, 4, 2], [64, 3, 1]]` (the Nature CNN of the paper).",
            )
        if not image and "conv" in model:
            raise ConfigError(
                source,
                f"{key}.conv",
                f"the {env} environment's observations are vectors, not images",
                "remove `conv` (convolutions are for image observations such as atari).",
            )
        attention = model.get("dset") == "attention"
        if attention and not image:
            raise ConfigError(
                source,
                f"{key}.dset",
                "spatial attention needs image observations",
                "use a list of observation indices or `all` as the d-set.",
            )
        if attention != ("attention" in model):
            raise ConfigError(
                source,
                f"{key}.attention" if "attention" in model else key,
                "`attention` (its units) and `dset: attention` go together",
                "with spatial attention give both, e.g. `dset: attention` and `attention: 32`; "
                "otherwise neither.",
            )
