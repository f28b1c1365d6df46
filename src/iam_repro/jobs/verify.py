"""Re-train the first steps of a finished run and say whether this machine computes it bit for bit.

Every run records a fingerprint early on (`iam_repro.ppo.fingerprint`): the digests of its
episodes and of its weights at the first update boundary past ``FINGERPRINT_STEPS``. Training
the same config for exactly those steps here must give the same two digests when this machine's
float kernels compute like the run's; on another kind of CPU the weights (and, later, the
episodes) usually differ, which makes a rerun statistically, not bitwise, equal.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iam_repro.io.run_info import RunInfoError, read_run_info
from iam_repro.ppo.checkpoint import load_checkpoint
from iam_repro.ppo.fingerprint import (
    compute_platform,
    monitor_digest,
    same_platform,
    weights_digest,
)
from iam_repro.ppo.trainer import train

__all__ = ["Verdict", "verify_run"]


@dataclass(frozen=True)
class Verdict:
    """The outcome of re-training a run's fingerprinted steps on this machine."""

    run_id: str
    steps_per_worker: int
    same_episodes: bool
    same_weights: bool
    recorded_on: list[dict[str, Any]]  # the run's training segments (platform per segment)
    here: dict[str, str]

    @property
    def identical(self) -> bool:
        return self.same_episodes and self.same_weights

    def summary(self) -> str:
        """One paragraph for a person: the verdict and what it means."""
        head = f"{self.run_id}, first {self.steps_per_worker:,} steps per worker:"
        if self.identical:
            return f"{head} identical (episodes and every weight bit)."
        what = [
            n
            for n, same in (("episodes", self.same_episodes), ("weights", self.same_weights))
            if not same
        ]
        first = self.recorded_on[0] if self.recorded_on else {}
        if first and not same_platform(first, self.here):
            why = (
                f"the run computed on {_describe(first)}, this machine is {_describe(self.here)}: "
                "float kernels differ between CPUs, so a rerun here is statistically, not "
                "bitwise, equal to the recorded one"
            )
        else:
            why = (
                "this machine looks like the one the run computed on, so the difference is in "
                "the code or the software versions (compare run.json's versions and git commit)"
            )
        return f"{head} DIFFERENT ({' and '.join(what)}): {why}."


def verify_run(
    run_info: str | Path, *, torch_threads: int = 1, emit: Callable[[str], None] = print
) -> Verdict:
    """Re-train the run a run.json describes to its fingerprint, and compare.

    Args:
        run_info: a run.json (a run folder's, or one kept in an archive).
        torch_threads: intra-op threads (the result does not depend on them).
        emit: receives progress lines.

    Raises:
        RunInfoError: the file is not a run.json, or it holds no fingerprint.
    """
    info = read_run_info(run_info)
    metrics, config = info["metrics"], info["config"]
    recorded = metrics.get("fingerprint")
    if not recorded:
        raise RunInfoError(
            Path(run_info),
            "run.json holds no fingerprint (the run was made before runs recorded one)",
            "retrain the run with this version of iam-repro to give it one",
        )
    resolved = copy.deepcopy(config)
    resolved["budget"]["steps_per_worker"] = int(recorded["steps_per_worker"])
    with tempfile.TemporaryDirectory(prefix="iam-repro-verify-") as tmp:
        monitor, checkpoint = Path(tmp) / "monitor.csv", Path(tmp) / "checkpoint.pt"
        emit(f"[{config['run_id']}] re-training {recorded['steps_per_worker']:,} steps per worker")
        result = train(
            resolved,
            monitor,
            emit=emit,
            progress_interval_s=1e9,
            torch_threads=torch_threads,
            checkpoint_path=checkpoint,
            checkpoint_interval_s=1e9,  # only the last update boundary is kept
        )
        own = result["fingerprint"]
        if own is None:  # the budget's end was not an update boundary past the fingerprint step
            own = {
                "monitor": monitor_digest(monitor),
                "weights": weights_digest(load_checkpoint(checkpoint)),
            }
    return Verdict(
        run_id=config["run_id"],
        steps_per_worker=int(recorded["steps_per_worker"]),
        same_episodes=own["monitor"] == recorded["monitor"],
        same_weights=own["weights"] == recorded["weights"],
        recorded_on=list(metrics.get("segments", [])),
        here=compute_platform(),
    )


def _describe(platform: dict[str, Any]) -> str:
    cpu = platform.get("cpu", "an unknown CPU")
    return f"{cpu} ({platform.get('torch_cpu_capability', '?')} kernels)"
