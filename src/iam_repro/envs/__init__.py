"""Environments (warehouse; traffic on SUMO), frame stacking and a vector-env factory.

Importing this package registers ``iam_repro/Warehouse-v0`` with gymnasium (single environment;
``gymnasium.make_vec`` with ``vectorization_mode="vector_entry_point"`` gives the batched one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium
from gymnasium.vector import VectorEnv

from iam_repro.envs.frame_stack import FrameStack
from iam_repro.envs.traffic import TrafficVecEnv
from iam_repro.envs.warehouse import WarehouseEnv, WarehouseVecEnv

__all__ = [
    "ENV_NAMES",
    "WAREHOUSE_ID",
    "FrameStack",
    "TrafficVecEnv",
    "WarehouseEnv",
    "WarehouseVecEnv",
    "make_vec_env",
]

WAREHOUSE_ID = "iam_repro/Warehouse-v0"

# name -> factory(num_envs, seed, **options); atari is added when it exists.
_VEC_ENV_FACTORIES: dict[str, Callable[..., VectorEnv]] = {
    "warehouse": WarehouseVecEnv,
    "traffic": TrafficVecEnv,
}
ENV_NAMES: tuple[str, ...] = tuple(_VEC_ENV_FACTORIES)


def make_vec_env(name: str, num_envs: int, seed: int, **options: Any) -> VectorEnv:
    """Build a batched environment by name.

    Args:
        name: Environment name, one of :data:`ENV_NAMES` (``"warehouse"``, ``"traffic"``).
        num_envs: Number of parallel environments.
        seed: Seed of the environment's random number generator.
        **options: Environment-specific keyword options (warehouse: ``removal_quirk``,
            ``legacy_rng_seeds``; traffic: ``depart_speed_zero``, ``carry_over_quirk``,
            ``overlapping_worker_seeds``, ``backend``).

    Returns:
        A gymnasium ``VectorEnv`` with same-step autoreset.

    Raises:
        ValueError: ``name`` is not a known environment.
    """
    try:
        factory = _VEC_ENV_FACTORIES[name]
    except KeyError:
        known = ", ".join(repr(n) for n in ENV_NAMES)
        raise ValueError(f"unknown environment {name!r}; known environments: {known}") from None
    return factory(num_envs, seed, **options)


# Registration is idempotent so that re-importing (e.g. importlib.reload) does not warn.
if WAREHOUSE_ID not in gymnasium.registry:
    gymnasium.register(
        id=WAREHOUSE_ID,
        entry_point="iam_repro.envs.warehouse:WarehouseEnv",
        vector_entry_point="iam_repro.envs.warehouse:WarehouseVecEnv",
    )
