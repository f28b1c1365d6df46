"""Batched traffic environment: N :class:`TrafficSim` s, one per worker process.

libsumo runs one simulation per process, so the N environments of a training run live in N
subprocesses (:class:`iam_repro.envs.process_vec.ProcessVecEnv`), as the original's 8 worker
processes did. Same-step autoreset: the step that ends an episode (always the 250th in practice,
``shared/spec/traffic.md`` section 7) returns the next episode's all-zero reset observation, as
the original's worker sent with ``done=True``; the finished episode's last observation is in
``infos["final_obs"]``.

Seeds (section 2.4). By default worker ``w`` runs ``TrafficSim(seed + w)``, so its ``j``-th episode
(j = 1, 2, ...) uses episode seed ``seed + w + j``: consecutive workers replay the same traffic one
episode apart, as in the original's training (kept for fidelity). ``overlapping_worker_seeds=False``
is the named deviation: every worker gets its own range of episode seeds, see
:func:`worker_seeds`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces

from iam_repro.envs.process_vec import ProcessVecEnv
from iam_repro.envs.requirements import require_sumo
from iam_repro.envs.traffic.network import loop_network_file
from iam_repro.envs.traffic.observation import OBS_DIM
from iam_repro.envs.traffic.routes import NUM_CARS

__all__ = ["DISJOINT_STRIPE", "MAX_DISJOINT_WORKERS", "TrafficVecEnv", "worker_seeds"]

FACTORY = "iam_repro.envs.traffic.sim:TrafficSim"

#: Disjoint mode: the seed space [0, 2**31) is cut into stripes of this many seeds; a worker's
#: episodes stay inside the first half of its stripe for up to 2**23 (8.4 million) episodes,
#: far more than a run plays (2e6 steps per worker / 250 = 8,000).
DISJOINT_STRIPE = 2**24
#: Disjoint mode: number of stripes, hence the most workers that are guaranteed disjoint ranges.
MAX_DISJOINT_WORKERS = 2**31 // DISJOINT_STRIPE  # 128


def worker_seeds(seed: int, num_envs: int, *, overlapping: bool = True) -> list[int]:
    """Constructor seed of each worker's :class:`TrafficSim`.

    Args:
        seed: The run's seed.
        num_envs: Number of workers N.
        overlapping: True (the original's schedule): worker ``w`` gets ``seed + w``. False (a
            deviation): a SeedSequence of ``seed`` draws a stripe ``a`` in 0..127 and an offset
            ``b`` below 2**23; worker ``w`` gets ``((a + w) mod 128) * 2**24 + b``. Workers thus
            lie in different stripes of 2**24 seeds and their episode seeds (constructor seed
            + 1, + 2, ...) never meet within 2**23 episodes; all seeds stay below 2**31 (SUMO's
            ``--seed`` is a C int).

    Returns:
        N constructor seeds.

    Raises:
        ValueError: ``overlapping=False`` with more than 128 workers.
    """
    if overlapping:
        return [int(seed) + w for w in range(num_envs)]
    if num_envs > MAX_DISJOINT_WORKERS:
        raise ValueError(
            f"disjoint worker seeds support at most {MAX_DISJOINT_WORKERS} workers, got {num_envs}"
        )
    stripe, offset = np.random.SeedSequence(int(seed)).generate_state(2, dtype=np.uint32)
    stripe = int(stripe) % MAX_DISJOINT_WORKERS
    offset = int(offset) % (DISJOINT_STRIPE // 2)
    return [
        ((stripe + w) % MAX_DISJOINT_WORKERS) * DISJOINT_STRIPE + offset for w in range(num_envs)
    ]


class TrafficVecEnv(ProcessVecEnv):
    """N traffic environments in N worker processes (gymnasium ``VectorEnv``, same-step autoreset).

    Observations float32 (N, 30) (cell counts; all zeros right after a reset); actions ints (N,)
    in {0, 1} (0: green for the north approach, 1: green for the west approach); rewards float64
    (N,), between -0.6 and 0. ``truncated`` marks the 250-step time limit, ``terminated`` an
    episode whose cars have all left (never seen in practice). See :class:`ProcessVecEnv` for the
    autoreset, ``infos``, checkpoints (``get_state``/``set_state``) and shutdown.

    Args:
        num_envs: Number of environments (= worker processes) N.
        seed: Run seed (see :func:`worker_seeds`); None draws one from fresh entropy.
        depart_speed_zero: Passed to every :class:`TrafficSim` (cars depart at rest).
        carry_over_quirk: Passed to every :class:`TrafficSim` (controller memory survives
            resets, as in the original).
        backend: ``"libsumo"`` (fast) or ``"traci"`` (a sumo subprocess per worker; debugging).
        overlapping_worker_seeds: True: the original's overlapping seed schedule; False: disjoint
            per-worker seed ranges (a deviation).

    Raises:
        SumoNotFoundError: SUMO or libsumo is missing (checked here, before any worker starts,
            so that the user sees the install command rather than a worker's traceback).
        NetworkBuildError: netconvert could not build the network.
        WorkerError: A worker could not build its TrafficSim.
    """

    def __init__(
        self,
        num_envs: int,
        seed: int | None = None,
        *,
        depart_speed_zero: bool = True,
        carry_over_quirk: bool = True,
        backend: str = "libsumo",
        overlapping_worker_seeds: bool = True,
    ) -> None:
        if int(num_envs) < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        require_sumo(libsumo=backend == "libsumo")
        # Built (or found in the cache) once here; the workers take its path.
        net_file = loop_network_file()
        if seed is None:  # below 2**31: SUMO's --seed is a C int
            seed = int(np.random.SeedSequence().generate_state(1, dtype=np.uint32)[0] >> 1)
        self.seed = int(seed)
        self.overlapping_worker_seeds = bool(overlapping_worker_seeds)
        options = {
            "depart_speed_zero": bool(depart_speed_zero),
            "carry_over_quirk": bool(carry_over_quirk),
            "backend": backend,
            "net_file": str(net_file),
        }
        seeds = worker_seeds(self.seed, int(num_envs), overlapping=self.overlapping_worker_seeds)
        super().__init__(
            FACTORY,
            [{"seed": s, **options} for s in seeds],
            spaces.Box(0.0, float(NUM_CARS), (OBS_DIM,), dtype=np.float32),
            spaces.Discrete(2),
        )

    def reset(
        self,
        *,
        seed: int | Sequence[int] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a new episode in every worker.

        Args:
            seed: None: every worker plays its next episode seed. An int ``s``: every worker's
                TrafficSim is rebuilt as if this env had been constructed with seed ``s`` (same
                overlapping/disjoint schedule). A sequence: the N constructor seeds themselves.
            options: Unused.

        Returns:
            Observations (N, 30) float32, all zeros, and an empty info dict.
        """
        if isinstance(seed, int | np.integer):
            self.seed = int(seed)
            seed = worker_seeds(self.seed, self.num_envs, overlapping=self.overlapping_worker_seeds)
        return super().reset(seed=seed, options=options)
