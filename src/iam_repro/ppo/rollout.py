"""Rollout storage: one update's worth of experience, time-major (T = memory_size, N = workers)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

State = tuple[Tensor, ...]


@dataclass
class Rollout:
    """Tensors of one rollout. Recurrent states are those fed *into* each step (after resets)."""

    obs: Tensor  # (T, N, obs_dim) float32, frame-stacked when the model stacks frames
    episode_start: Tensor  # (T, N) bool: obs[t] is an episode's first observation
    actions: Tensor  # (T, N) int64
    log_probs: Tensor  # (T, N) float32
    values: Tensor  # (T, N) float32
    rewards: Tensor  # (T, N) float32
    dones: Tensor  # (T, N) bool: the episode ended with step t
    states: State  # each (T, N, H)

    @classmethod
    def allocate(
        cls,
        steps: int,
        workers: int,
        obs_dim: int,
        state_template: State,
        device: torch.device | str = "cpu",
    ) -> Rollout:
        def zeros(*shape: int, dtype: torch.dtype = torch.float32) -> Tensor:
            return torch.zeros(shape, dtype=dtype, device=device)

        return cls(
            obs=zeros(steps, workers, obs_dim),
            episode_start=zeros(steps, workers, dtype=torch.bool),
            actions=zeros(steps, workers, dtype=torch.int64),
            log_probs=zeros(steps, workers),
            values=zeros(steps, workers),
            rewards=zeros(steps, workers),
            dones=zeros(steps, workers, dtype=torch.bool),
            states=tuple(zeros(steps, *s.shape) for s in state_template),
        )
