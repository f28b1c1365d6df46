"""Rollout storage: one update's worth of experience, time-major (T = memory_size slots,
N = workers).

What the model consumes or produces (observations, actions, log-probabilities, values,
recurrent states) lives on the run's device; what only the bookkeeping reads (rewards, episode
boundaries, padding) stays in host numpy arrays, so that advantages and sequence cutting never
copy them back from a GPU.

Observations, actions and log-probabilities are made on the host (the env, the sampler), so
each step writes them into host arrays and `upload()` moves the whole rollout to the device in
one copy per tensor. On the CPU the device tensors *are* the host arrays (shared memory): a
step's rows cost three numpy writes instead of three torch calls, and `upload()` does nothing.

Recurrent models (as the original) zero-pad the rollout after an episode ends, up to the next
multiple of `seq_len`, and the padding *takes slots*: an update comes every `memory_size`
slots, padding included. Padding is what `valid` marks False.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from iam_repro.ppo.device import to_host

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
    obs_host: np.ndarray  # (T, N, obs_dim): where steps write obs; `upload()` -> obs
    actions_host: np.ndarray  # (T, N) int64: where steps write actions
    log_probs_host: np.ndarray  # (T, N) float32: where steps write log-probabilities

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

        def staged(*shape: int, dtype: torch.dtype) -> tuple[Tensor, np.ndarray]:
            """A device tensor and the host array steps write; one memory on the CPU."""
            host = torch.zeros(shape, dtype=dtype)
            tensor = host if host.device == torch.device(device) else zeros(*shape, dtype=dtype)
            return tensor, to_host(host)  # a view of `host`'s memory

        # Images stay uint8 until the model converts them on the device: 4x less memory.
        obs, obs_host = staged(steps, workers, obs_dim, dtype=obs_dtype)
        actions, actions_host = staged(steps, workers, dtype=torch.int64)
        log_probs, log_probs_host = staged(steps, workers, dtype=torch.float32)
        return cls(
            obs=obs,
            actions=actions,
            log_probs=log_probs,
            values=zeros(steps, workers),
            states=tuple(zeros(steps, *s.shape) for s in state_template),
            rewards=np.zeros((steps, workers), np.float32),
            dones=np.zeros((steps, workers), bool),
            episode_start=np.zeros((steps, workers), bool),
            episode_step=np.zeros((steps, workers), np.int64),
            valid=np.zeros((steps, workers), bool),
            obs_host=obs_host,
            actions_host=actions_host,
            log_probs_host=log_probs_host,
        )

    @property
    def slots(self) -> int:
        """T, the rollout's length in slots (memory_size)."""
        return self.valid.shape[0]

    def pad(self, begin: int, end: int) -> None:
        """Make slots [begin, end) zero padding for every worker."""
        for tensor in (self.values, *self.states):
            tensor[begin:end] = 0
        host = (self.obs_host, self.actions_host, self.log_probs_host, self.rewards, self.dones)
        for array in (*host, self.episode_start, self.episode_step, self.valid):
            array[begin:end] = 0

    def upload(self) -> None:
        """Copy the host-written observations, actions and log-probabilities to the device
        (nothing to do on the CPU, where they share memory)."""
        for tensor, host in (
            (self.obs, self.obs_host),
            (self.actions, self.actions_host),
            (self.log_probs, self.log_probs_host),
        ):
            if tensor.data_ptr() != host.ctypes.data:
                tensor.copy_(torch.from_numpy(host))
