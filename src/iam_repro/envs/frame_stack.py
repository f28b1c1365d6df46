"""Batched frame stacking for the "FNN with k observations" baseline."""

from __future__ import annotations

import numpy as np

__all__ = ["FrameStack"]


class FrameStack:
    """Keeps the last ``k`` observations of ``num_envs`` environments, newest frame first.

    The stacked vector of environment ``i`` is ``[obs_t, obs_{t-1}, ..., obs_{t-k+1}]``
    flattened to ``k * obs_dim`` values; frames from before the episode's first observation are
    zeros (warehouse, k=8: 584 values).

    Args:
        num_envs: Number of environments N.
        obs_dim: Length D of one observation.
        k: Number of frames (1 = no stacking; the output is a copy of the observation).
        dtype: dtype of the stacked output.
        clear_at_episode_start: Zero an environment's older frames when its episode restarts;
            False keeps the previous episode's frames behind the new first one (the original
            Atari code: only the first reset zeroes the stack).
    """

    def __init__(
        self,
        num_envs: int,
        obs_dim: int,
        k: int,
        dtype: np.dtype = np.float32,
        clear_at_episode_start: bool = True,
    ) -> None:
        if num_envs < 1 or obs_dim < 1 or k < 1:
            raise ValueError(
                f"num_envs, obs_dim and k must all be >= 1, got {num_envs}, {obs_dim}, {k}"
            )
        self.num_envs, self.obs_dim, self.k = num_envs, obs_dim, k
        self.clear_at_episode_start = clear_at_episode_start
        # Two preallocated buffers: a step writes the shifted history from one into the other
        # (no overlapping copy, hence no temporary) and swaps them.
        self._stack = np.zeros((num_envs, k * obs_dim), dtype=dtype)
        self._spare = np.zeros_like(self._stack)

    @property
    def stacked_dim(self) -> int:
        """Length of a stacked observation, ``k * obs_dim``."""
        return self.k * self.obs_dim

    def reset(self, obs: np.ndarray) -> np.ndarray:
        """Start every environment's history at ``obs``.

        Args:
            obs: First observations, shape (N, D).

        Returns:
            Stacked observations, shape (N, k * D); all but the newest frame are zeros.
        """
        self._check(obs)
        self._stack.fill(0)
        self._stack[:, : self.obs_dim] = obs
        return self._stack.copy()

    def get_state(self) -> np.ndarray:
        """A copy of the history, shape (N, k * D) (for training checkpoints)."""
        return self._stack.copy()

    def set_state(self, stack: np.ndarray) -> None:
        """Restore a history from `get_state`."""
        if stack.shape != self._stack.shape:
            raise ValueError(f"stack must have shape {self._stack.shape}, got {stack.shape}")
        np.copyto(self._stack, stack)

    def step(self, obs: np.ndarray, episode_start: np.ndarray) -> np.ndarray:
        """Push the newest observations.

        Args:
            obs: Newest observations, shape (N, D).
            episode_start: Shape (N,) bool; True where ``obs[i]`` is the first observation of a
                new episode, which clears environment i's older frames to zeros (unless
                ``clear_at_episode_start`` is False).

        Returns:
            Stacked observations, shape (N, k * D), newest frame first. A fresh array: the
            caller may keep or modify it.
        """
        self._check(obs)
        episode_start = np.asarray(episode_start, dtype=bool)
        if episode_start.shape != (self.num_envs,):
            raise ValueError(
                f"episode_start must have shape ({self.num_envs},), got {episode_start.shape}"
            )
        d = self.obs_dim
        new, self._spare = self._spare, self._stack
        if self.k > 1:
            new[:, d:] = self._spare[:, :-d]  # every frame moves back one slot
            if self.clear_at_episode_start and episode_start.any():
                new[episode_start, d:] = 0
        new[:, :d] = obs
        self._stack = new
        return new.copy()

    def _check(self, obs: np.ndarray) -> None:
        if np.shape(obs) != (self.num_envs, self.obs_dim):
            raise ValueError(
                f"obs must have shape ({self.num_envs}, {self.obs_dim}), got {np.shape(obs)}"
            )
