"""Generalised advantage estimation in time-horizon chunks (spec/ppo.md).

The original computes advantages separately for each chunk of `time_horizon` steps per worker,
bootstrapping every chunk from the value of the observation that follows it; so an advantage
never looks further ahead than the end of its chunk. With `time_horizon == memory_size` this is
the usual GAE over the whole rollout.
"""

from __future__ import annotations

import numpy as np


def chunked_gae(
    rewards: np.ndarray,
    values: np.ndarray,
    dones: np.ndarray,
    last_value: np.ndarray,
    *,
    gamma: float,
    lam: float,
    time_horizon: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Advantages and returns, GAE(lambda) restarted at every chunk boundary.

    Args:
        rewards: (T, N) reward received after the action at step t.
        values: (T, N) value estimate of the observation at step t.
        dones: (T, N) True where the episode ended with step t (the next observation belongs to
            a new episode, so nothing is bootstrapped across it).
        last_value: (N,) value of the observation that follows the last step.
        gamma: discount.
        lam: GAE lambda.
        time_horizon: chunk length; T must be a multiple of it.

    Returns:
        advantages (T, N) and returns = advantages + values (T, N), float32.
    """
    steps = rewards.shape[0]
    if steps % time_horizon:
        raise ValueError(f"rollout length {steps} is not a multiple of time_horizon {time_horizon}")
    # next_values[t]: value of the observation after step t (the stored value at t + 1, or the
    # bootstrap value after the rollout).
    next_values = np.concatenate([values[1:], last_value[None]], axis=0)
    not_done = 1.0 - dones.astype(np.float64)
    deltas = rewards + gamma * next_values * not_done - values
    advantages = np.zeros_like(deltas, dtype=np.float64)
    running = np.zeros(rewards.shape[1], dtype=np.float64)
    for t in range(steps - 1, -1, -1):
        if (t + 1) % time_horizon == 0:
            running[:] = 0.0  # a chunk's last step: the look-ahead stops at the chunk end
        running = deltas[t] + gamma * lam * not_done[t] * running
        advantages[t] = running
    advantages = advantages.astype(np.float32)
    return advantages, advantages + values.astype(np.float32)
