"""Cutting a rollout into (padded) sequences and shuffling them into minibatches.

Transitions are addressed by their flat index `t * num_workers + worker` in the rollout.
For each worker the rollout is split at episode starts; every episode segment is zero-padded up
to a multiple of `seq_len` and cut into sequences, so no sequence crosses an episode boundary
and each starts from the recurrent state stored when its first step was collected. A
feed-forward model is the special case `seq_len == 1` (every transition is its own sequence).
"""

from __future__ import annotations

import numpy as np

PAD = -1


def sequence_index(episode_start: np.ndarray, seq_len: int) -> np.ndarray:
    """Flat transition indices of every sequence, padding marked with `PAD`.

    Args:
        episode_start: (T, N) bool, True where step t of worker n is an episode's first step.
        seq_len: steps per sequence.

    Returns:
        (S, seq_len) int64 array; row s lists sequence s's transitions in time order, its
        tail filled with PAD where the episode segment ended. Rows are ordered worker by
        worker, then by time.
    """
    steps, workers = episode_start.shape
    rows: list[np.ndarray] = []
    for worker in range(workers):
        cuts = np.flatnonzero(episode_start[1:, worker]) + 1
        bounds = np.concatenate([[0], cuts, [steps]])
        for begin, end in zip(bounds[:-1], bounds[1:], strict=True):
            length = end - begin
            padded = -(-length // seq_len) * seq_len
            flat = np.full(padded, PAD, dtype=np.int64)
            flat[:length] = np.arange(begin, end) * workers + worker
            rows.append(flat.reshape(-1, seq_len))
    return np.concatenate(rows, axis=0)


def minibatches(
    sequences: np.ndarray, num_minibatches: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Shuffle sequences and split them into `num_minibatches` near-equal groups.

    Every sequence (hence every transition) lands in exactly one minibatch per epoch, and the
    steps inside a sequence keep their time order.

    Args:
        sequences: (S, seq_len) from `sequence_index`.
        num_minibatches: groups per epoch (memory_size / batch_size in the original).
        rng: the run's numpy generator (consumed: one permutation per call).

    Returns:
        list of (S_i, seq_len) arrays.
    """
    order = rng.permutation(len(sequences))
    return [sequences[part] for part in np.array_split(order, num_minibatches) if len(part)]
