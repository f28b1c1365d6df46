"""The protocol every policy implements (PPO is written against it, once, model-agnostic).

Shapes: ``T`` time steps, ``B`` parallel sequences (workers or minibatch sequences),
``H`` a recurrent hidden size.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

State = tuple[Tensor, ...]
"""Recurrent state: each tensor (B, H); the empty tuple for feed-forward models."""


class Policy(nn.Module):
    """Actor-critic network with one shared trunk feeding a logits head and a value head.

    Attributes:
        obs_dim: Length of one (possibly frame-stacked) observation vector.
        num_actions: Number of discrete actions (width of the logits).
        is_recurrent: Whether `forward` carries state between calls.
    """

    obs_dim: int
    num_actions: int
    is_recurrent: bool

    def initial_state(self, batch: int) -> State:
        """Zero recurrent state for ``batch`` sequences: each tensor (batch, H); () if none."""
        raise NotImplementedError

    def forward(
        self, obs: Tensor, state: State, episode_start: Tensor | None
    ) -> tuple[Tensor, Tensor, State]:
        """Run the policy over a block of time steps.

        Args:
            obs: (T, B, obs_dim) float32 observations.
            state: State before ``obs[0]``, each tensor (B, H).
            episode_start: (T, B) bool or float, true where ``obs[t]`` is the first observation
                of an episode; the recurrent state is zeroed *before* step t. None = no starts.

        Returns:
            logits (T, B, num_actions), value (T, B), and the state after the last step.
        """
        raise NotImplementedError

    def step(self, obs: Tensor, state: State) -> tuple[Tensor, Tensor, State]:
        """One rollout step of B workers, no episode starts (the caller has reset the state).

        The same numbers as ``forward(obs[None], state, None)``, bit for bit; subclasses skip
        that call's reshapes, checks and module dispatch, which cost more than the arithmetic of
        an 8-row step (this runs once per env step).

        Args:
            obs: (B, obs_dim) observations.
            state: State before ``obs``, each tensor (B, H).

        Returns:
            logits (B, num_actions), value (B,), and the state after the step.
        """
        logits, value, state = self(obs[None], state, None)
        return logits[0], value[0], state

    def _check_obs(self, obs: Tensor) -> None:
        # A wrong width otherwise surfaces as an opaque matmul shape error deep in the trunk.
        if obs.shape[-1] != self.obs_dim or (self.is_recurrent and obs.dim() != 3):
            shape = "(T, B, obs_dim)" if self.is_recurrent else "(..., obs_dim)"
            raise ValueError(
                f"{type(self).__name__} expects observations {shape} with obs_dim="
                f"{self.obs_dim}, got shape {tuple(obs.shape)}"
            )

    def _zeros(self, batch: int, size: int) -> Tensor:
        """(batch, size) zeros on the device and dtype of the parameters."""
        ref = next(self.parameters())
        return torch.zeros(batch, size, dtype=ref.dtype, device=ref.device)
