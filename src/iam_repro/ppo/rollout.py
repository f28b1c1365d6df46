"""Rollout storage: one update's worth of experience, time-major (T = memory_size slots,
N = workers).

What the model consumes or produces (observations, actions, log-probabilities, values,
recurrent states) lives on the run's device; what only the bookkeeping reads (rewards, episode
boundaries, padding) stays in host numpy arrays, so that advantages and sequence cutting never
copy them back from a GPU.

Recurrent models (as the original) zero-pad the rollout after an episode ends, up to the next
multiple of `seq_len`, and the padding *takes slots*: an update comes every `memory_size`
slots, padding included. Padding is what `valid` marks False.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

State = tuple[Tensor, ...]


@dataclass
class Rollout:
    """Tensors of one rollout. Recurrent states are those fed *into* each step (after resets)."""

    obs: Tensor  # (T, N, obs_dim) float32 (uint8 for images), frame-stacked if the model stacks
    actions: Tensor  # (T, N) int64
    log_probs: Tensor  # (T, N) float32
    values: Tensor  # (T, N) float32 (0 on padding)
    states: State  # each (T, N, H)
    rewards: np.ndarray  # (T, N) float32, host
    dones: np.ndarray  # (T, N) bool, host: the episode ended with slot t
    episode_start: np.ndarray  # (T, N) bool, host: obs[t] is an episode's first observation
    episode_step: np.ndarray  # (T, N) int64, host: slot t's step index within its episode
    valid: np.ndarray  # (T, N) bool, host: False on padding slots

    @classmethod
    def allocate(
        cls,
        steps: int,
        workers: int,
        obs_dim: int,
        state_template: State,
        device: torch.device | str = "cpu",
        obs_dtype: torch.dtype = torch.float32,
    ) -> Rollout:
        def zeros(*shape: int, dtype: torch.dtype = torch.float32) -> Tensor:
            return torch.zeros(shape, dtype=dtype, device=device)

        return cls(
            # Images stay uint8 until the model converts them on the device: 4x less memory.
            obs=zeros(steps, workers, obs_dim, dtype=obs_dtype),
            actions=zeros(steps, workers, dtype=torch.int64),
            log_probs=zeros(steps, workers),
            values=zeros(steps, workers),
            states=tuple(zeros(steps, *s.shape) for s in state_template),
            rewards=np.zeros((steps, workers), np.float32),
            dones=np.zeros((steps, workers), bool),
            episode_start=np.zeros((steps, workers), bool),
            episode_step=np.zeros((steps, workers), np.int64),
            valid=np.zeros((steps, workers), bool),
        )

    @property
    def slots(self) -> int:
        """T, the rollout's length in slots (memory_size)."""
        return self.valid.shape[0]

    def pad(self, begin: int, end: int) -> None:
        """Make slots [begin, end) zero padding for every worker."""
        for tensor in (self.obs, self.actions, self.log_probs, self.values, *self.states):
            tensor[begin:end] = 0
        for array in (self.rewards, self.dones, self.episode_start, self.episode_step, self.valid):
            array[begin:end] = 0
