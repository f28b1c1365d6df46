"""A uniformly random policy played in an experiment's environment (rule random_baseline).

Its episode returns are the level a learning curve has to rise above: the book marks it on the
rolling curves, and the aggregate step says which models ended above it. The environment is the
runs' own (same name and options, so a deviation such as flicker applies here too), built and
reset with `seed` exactly as a training run with that seed builds it, and episodes are counted
as the monitor logs them (Atari: whole games with their unclipped score, not lives).

Each of the N workers plays its first ``ceil(episodes / N)`` episodes and every one of them is
kept: keeping only the first episodes to end, across workers, would favour short ones.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from iam_repro.envs import make_vec_env
from iam_repro.ppo.episodes import EpisodeTracker

__all__ = ["RANDOM_POLICY_COLUMNS", "random_policy_episodes"]

RANDOM_POLICY_COLUMNS: tuple[str, ...] = ("worker", "episode", "return", "length")
"""Columns of `random_policy_episodes`' table: one row per episode, by worker then episode."""


def random_policy_episodes(
    env_name: str,
    env_options: dict[str, Any],
    num_workers: int,
    episodes: int,
    seed: int = 0,
) -> pd.DataFrame:
    """Play uniformly random actions until every worker has finished its share of episodes.

    Args:
        env_name, env_options: The environment, as a run's resolved config names it.
        num_workers: Parallel environments (the runs' ``ppo.num_workers``).
        episodes: At least this many episodes in all: ``ceil(episodes / num_workers)`` each.
        seed: Seed of the environment (as a run with this seed) and of the random actions.

    Returns:
        One row per kept episode (`RANDOM_POLICY_COLUMNS`), ordered by worker, then episode.
    """
    if episodes < 1 or num_workers < 1:
        raise ValueError(f"need episodes >= 1 and num_workers >= 1, got {episodes}, {num_workers}")
    quota = math.ceil(episodes / num_workers)
    kept: list[list[tuple[float, int]]] = [[] for _ in range(num_workers)]
    tracker = EpisodeTracker(num_workers)
    rng = np.random.default_rng(seed)
    envs = make_vec_env(env_name, num_workers, seed=seed, **env_options)
    try:
        envs.reset(seed=seed)
        actions_n = int(envs.single_action_space.n)
        step = 0
        while any(len(k) < quota for k in kept):
            actions = rng.integers(0, actions_n, size=num_workers)
            _, rewards, terminated, truncated, info = envs.step(actions)
            step += 1
            dones = np.logical_or(terminated, truncated)
            # Episodes as the monitor logs them (Atari: whole games, unclipped scores).
            logged = info.get("log_reward", rewards), info.get("log_done", dones)
            ended = tracker.record(*logged, step)
            if ended is None:
                continue
            for worker, ret, length in zip(
                ended.workers, ended.returns, ended.lengths, strict=True
            ):
                if len(kept[worker]) < quota:
                    kept[worker].append((float(ret), int(length)))
    finally:
        envs.close()
    rows = [
        (worker, episode, ret, length)
        for worker, episodes_of_worker in enumerate(kept)
        for episode, (ret, length) in enumerate(episodes_of_worker)
    ]
    return pd.DataFrame(rows, columns=list(RANDOM_POLICY_COLUMNS))
