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
    sequences: np.ndarray, num_minibatches: int, rng: np.random.Generator, num_workers: int
) -> list[np.ndarray]:
    """Shuffle sequences and split them into `num_minibatches` near-equal groups.

    As in the original, when every worker's sequences cover the same time steps (workers in
    lockstep with equal episode lengths, as in the warehouse) the shuffle permutes time slots
    and keeps all workers of a slot in the same minibatch. Otherwise (episodes of different
    lengths) sequences are shuffled individually. Either way every transition lands in exactly
    one minibatch per epoch and the steps inside a sequence keep their time order.

    Args:
        sequences: (S, seq_len) from `sequence_index` (ordered worker by worker).
        num_minibatches: groups per epoch (memory_size / batch_size in the original).
        rng: the run's numpy generator (consumed: one permutation per call).
        num_workers: N, to recover each index's time step (index // N).

    Returns:
        list of (S_i, seq_len) arrays.
    """
    slots = _aligned_slots(sequences, num_workers)
    if slots is None:
        order = rng.permutation(len(sequences))
        return [sequences[part] for part in np.array_split(order, num_minibatches) if len(part)]
    order = rng.permutation(slots.shape[1])
    return [
        slots[:, part].reshape(-1, sequences.shape[1])
        for part in np.array_split(order, num_minibatches)
        if len(part)
    ]


def _aligned_slots(sequences: np.ndarray, num_workers: int) -> np.ndarray | None:
    """(N, S/N, seq_len) view when all workers' sequences span the same time steps, else None."""
    if len(sequences) % num_workers:
        return None
    blocks = sequences.reshape(num_workers, -1, sequences.shape[1])
    times = np.where(blocks == PAD, -1, blocks // num_workers)
    return blocks if (times == times[0]).all() else None
