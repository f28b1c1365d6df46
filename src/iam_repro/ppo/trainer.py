"""The run loop around `PPO` (iam_repro.ppo.algorithm): monitor log, progress, checkpoints, stops.

One call of `train` = one run: `collect()` and `update()` until the per-worker step budget is
spent, writing finished episodes to the run's monitor.csv as rollouts end. A budget that ends
mid-rollout drops that rollout (no update), as the original. After each update the loop logs
progress, checkpoints when one is due, asked for or the last update may be near (see `_run`),
and honours stop requests; a resume continues from a checkpoint and ends byte-identical to an
unbroken run (apart from wall-clock values).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from iam_repro.config.digest import trajectory_digest
from iam_repro.envs import make_vec_env
from iam_repro.io.monitor import MonitorWriter, truncate_monitor
from iam_repro.ppo.algorithm import PPO
from iam_repro.ppo.checkpoint import save_checkpoint
from iam_repro.ppo.cpu_clock import process_tree_cpu_s
from iam_repro.ppo.device import resolve_device, resolve_precision
from iam_repro.ppo.episodes import Episodes
from iam_repro.ppo.fingerprint import (
    FINGERPRINT_STEPS,
    compute_platform,
    monitor_digest,
    same_platform,
    weights_digest,
)
from iam_repro.ppo.host_memory import keep_freed_memory
from iam_repro.ppo.progress import ProgressLog
from iam_repro.ppo.run_spec import RunSpec

CHECKPOINT_INTERVAL_S = 60.0
"""Default least seconds between two checkpoints (config.yaml's `training.checkpoint_interval_s`
repeats it; tests/unit/test_defaults.py keeps them equal). One costs 8-28 ms."""


class TrainingInterrupted(RuntimeError):
    """The run was asked to stop (SIGTERM/SIGINT); a checkpoint holds its progress."""


@dataclass
class RunTotals:
    """The loop's own record across resumes, checkpointed beside the algorithm's state."""

    elapsed_s: float = 0.0  # training wall time of earlier segments (before this resume)
    rollout_s: float = 0.0
    update_s: float = 0.0
    # One entry per training segment (the start, then each resume): the step it started from,
    # the machine it computed on (`compute_platform`), since float kernels differ by CPU, the
    # precision of its convolutions and the threads its environments stepped on.
    segments: list[dict[str, Any]] = field(default_factory=list)
    last_losses: dict[str, float] = field(default_factory=dict)
    fingerprint: dict[str, Any] | None = None  # taken at FINGERPRINT_STEPS (fingerprint.py)

    @property
    def resumed_at(self) -> list[int]:
        """Steps where the run was resumed."""
        return [int(s["from_step"]) for s in self.segments[1:]]

    def state(self, elapsed_s: float) -> dict[str, Any]:
        """Checkpoint entries (under "loop"), with the wall time up to now."""
        return {
            "elapsed_s": elapsed_s,
            "rollout_s": self.rollout_s,
            "update_s": self.update_s,
            "resumed_at": self.resumed_at,
            "segments": [dict(s) for s in self.segments],
            "last_losses": dict(self.last_losses),
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_state(cls, saved: dict[str, Any]) -> RunTotals:
        # Checkpoints from before segments were kept know only where the run was resumed.
        segments = saved.get("segments") or [
            {"from_step": step} for step in [0, *saved["resumed_at"]]
        ]
        return cls(
            elapsed_s=float(saved["elapsed_s"]),
            rollout_s=float(saved["rollout_s"]),
            update_s=float(saved["update_s"]),
            segments=[dict(s) for s in segments],
            last_losses=dict(saved["last_losses"]),
            fingerprint=saved.get("fingerprint"),
        )


def train(
    resolved: dict[str, Any],
    monitor_path: Path,
    *,
    emit: Callable[[str], None] = print,
    progress_interval_s: float = 30.0,
    torch_threads: int = 1,
    env_threads: int = 1,
    checkpoint_path: Path | None = None,
    checkpoint_interval_s: float = CHECKPOINT_INTERVAL_S,
    resume: dict[str, Any] | None = None,
    stop_requested: Callable[[], bool] = lambda: False,
) -> dict[str, Any]:
    """Train one run and write its episodes to `monitor_path`.

    Args:
        resolved: the run's resolved config (iam_repro.config).
        monitor_path: where the episode log is written (the caller moves it into place).
        emit: receives progress lines.
        progress_interval_s: seconds between progress lines.
        torch_threads: intra-op threads (1 is fastest for these batch sizes).
        env_threads: threads the environments may step on (Atari's vector backend).
        checkpoint_path: where to save checkpoints (None: never).
        checkpoint_interval_s: least seconds between two checkpoints (0: after every update).
        resume: a checkpoint of this run (`load_checkpoint`), to continue from instead of
            starting; the episode log is cut back to the checkpoint's offset and appended to.
        stop_requested: polled after every update; when it returns True the run saves a
            checkpoint and raises `TrainingInterrupted`.

    Returns:
        metrics: wall time, transitions, throughput, time split, last losses, device, resumes.
    """
    spec = RunSpec.from_resolved(resolved)
    device = resolve_device(resolved.get("device", "cpu"), experiment=resolved["experiment"])
    precision, fallback = resolve_precision(spec.precision, device)
    if fallback is not None:
        emit(f"[{spec.run_id}] note: {fallback}")
    torch.set_num_threads(torch_threads)
    keep_freed_memory()
    envs = make_vec_env(
        spec.env_name,
        spec.ppo.num_workers,
        seed=spec.seed,
        threads=env_threads,
        **spec.env_options,
    )
    # What this segment computed with: envs that cannot use threads step on one.
    segment = {"precision": precision, "env_threads": getattr(envs, "stepping_threads", 1)}
    # Worker subprocesses (traffic) must go on every exit path, exceptions and Ctrl-C included.
    try:
        ppo = PPO.for_run(spec, envs, device, precision)
        if resume is None:
            ppo.start()
            totals = RunTotals(segments=[{"from_step": 0, **compute_platform(), **segment}])
            monitor = MonitorWriter(monitor_path, env_id=spec.env_name)
        else:
            ppo.load_state(resume)
            totals = RunTotals.from_state(resume["loop"])
            here = compute_platform()
            before = totals.segments[-1] if totals.segments else {}
            if "cpu" in before and not same_platform(before, here):
                emit(
                    f"[{spec.run_id}] note: resuming on another kind of machine "
                    f"({here['cpu']}, {here['torch_cpu_capability']} kernels; the run so far: "
                    f"{before['cpu']}, {before['torch_cpu_capability']}): float kernels differ "
                    "between CPUs, so from here the run is statistically, not bitwise, what an "
                    "unbroken run would give (run.json records each segment's machine)"
                )
            totals.segments.append({"from_step": ppo.step, **here, **segment})
            truncate_monitor(monitor_path, resume["monitor_offset"])
            monitor = MonitorWriter(monitor_path, env_id=spec.env_name, append=True)
            emit(
                f"[{spec.run_id}] resumed from checkpoint at step {ppo.step:,} "
                f"(update {ppo.updates})"
            )
        with monitor:
            wall_s = _run(
                ppo,
                spec,
                monitor,
                totals,
                config_digest=trajectory_digest(resolved),
                progress=ProgressLog(
                    emit,
                    spec.run_id,
                    spec.steps_per_worker,
                    spec.ppo.num_workers,
                    progress_interval_s,
                    ppo.step,
                ),
                checkpoint_path=checkpoint_path,
                checkpoint_interval_s=checkpoint_interval_s,
                stop_requested=stop_requested,
            )
        transitions = ppo.step * spec.ppo.num_workers
        return {
            "wall_time_s": wall_s,
            "steps_per_worker": ppo.step,
            "transitions": transitions,
            "transitions_per_s": transitions / wall_s if wall_s > 0 else float("nan"),
            "rollout_s": totals.rollout_s,
            "update_s": totals.update_s,
            "updates": ppo.updates,
            "episodes": ppo.episodes,
            "torch_threads": torch_threads,
            "parameters": sum(p.numel() for p in ppo.policy.parameters()),
            "device": str(device),
            "resumed_at_steps": totals.resumed_at,
            "segments": totals.segments,
            # None when a segment did not record it (a checkpoint from before cpu_s).
            "cpu_s": _total_cpu_s(totals.segments),
            "fingerprint": totals.fingerprint,
            "last_losses": totals.last_losses,
        }
    finally:
        envs.close()


def _run(
    ppo: PPO,
    spec: RunSpec,
    monitor: MonitorWriter,
    totals: RunTotals,
    *,
    config_digest: str,
    progress: ProgressLog,
    checkpoint_path: Path | None,
    checkpoint_interval_s: float,
    stop_requested: Callable[[], bool],
) -> float:
    """Collect and update until the budget is spent, adding this segment's times to `totals`.

    Returns:
        the run's training wall time, earlier segments (before resumes) included.

    Raises:
        TrainingInterrupted: `stop_requested()` said so after an update (checkpoint saved first).
    """
    budget = spec.steps_per_worker
    segment_start = last_checkpoint = time.monotonic()
    cpu_start = process_tree_cpu_s()

    def clock_segment() -> None:  # this segment's CPU seconds so far, for run.json
        totals.segments[-1]["cpu_s"] = round(process_tree_cpu_s() - cpu_start, 3)

    while ppo.step < budget:
        step_before = ppo.step
        tick = time.monotonic()
        collected = ppo.collect()
        _write_episodes(monitor, collected.episodes)
        totals.rollout_s += time.monotonic() - tick
        if not collected.complete:  # the budget ended mid-rollout: no update, as the original
            break

        tick = time.monotonic()
        totals.last_losses = ppo.update()
        totals.update_s += time.monotonic() - tick
        progress.maybe(ppo.step, ppo.recent_returns)
        if step_before < FINGERPRINT_STEPS <= ppo.step:
            totals.fingerprint = _fingerprint(ppo, monitor)

        stopping = stop_requested() and ppo.step < budget
        due = time.monotonic() - last_checkpoint >= checkpoint_interval_s
        # From here the next rollout may reach the budget: keep this boundary, so that the
        # finished run can be extended from its last update (jobs/training.py).
        last_boundary = ppo.step + spec.ppo.memory_size >= budget
        if checkpoint_path is not None and (stopping or due or last_boundary):
            elapsed_s = totals.elapsed_s + time.monotonic() - segment_start
            clock_segment()
            _save(checkpoint_path, ppo, monitor, totals.state(elapsed_s), config_digest)
            last_checkpoint = time.monotonic()
        if stopping:
            where = "saved a checkpoint" if checkpoint_path is not None else "no checkpoint"
            raise TrainingInterrupted(
                f"[{spec.run_id}] stopped on request at step {ppo.step:,} ({where})"
            )
    progress.maybe(ppo.step, ppo.recent_returns, force=True)
    clock_segment()
    return totals.elapsed_s + time.monotonic() - segment_start


def _total_cpu_s(segments: list[dict[str, Any]]) -> float | None:
    """The run's CPU seconds: the sum over its segments, if every one recorded its own."""
    if not segments or any("cpu_s" not in s for s in segments):
        return None
    return round(sum(float(s["cpu_s"]) for s in segments), 3)


def _fingerprint(ppo: PPO, monitor: MonitorWriter) -> dict[str, Any]:
    """The run's fingerprint at this update boundary (iam_repro.ppo.fingerprint)."""
    monitor.flush()
    return {
        "steps_per_worker": ppo.step,
        "monitor": monitor_digest(monitor.path, upto=monitor.tell()),
        "weights": weights_digest(ppo.state()),
    }


def _write_episodes(monitor: MonitorWriter, episodes: Episodes) -> None:
    """One monitor row per finished episode, its `t` from when it ended."""
    if len(episodes):
        monitor.write(
            returns=episodes.returns,
            lengths=episodes.lengths,
            times=episodes.ended_at - monitor.t_start,
            workers=episodes.workers,
            steps=episodes.steps,
        )


def _save(
    path: Path,
    ppo: PPO,
    monitor: MonitorWriter,
    totals: dict[str, Any],
    config_digest: str,
) -> None:
    """Write a checkpoint: the algorithm's state, the loop's totals and the log's offset."""
    monitor.flush(fsync=True)  # the log on disk must hold what the checkpoint points at
    state = ppo.state()
    state["loop"].update(totals)
    save_checkpoint(
        path,
        # Budget aside: a finished run's last checkpoint can grow it further.
        {"config_digest": config_digest, "monitor_offset": monitor.tell(), **state},
    )
