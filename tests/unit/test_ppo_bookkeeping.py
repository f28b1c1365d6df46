"""The original's PPO bookkeeping (spec/ppo.md, "Bookkeeping details"), on hand-built rollouts.

A toy vector env whose episodes last exactly 5 steps, rollouts of 16 slots, sequences of 4:
- with the original's bookkeeping a recurrent model's rollout holds 5 real steps, 3 padding
  slots, 5 real steps, 3 padding slots, so an update comes every 10 real steps;
- with `padding_in_rollout: false` (the deviation) every rollout holds 16 real steps;
- GAE chunks of 2 count from each episode's first step, or from the rollout's first slot.
"""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
import torch

from iam_repro.models.base import Policy
from iam_repro.ppo.algorithm import PPO
from iam_repro.ppo.config import PPOConfig
from iam_repro.ppo.gae import chunk_ends, chunked_gae

EPISODE, SLOTS, SEQ_LEN, WORKERS = 5, 16, 4, 2


class FiveStepEnv:
    """Every worker's episode ends after exactly 5 steps; reward = the step's index + 1."""

    single_observation_space = gymnasium.spaces.Box(-np.inf, np.inf, (1,), np.float32)

    def __init__(self, workers: int) -> None:
        self.t = np.zeros(workers, int)

    def reset(self, seed=None):
        self.t[:] = 0
        return self.t[:, None].astype(np.float32), {}

    def step(self, actions):
        self.t += 1
        rewards = self.t.astype(np.float64)
        dones = self.t == EPISODE
        self.t[dones] = 0
        obs = self.t[:, None].astype(np.float32)
        return obs, rewards, np.zeros_like(dones), dones, {}


class CountingMemory(Policy):
    """A 'recurrent' policy whose state counts the steps it has seen (so resets are visible)."""

    is_recurrent = True

    def __init__(self) -> None:
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))  # the optimiser wants a parameter

    def initial_state(self, batch):
        return (torch.zeros(batch, 1),)

    def forward(self, obs, state, _episode_start):
        (count,) = state
        logits = torch.zeros(1, obs.shape[1], 2)
        return logits, torch.full((1, obs.shape[1]), 0.5), (count + 1,)


def make_ppo(padding_in_rollout: bool, budget: int = 10**6) -> PPO:
    cfg = PPOConfig(
        num_workers=WORKERS,
        memory_size=SLOTS,
        seq_len=SEQ_LEN,
        batch_size=SEQ_LEN,
        time_horizon=SEQ_LEN,
        padding_in_rollout=padding_in_rollout,
    )
    ppo = PPO(
        cfg,
        CountingMemory(),
        FiveStepEnv(WORKERS),
        seed=0,
        steps_per_worker=budget,
        schedule_steps_per_worker=budget,
    )
    ppo.start()
    return ppo


def collect_rollouts(padding_in_rollout: bool, rollouts: int):
    ppo = make_ppo(padding_in_rollout)
    out = []
    for _ in range(rollouts):
        collected = ppo.collect()
        rollout = ppo.rollout
        out.append(
            (
                collected.complete,
                ppo.step,
                {
                    "valid": rollout.valid.copy(),
                    "episode_step": rollout.episode_step.copy(),
                    "rewards": rollout.rewards.copy(),
                    "state": rollout.states[0][..., 0].clone(),
                    "episode_start": rollout.episode_start.copy(),
                    "ended": collected.episodes,
                },
            )
        )
    return out


def test_padding_takes_slots_so_an_update_comes_every_ten_real_steps():
    (c1, step1, first), (c2, step2, second) = collect_rollouts(True, 2)
    real = [True] * 5 + [False] * 3
    assert c1 and c2
    assert first["valid"][:, 0].tolist() == real + real
    assert (first["valid"] == first["valid"][:, :1]).all()  # every worker padded alike
    assert (step1, step2) == (10, 20)  # 16 slots = 10 real steps + 6 padding
    # Episodes start on sequence boundaries: slot 0 and slot 8.
    assert np.flatnonzero(first["episode_start"][:, 0]).tolist() == [0, 8]
    assert first["rewards"][:, 0].tolist() == [1, 2, 3, 4, 5, 0, 0, 0] * 2
    # The state fed into each step was reset at the episode start; padding holds zeros.
    assert first["state"][:, 0].tolist() == [0, 1, 2, 3, 4, 0, 0, 0] * 2
    assert second["valid"][:, 0].tolist() == real + real
    # Each rollout reports the episodes that ended in it, in order, for the monitor.
    ended = first["ended"]
    assert ended.workers.tolist() == [0, 1, 0, 1] and ended.steps.tolist() == [5, 5, 10, 10]
    assert ended.returns.tolist() == [15.0] * 4 and ended.lengths.tolist() == [5] * 4


def test_without_padding_in_rollout_each_rollout_holds_memory_size_real_steps():
    (c1, step1, first), (_, step2, second) = collect_rollouts(False, 2)
    assert c1 and first["valid"].all() and second["valid"].all()
    assert (step1, step2) == (16, 32)
    assert np.flatnonzero(first["episode_start"][:, 0]).tolist() == [0, 5, 10, 15]
    assert first["episode_step"][:, 0].tolist() == [0, 1, 2, 3, 4] * 3 + [0]
    # The next rollout continues the episode begun at slot 15.
    assert second["episode_step"][:4, 0].tolist() == [1, 2, 3, 4]


