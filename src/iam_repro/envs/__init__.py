"""Environments (warehouse; traffic on SUMO; flickering Atari on ale-py), frame stacking and a
vector-env factory.

:data:`ENVS` is the registry of environments: what the config may name and what it checks
(observation length for d-set indices) are read from here, next to each factory. Importing this
package registers ``iam_repro/Warehouse-v0`` with gymnasium (single environment;
``gymnasium.make_vec`` with ``vectorization_mode="vector_entry_point"`` gives the batched one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium
from gymnasium.vector import VectorEnv

from iam_repro.envs import traffic, warehouse
from iam_repro.envs.frame_stack import FrameStack
from iam_repro.envs.traffic import TrafficVecEnv
from iam_repro.envs.warehouse import WarehouseEnv, WarehouseVecEnv

__all__ = [
    "ENVS",
    "ENV_NAMES",
    "WAREHOUSE_ID",
    "EnvInfo",
    "FrameStack",
    "TrafficVecEnv",
    "WarehouseEnv",
    "WarehouseVecEnv",
    "make_vec_env",
    "training_cpu_estimate_s",
]

WAREHOUSE_ID = "iam_repro/Warehouse-v0"


@dataclass(frozen=True)
class EnvInfo:
    """What the pipeline knows about one environment.

    Attributes:
        name: The name experiment files use (``env.name``), also the ``env`` wildcard.
        factory: Builds the batched environment: ``factory(num_envs, seed, **options)``.
        obs_dim: Length of one (unstacked) vector observation, against which the config checks
            d-set indices; None for image observations (no such check).
        frame_shape: (height, width) of image observations (models need a conv trunk); None
            for vector observations.
        threads_option: The factory's keyword for how many threads step the environments, for
            those that can use several (Atari's vector backend); None for the others.
        cpu_us_per_transition: Roughly what one transition of training costs on one CPU core,
            in microseconds (models differ by up to 2x; environments by 30x). Used only to
            start the longest training jobs first; never to size or limit a job. An
            environment not yet measured keeps the default, about the warehouse's.
    """

    name: str
    factory: Callable[..., VectorEnv]
    obs_dim: int | None
    frame_shape: tuple[int, int] | None = None
    threads_option: str | None = None
    cpu_us_per_transition: float = 100.0


def _atari(num_envs: int, seed: int, **options: Any) -> VectorEnv:
    """Flickering Atari, imported on use: ale-py is only needed by runs that play it."""
    from iam_repro.envs.atari import AtariVecEnv

    return AtariVecEnv(num_envs, seed, **options)


#: Every environment by name. Warehouse: 49 robot position bits + 24 item bits
#: (spec/warehouse.md); traffic: the 15-cell column and the 15-cell row through the junction
#: (spec/traffic.md, section 5); atari: 84x84 greyscale frames (spec/atari.md). The costs per
#: transition are the quick build's training CPU time over its transitions, all models of an
#: environment together (2-vCPU AMD EPYC Zen 4, 2026-12-07; docs/benchmarks.md, "The quick
#: pipeline").
ENVS: dict[str, EnvInfo] = {
    info.name: info
    for info in (
        EnvInfo("warehouse", WarehouseVecEnv, warehouse.OBS_DIM, cpu_us_per_transition=120),
        EnvInfo("traffic", TrafficVecEnv, traffic.OBS_DIM, cpu_us_per_transition=200),
        EnvInfo(
            "atari",
            _atari,
            None,
            frame_shape=(84, 84),
            threads_option="num_threads",
            cpu_us_per_transition=3600,
        ),
    )
}
ENV_NAMES: tuple[str, ...] = tuple(ENVS)


def training_cpu_estimate_s(resolved: dict[str, Any]) -> float:
    """Roughly how many CPU seconds a run's training takes: its transitions times its
    environment's :attr:`EnvInfo.cpu_us_per_transition`. Orders jobs only (longest first)."""
    info = ENVS[resolved["env"]["name"]]
    transitions = resolved["budget"]["steps_per_worker"] * resolved["ppo"]["num_workers"]
    return transitions * info.cpu_us_per_transition / 1e6


def make_vec_env(
    name: str, num_envs: int, seed: int, *, threads: int = 1, **options: Any
) -> VectorEnv:
    """Build a batched environment by name.

    Args:
        name: Environment name, one of :data:`ENV_NAMES` (``"warehouse"``, ``"traffic"``,
            ``"atari"``).
        num_envs: Number of parallel environments.
        seed: Seed of the environment's random number generator.
        threads: Threads the environment may step on (the training job's cores); used where
            the environment can (:attr:`EnvInfo.threads_option`), ignored elsewhere.
        **options: Environment-specific keyword options (warehouse: ``removal_quirk``,
            ``legacy_rng_seeds``; traffic: ``depart_speed_zero``, ``carry_over_quirk``,
            ``overlapping_worker_seeds``, ``backend``; atari: ``game``, ``flicker``,
            ``flicker_prob``, ``clear_frame_stack``, ``backend``).

    Returns:
        A gymnasium ``VectorEnv`` with same-step autoreset.

    Raises:
        ValueError: ``name`` is not a known environment.
    """
    try:
        info = ENVS[name]
    except KeyError:
        known = ", ".join(repr(n) for n in ENV_NAMES)
        raise ValueError(f"unknown environment {name!r}; known environments: {known}") from None
    if info.threads_option is not None:
        options = {**options, info.threads_option: threads}
    return info.factory(num_envs, seed, **options)


# Registration is idempotent so that re-importing (e.g. importlib.reload) does not warn.
if WAREHOUSE_ID not in gymnasium.registry:
    gymnasium.register(
        id=WAREHOUSE_ID,
        entry_point="iam_repro.envs.warehouse:WarehouseEnv",
        vector_entry_point="iam_repro.envs.warehouse:WarehouseVecEnv",
    )
