"""Checking parsed data against a schema, and wording the first violation for the user.

jsonschema's own messages name schema keywords and dump instances; here each violation becomes
one :class:`ConfigError` that names the file, the key path, what is wrong and the fix, using
the schema's ``description`` of the expected value. Only the shallowest violation is reported
(a wrong parent explains its children's errors), with a count of the others.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jsonschema.exceptions import ValidationError

from iam_repro.config.schema import Validator
from iam_repro.config.suggestions import did_you_mean
from iam_repro.config.types import ConfigError

__all__ = ["check_plain", "validate"]


def _key_path(parts: Iterable[str | int]) -> str:
    out = ""
    for part in parts:
        # An empty key name ('': 1 in YAML) shows as "", or it would read as "the whole file".
        name = str(part) or '""'
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + name
    return out


def check_plain(value: Any, path: list[str | int], source: str | Path) -> None:
    """Reject what YAML can express but JSON cannot (non-text keys, dates, NaN, ...).

    Runs before the schema, whose validator would otherwise meet values it cannot describe.

    Args:
        value: The parsed data (or a part of it, at `path`).
        path: Key path of `value` inside the file ([] for the whole file).
        source: The file name used in messages.

    Raises:
        ConfigError: The first value a JSON config could not hold.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ConfigError(
                    source,
                    _key_path([*path, str(key)]),
                    f"the key {key!r} is not text",
                    f"quote it: '{key}'.",
                )
            check_plain(item, [*path, key], source)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_plain(item, [*path, i], source)
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


def validate(data: Any, schema: dict[str, Any], source: str | Path) -> None:
    """Check `data` against `schema` (from :func:`~iam_repro.config.schema.load_schema`).

    Raises:
        ConfigError: The shallowest violation, worded for the user, with a count of the others.
    """
    errors = list(Validator(schema).iter_errors(data))
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
        validator = Validator(root)
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
                suggestion = did_you_mean(str(inst), [str(w) for w in words])
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
        suggestion = did_you_mean(key, allowed)
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
        suggestion = did_you_mean(str(inst), [str(c) for c in choices])
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