def test_budget_ending_mid_rollout_reports_an_incomplete_rollout_and_allows_no_update():
    ppo = make_ppo(True, budget=7)
    collected = ppo.collect()
    assert not collected.complete and collected.steps == ppo.step == 7
    assert collected.episodes.steps.tolist() == [5, 5]  # the episodes that ended are reported
    with pytest.raises(RuntimeError, match="full rollout"):
        ppo.update()


def test_gae_chunks_restart_at_every_episode_start():
    # One worker: episode A's last 3 steps (steps 2..4 of it), then episode B's steps 0..4,
    # no padding. Chunks of 2 counted from the episode start end at episode steps 1, 3, and at
    # the done; counted from the rollout start they end at slots 1, 3, 5, 7.
    episode_step = np.array([[2], [3], [4], [0], [1], [2], [3], [4]])
    valid = np.ones((8, 1), bool)
    from_episode = chunk_ends(episode_step, valid, time_horizon=2)[:, 0]
    from_rollout = chunk_ends(episode_step, valid, time_horizon=2, from_episode_start=False)[:, 0]
    assert np.flatnonzero(from_episode).tolist() == [1, 4, 6, 7]
    assert np.flatnonzero(from_rollout).tolist() == [1, 3, 5, 7]


def test_gae_chunks_stop_before_padding_and_padding_carries_no_advantage():
    # Slots: real, real (episode continues: a worker padded because another's episode ended),
    # pad, pad. gamma = lam = 1, rewards 1, values .5, bootstrap 9 (never reached).
    valid = np.array([[True], [True], [False], [False]])
    ends = chunk_ends(np.array([[0], [1], [0], [0]]), valid, time_horizon=8)
    assert ends[:, 0].tolist() == [False, True, True, True]
    adv, _ = chunked_gae(
        np.array([[1.0], [1.0], [0.0], [0.0]]),
        np.array([[0.5], [0.5], [0.0], [0.0]]),
        np.zeros((4, 1), bool),
        np.array([9.0]),
        gamma=1.0,
        lam=1.0,
        chunk_end=ends,
        valid=valid,
    )
    # Slot 1 bootstraps from the padding's value 0: 1 + 0 - .5 = .5; slot 0: 1 + .5 - .5 + .5.
    assert adv[:, 0].tolist() == pytest.approx([1.5, 0.5, 0.0, 0.0])


class TwoLivesEnv(FiveStepEnv):
    """FiveStepEnv whose training episodes are lives: a game is two lives (10 steps) and its
    logged score is 10x the training reward (as Atari: unclipped score, clipped training)."""

    def __init__(self, workers: int) -> None:
        super().__init__(workers)
        self.lives_lost = np.zeros(workers, int)
        self.restarted = None

    def step(self, actions):
        obs, rewards, terminated, truncated, _ = super().step(actions)
        self.lives_lost += truncated
        game_over = truncated & (self.lives_lost % 2 == 0)
        info = {"log_reward": 10 * rewards, "log_done": game_over}
        return obs, rewards, terminated, truncated, info

    def get_state(self):
        return {"t": self.t.copy(), "lives_lost": self.lives_lost.copy()}

    def set_state(self, state):
        # Like Atari's C++ backend: the games cannot be restored, fresh ones begin.
        self.t[:] = 0
        self.restarted = self.t[:, None].astype(np.float32)

    @property
    def resume_obs(self):
        return self.restarted


class TrainableCountingMemory(CountingMemory):
    """CountingMemory whose outputs depend on its parameter, so that update() can run."""

    def forward(self, obs, state, episode_start):
        logits, value, state = super().forward(obs, state, episode_start)
        return logits + self.unused, value + self.unused, state


def make_lives_ppo() -> PPO:
    cfg = PPOConfig(num_workers=WORKERS, memory_size=SLOTS, seq_len=1, batch_size=4, time_horizon=4)
    ppo = PPO(
        cfg,
        TrainableCountingMemory(),
        TwoLivesEnv(WORKERS),
        seed=0,
        steps_per_worker=10**6,
        schedule_steps_per_worker=10**6,
    )
    ppo.start()
    return ppo


def test_the_monitor_logs_games_while_ppo_trains_on_lives():
    ppo = make_lives_ppo()
    collected = ppo.collect()
    # 16 steps: lives end at steps 5, 10, 15; games (two lives) at step 10 only.
    ended = collected.episodes
    assert ended.steps.tolist() == [10, 10] and ended.lengths.tolist() == [10, 10]
    assert ended.returns.tolist() == [300.0, 300.0]  # 10 x (15 + 15), the unclipped score
    # The training episode (a life) restarts GAE chunks and recurrent state every 5 steps.
    assert ppo.rollout.episode_step[:, 0].tolist() == [0, 1, 2, 3, 4] * 3 + [0]
    assert np.flatnonzero(ppo.rollout.episode_start[:, 0]).tolist() == [0, 5, 10, 15]


def test_an_env_that_restarts_its_games_on_resume_begins_every_episode_there():
    ppo = make_lives_ppo()
    ppo.collect()
    ppo.update()
    state = ppo.state()
    resumed = make_lives_ppo()
    resumed.load_state(state)
    assert resumed.step == 16
    # Fresh games: every worker begins an episode at step 0 of it, and the game in progress
    # (one life into its second game at step 16) is dropped from the log.
    collected = resumed.collect()
    assert resumed.rollout.episode_start[0].all()
    assert resumed.rollout.episode_step[:, 0].tolist() == [0, 1, 2, 3, 4] * 3 + [0]
    assert collected.episodes.steps.tolist() == [26, 26]  # first game end after the resume
    assert collected.episodes.lengths.tolist() == [10, 10]
