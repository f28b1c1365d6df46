"""Timing one policy's two hot calls, shared by bench_models.py and bench_image_models.py:
a rollout step (`Policy.step` on the workers' observations, inference mode) and a training
minibatch (T x B, forward + backward)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

import torch

from iam_repro.models.base import Policy
from iam_repro.ppo.config import PPOConfig


class PerIteration(NamedTuple):
    """One PPO iteration's cost by phase, in any unit (FLOPs, seconds)."""

    rollout: float  # memory_size rollout calls
    update: float  # num_epoch x num_minibatches minibatch forward+backward passes

    @property
    def total(self) -> float:
        return self.rollout + self.update

    @classmethod
    def of_calls(cls, ppo: PPOConfig, rollout_call: float, minibatch: float) -> PerIteration:
        """From the cost of one rollout call and of one minibatch pass."""
        return cls(ppo.memory_size * rollout_call, ppo.num_epoch * ppo.num_minibatches * minibatch)


def minibatch_shape(ppo: PPOConfig, recurrent: bool) -> tuple[int, int]:
    """(T, B) of a training minibatch: seq_len steps of sequences for recurrent models, one step
    of every transition for feed-forward ones (batch_size x num_workers transitions either way)."""
    seq_len = ppo.seq_len if recurrent else 1
    return seq_len, ppo.batch_size * ppo.num_workers // seq_len


def per_call(fn: Callable[[], object], seconds: float, sync: Callable[[], None]) -> float:
    """Best-of-3 mean seconds per call of ``fn``, each repeat running about ``seconds / 3``;
    ``sync`` waits for the device (CUDA) so that queued work is counted."""
    for _ in range(3):
        fn()
    sync()
    best = float("inf")
    for _ in range(3):
        calls, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 3 or calls == 0:
            fn()
            calls += 1
            sync()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def time_policy(
    policy: Policy,
    inputs: Callable[..., torch.Tensor],
    *,
    workers: int,
    t: int,
    b: int,
    seconds: float,
    sync: Callable[[], None] = lambda: None,
) -> tuple[float, float]:
    """(rollout seconds per call, training seconds per minibatch) of ``policy``.

    Args:
        inputs: ``inputs(T, B)`` makes an observation batch of shape (T, B, obs_dim).
        workers: Batch of a rollout step (1 x workers).
        t, b: Shape of a training minibatch (sequence length x sequences).
    """
    device = next(policy.parameters()).device
    roll_obs, roll_state = inputs(1, workers)[0], policy.initial_state(workers)
    train_obs, train_state = inputs(t, b), policy.initial_state(b)
    train_start = torch.zeros(t, b, dtype=torch.bool, device=device)
    train_start[0] = True

    def rollout() -> None:  # as PPO's collect() calls it
        with torch.inference_mode():
            policy.step(roll_obs, roll_state)

    def train() -> None:
        logits, value, _ = policy(train_obs, train_state, train_start)
        (logits.logsumexp(-1).mean() + value.square().mean()).backward()

    return per_call(rollout, seconds / 3, sync), per_call(train, seconds, sync)
