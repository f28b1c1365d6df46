"""The random-policy baseline: per-worker quotas, episodes as logged, against naive references."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium import spaces

from iam_repro.envs import make_vec_env
from iam_repro.jobs import random_policy
from iam_repro.jobs.random_policy import RANDOM_POLICY_COLUMNS, random_policy_episodes


class GameAndLives:
    """Fake Atari-like env: worker w earns w + 1 per step; a life (the training episode) lasts
    2 steps, a game (the logged episode) 3 lives = 6 steps, so a game returns 6 (w + 1)."""

    def __init__(self, num_envs: int) -> None:
        self.num_envs = num_envs
        self.single_action_space = spaces.Discrete(3)
        self.t = 0
        self.actions: list[np.ndarray] = []
        self.closed = False

    def reset(self, seed: int | None = None):
        return np.zeros((self.num_envs, 1)), {}

    def step(self, actions: np.ndarray):
        self.t += 1
        self.actions.append(np.asarray(actions).copy())
        n = self.num_envs
        rewards = np.sign(np.arange(1, n + 1, dtype=np.float64))  # clipped: 1 for every worker
        life_over = np.full(n, self.t % 2 == 0)
        info = {
            "log_reward": np.arange(1, n + 1, dtype=np.float64),
            "log_done": np.full(n, self.t % 6 == 0),
        }
        return np.zeros((n, 1)), rewards, life_over, np.zeros(n, bool), info

    def close(self) -> None:
        self.closed = True


def test_games_not_lives_are_counted_and_every_worker_plays_its_share(monkeypatch) -> None:
    made: list[GameAndLives] = []

    def fake_make(name, num_envs, seed, **options):
        made.append(GameAndLives(num_envs))
        return made[-1]

    monkeypatch.setattr(random_policy, "make_vec_env", fake_make)
    table = random_policy_episodes("atari", {}, num_workers=3, episodes=5)
    # ceil(5 / 3) = 2 games per worker, each 6 steps with an unclipped score of 6 (w + 1).
    assert list(table.columns) == list(RANDOM_POLICY_COLUMNS)
    assert table["worker"].tolist() == [0, 0, 1, 1, 2, 2]
    assert table["episode"].tolist() == [0, 1] * 3
    assert table["return"].tolist() == [6.0, 6.0, 12.0, 12.0, 18.0, 18.0]
    assert table["length"].tolist() == [6] * 6
    (env,) = made
    assert env.t == 12 and env.closed
    actions = np.stack(env.actions)
    assert actions.min() >= 0 and actions.max() <= 2 and len(np.unique(actions)) == 3


def test_warehouse_episodes_equal_a_naive_replay_of_the_same_actions() -> None:
    table = random_policy_episodes("warehouse", {}, num_workers=4, episodes=6, seed=3)
    assert len(table) == 8 and (table["length"] == 100).all()  # 2 episodes of 100 steps each
    # Naive reference: the same env and action stream, returns summed by hand.
    rng = np.random.default_rng(3)
    envs = make_vec_env("warehouse", 4, seed=3)
    envs.reset(seed=3)
    running, returns = np.zeros(4), [[] for _ in range(4)]
    for _ in range(200):
        _, rewards, terminated, truncated, _ = envs.step(rng.integers(0, 4, size=4))
        running += rewards
        for w in np.flatnonzero(terminated | truncated):
            returns[w].append(running[w])
            running[w] = 0.0
    envs.close()
    expected = [r for worker in returns for r in worker[:2]]
    np.testing.assert_array_equal(table["return"].to_numpy(), expected)
    # Same seed, same table; another seed plays other episodes.
    again = random_policy_episodes("warehouse", {}, num_workers=4, episodes=6, seed=3)
    assert again.equals(table)
    other = random_policy_episodes("warehouse", {}, num_workers=4, episodes=6, seed=4)
    assert not np.array_equal(other["return"].to_numpy(), table["return"].to_numpy())


@pytest.mark.parametrize("episodes, workers", [(0, 8), (4, 0)])
def test_nothing_to_play_is_refused(episodes: int, workers: int) -> None:
    with pytest.raises(ValueError, match="episodes >= 1"):
        random_policy_episodes("warehouse", {}, workers, episodes)
