"""Generalised advantage estimation in time-horizon chunks (spec/ppo.md).

The original computes advantages separately for each chunk of `time_horizon` steps of one
worker, bootstrapping every chunk from the value of the observation that follows it; so an
advantage never looks further ahead than the end of its chunk. Its chunks restart at every
episode start (the original adds an episode's padding to its step index), so they are counted
from the episode's first step; `from_episode_start=False` puts them at fixed rollout positions
instead (a deviation). With `time_horizon == memory_size` at fixed positions this is the usual
GAE over the whole rollout.

Padding slots (recurrent models, see `iam_repro.ppo.rollout`) hold zero reward and value and
carry no advantage; the look-ahead of the step before them stops there, with the padding's
value 0 as its bootstrap (the original's "zero-value continuation").
"""

from __future__ import annotations

import numpy as np


def chunk_ends(
    episode_step: np.ndarray,
    valid: np.ndarray,
    *,
    time_horizon: int,
    from_episode_start: bool = True,
) -> np.ndarray:
    """Where the GAE look-ahead stops: True at the last slot of every chunk.

    Args:
        episode_step: (T, N) int, the index of slot t's step within its episode (0 = the
            episode's first step); ignored where `valid` is False.
        valid: (T, N) bool, False on padding slots.
        time_horizon: chunk length in steps.
        from_episode_start: chunks counted from each episode's first step (the original); else
            from the rollout's first slot.

    Returns:
        (T, N) bool. Always True on the last slot, on padding slots and on the real slot just
        before padding.
    """
    steps = valid.shape[0]
    if from_episode_start:
        ends = (episode_step + 1) % time_horizon == 0
    else:
        ends = np.broadcast_to(((np.arange(steps) + 1) % time_horizon == 0)[:, None], valid.shape)
    ends = ends | ~valid
    ends[:-1] |= ~valid[1:]
    ends[-1] = True
    return ends


def chunked_gae(
    rewards: np.ndarray,
    values: np.ndarray,
    dones: np.ndarray,
    last_value: np.ndarray,
    *,
    gamma: float,
    lam: float,
    chunk_end: np.ndarray,
    valid: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Advantages and returns, GAE(lambda) restarted after every chunk end.

    Args:
        rewards: (T, N) reward received after the action at slot t.
        values: (T, N) value estimate of the observation at slot t (0 on padding).
        dones: (T, N) True where the episode ended with slot t (the next observation belongs to
            a new episode, so nothing is bootstrapped across it).
        last_value: (N,) value of the observation that follows the last slot.
        gamma: discount.
        lam: GAE lambda.
        chunk_end: (T, N) bool from `chunk_ends`: the look-ahead stops after these slots, each
            bootstrapped from the next slot's value (or `last_value`).
        valid: (T, N) bool, False on padding slots (their advantage is 0); None: all valid.

    Returns:
        advantages (T, N) and returns = advantages + values (T, N), float32.
    """
    # next_values[t]: value of the observation after slot t (the stored value at t + 1, or the
    # bootstrap value after the rollout).
    next_values = np.concatenate([values[1:], last_value[None]], axis=0)
    not_done = 1.0 - dones.astype(np.float64)
    deltas = rewards + gamma * next_values * not_done - values
    if valid is not None:
        deltas = deltas * valid
    advantages = np.zeros_like(deltas, dtype=np.float64)
    running = np.zeros(rewards.shape[1], dtype=np.float64)
    for t in range(rewards.shape[0] - 1, -1, -1):
        running = np.where(chunk_end[t], 0.0, running)  # the look-ahead stops at a chunk end
        running = deltas[t] + gamma * lam * not_done[t] * running
        advantages[t] = running
    advantages = advantages.astype(np.float32)
    return advantages, advantages + values.astype(np.float32)
