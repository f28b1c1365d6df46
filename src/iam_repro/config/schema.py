"""The JSON schemas of config.yaml and the experiment files, and the strict validator.

The schemas ship inside the package (``schemas/``, read with importlib.resources), so that an
installed wheel validates like a source checkout. Two parts of the experiment schema are filled
in at load time from the code that owns the facts: the ``ppo`` object from PPOConfig's fields,
and the ``role`` enum from the paper's registry (iam_repro/reference/paper.yaml).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import jsonschema
import yaml

from iam_repro.ppo.config import PPOConfig
from iam_repro.reference import registry

__all__ = [
    "SCHEMA_DIR",
    "Validator",
    "load_schema",
    "model_defaults",
    "ppo_field_schemas",
    "schema_source",
]

#: The folder of the packaged schemas (a real folder for a checkout or an installed wheel).
SCHEMA_DIR: Traversable = resources.files("iam_repro.config") / "schemas"


def schema_source(name: str) -> str:
    """Where schema `name` lives in a checkout: the path messages point the user to."""
    return f"src/iam_repro/config/schemas/{name}.schema.yaml"


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


#: Draft 2020-12 with strict numbers: no booleans, no 2048.0 as an integer, no NaN or inf.
Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"integer": _is_integer, "number": _is_number}
    ),
)


def ppo_field_schemas() -> dict[str, Any]:
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
def load_schema(name: str) -> dict[str, Any]:
    """The schema `name` ("config" or "experiment"), completed and checked; cached, so callers
    must not change it."""
    text = (SCHEMA_DIR / f"{name}.schema.yaml").read_text(encoding="utf-8")
    schema = yaml.safe_load(text)
    schema["$comment"] = schema_source(name)  # named in messages about the root
    if name == "experiment":
        schema["$defs"]["ppo"] = {
            "type": "object",
            "additionalProperties": False,
            "description": schema["$defs"]["ppo"]["description"],
            "properties": ppo_field_schemas(),
        }
        schema["$defs"]["role"]["enum"] = list(registry().roles)
    Validator.check_schema(schema)
    return schema


def model_defaults(kind: str) -> dict[str, Any]:
    """The defaults the experiment schema gives a model of `kind` (frames, cell, ...)."""
    branch = load_schema("experiment")["$defs"][f"{kind}_model"]["properties"]
    return {key: sub["default"] for key, sub in branch.items() if "default" in sub}
