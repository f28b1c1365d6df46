"""Per-worker episode bookkeeping: running returns and lengths, and the episodes that end."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import torch

from iam_repro.ppo.device import to_host


@dataclass(frozen=True)
class Episodes:
    """Finished episodes, one entry each, in the order they ended (one monitor row each)."""

    returns: np.ndarray  # (E,) float64
    lengths: np.ndarray  # (E,) int64, steps
    workers: np.ndarray  # (E,) int64, the worker it ran on
    steps: np.ndarray  # (E,) int64, that worker's step counter when it ended
    ended_at: np.ndarray  # (E,) float64, unix time when it ended

    def __len__(self) -> int:
        return len(self.returns)

    @classmethod
    def concat(cls, parts: list[Episodes]) -> Episodes:
        """One batch from several, order kept (empty when `parts` is)."""
        if not parts:
            empty = np.zeros(0, np.int64)
            return cls(np.zeros(0), empty, empty, empty, np.zeros(0))
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))


@dataclass
class EpisodeTracker:
    """Running return and length of every worker's current episode; the last 100 returns."""

    workers: int
    returns: np.ndarray = field(init=False)  # (N,) float64
    lengths: np.ndarray = field(init=False)  # (N,) int64: also the next step's index in its episode
    recent: deque = field(default_factory=lambda: deque(maxlen=100))
    episodes: int = 0  # finished so far

    def __post_init__(self) -> None:
        self.returns = np.zeros(self.workers, dtype=np.float64)
        self.lengths = np.zeros(self.workers, dtype=np.int64)

    def record(self, rewards: np.ndarray, dones: np.ndarray, step: int) -> Episodes | None:
        """Add one step's (N,) rewards; returns the episodes it ended (None when none did).

        Args:
            rewards: (N,) rewards of the step.
            dones: (N,) bool, the step ended the worker's episode.
            step: the per-worker step counter after this step (the monitor's `step` column).
        """
        self.returns += rewards
        self.lengths += 1
        if not dones.any():
            return None
        finished = np.flatnonzero(dones)
        ended = Episodes(
            returns=self.returns[finished],
            lengths=self.lengths[finished],
            workers=finished,
            steps=np.full(len(finished), step),
            ended_at=np.full(len(finished), time.time()),
        )
        self.recent.extend(ended.returns.tolist())
        self.episodes += len(finished)
        self.returns[finished] = 0.0
        self.lengths[finished] = 0
        return ended

    def state(self) -> dict[str, Any]:
        """Checkpoint entry (tensors and plain values)."""
        return {
            "returns": torch.from_numpy(self.returns.copy()),
            "lengths": torch.from_numpy(self.lengths.copy()),
            "recent": list(self.recent),
            "count": self.episodes,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        """Continue from a `state()`."""
        self.returns[:] = to_host(state["returns"])
        self.lengths[:] = to_host(state["lengths"])
        self.recent.clear()
        self.recent.extend(state["recent"])
        self.episodes = int(state["count"])
