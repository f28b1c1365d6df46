"""Progress lines of a training run: steps, throughput, recent return, ETA."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np


class ProgressLog:
    """Writes a progress line every `interval_s` seconds (steps, throughput, return, ETA)."""

    def __init__(
        self,
        emit: Callable[[str], None],
        run_id: str,
        total_steps: int,
        workers: int,
        interval_s: float,
        start_step: int = 0,
    ) -> None:
        self.emit, self.run_id, self.total, self.workers = emit, run_id, total_steps, workers
        self.interval, self.start_step = interval_s, start_step
        self.start = self.last = time.monotonic()

    def maybe(self, step: int, recent: Sequence[float], force: bool = False) -> None:
        """A line, when `interval_s` has passed since the last one (or `force`).

        Args:
            step: per-worker steps done.
            recent: the last finished episodes' returns.
            force: write one now regardless.
        """
        now = time.monotonic()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        rate = (step - self.start_step) * self.workers / elapsed  # this segment's rate
        eta = (self.total - step) * self.workers / rate if rate > 0 else math.inf
        recent_return = f"{np.mean(recent):.2f}" if recent else "n/a"
        self.emit(
            f"[{self.run_id}] step {step:,}/{self.total:,} ({100 * step / self.total:.1f}%)  "
            f"{rate:,.0f} transitions/s  return(last {len(recent)} ep) {recent_return}  "
            f"elapsed {_duration(elapsed)}  ETA {_duration(eta)}"
        )


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"
