"""Digests of a run's resolved config: which changes make a finished run stale.

A leaf module (standard library only) so that the run files (`iam_repro.io`) and training
(`iam_repro.ppo`) can digest a config without importing the validator and its dependencies.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "ANALYSIS_KEYS",
    "EXECUTION_KEYS",
    "canonical_json",
    "config_digest",
    "training_config",
    "trajectory_digest",
]

#: Keys of a resolved config that only the analysis reads: changing them must not make a
#: finished training run stale, so :func:`training_config` (a train job's params) and
#: :func:`config_digest` leave them out.
ANALYSIS_KEYS: tuple[str, ...] = ("preset", "summary_window", "threshold", "role")

#: Keys that say how a run is executed, not what it computes (the job's cores): the DAG reads
#: them, and like the analysis keys they stay out of the train job's params and the digests,
#: so that a run can resume on a machine with more or fewer cores.
EXECUTION_KEYS: tuple[str, ...] = ("threads",)
_NOT_TRAINING = ANALYSIS_KEYS + EXECUTION_KEYS


def canonical_json(obj: Any) -> str:
    """Deterministic compact JSON: sorted keys, ASCII, no NaN/inf (they would not round-trip)."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def training_config(resolved: Mapping[str, Any]) -> dict[str, Any]:
    """What a training run's result depends on: the resolved config without the analysis-only
    and execution keys (:data:`ANALYSIS_KEYS`, :data:`EXECUTION_KEYS`). A train job's params,
    and the config its run.json records, so that changing a threshold, a summary window, a
    preset's name (same budget) or the job's cores retrains nothing."""
    return {k: v for k, v in resolved.items() if k not in _NOT_TRAINING}


def config_digest(resolved: Mapping[str, Any], *, exclude: Iterable[str] = _NOT_TRAINING) -> str:
    """The first 16 hex digits of the SHA-256 of the canonical JSON of a resolved config.

    Args:
        resolved: A run's resolved config.
        exclude: Top-level keys left out; by default the analysis-only and execution ones
            (:data:`ANALYSIS_KEYS`, :data:`EXECUTION_KEYS`), so that changing a plot threshold
            or the job's cores does not mark a finished training run as stale. Pass ``()`` to
            hash everything.
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
