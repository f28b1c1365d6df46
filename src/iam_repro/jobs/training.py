"""One training run from a resolved config to its finished run folder, resuming after a kill.

The run folder gets `monitor.csv` and `run.json` only when training completed. Beside them it
holds two side files that Snakemake does not know about (so it never deletes them):

- `monitor.csv.partial`: the episode log as it grows;
- `checkpoint.pt`: the state at the last checkpoint (`iam_repro.ppo.checkpoint`).

A restarted job finds them and continues from the checkpoint: the log is cut back to the
checkpoint's offset, so the finished log is byte for byte the one an uninterrupted run writes
(apart from its wall-clock column `t` and header `t_start`).

Both stay after the run finishes (the log as a second name of `monitor.csv`, the checkpoint
at the run's last update): when the budget grows (a quick run becoming a paper-scale one on
the same schedule), Snakemake reruns the job and it continues from there instead of starting
over, ending byte-identical to a run made at the larger budget in one go.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from iam_repro.config.digest import trajectory_digest
from iam_repro.io.run_info import write_run_info
from iam_repro.ppo.checkpoint import CheckpointError, load_checkpoint
from iam_repro.ppo.trainer import CHECKPOINT_INTERVAL_S, train

PARTIAL_LOG = "monitor.csv.partial"
CHECKPOINT = "checkpoint.pt"


def run_training(
    resolved: dict[str, Any],
    run_dir: Path,
    *,
    emit: Callable[[str], None] = print,
    torch_threads: int = 1,
    env_threads: int = 1,
    progress_interval_s: float = 30.0,
    checkpoint_interval_s: float = CHECKPOINT_INTERVAL_S,
    stop_on_signals: bool = False,
) -> dict[str, Any]:
    """Train the run described by `resolved` into `run_dir`; returns its metrics.

    Args:
        resolved: the run's resolved config.
        run_dir: the run's results folder.
        emit: receives log lines.
        torch_threads: intra-op threads.
        env_threads: threads the environments may step on (Atari's vector backend).
        progress_interval_s: seconds between progress lines.
        checkpoint_interval_s: least seconds between checkpoints (0: after every update).
        stop_on_signals: on SIGTERM/SIGINT finish the current update, save a checkpoint and
            stop (raising `TrainingInterrupted`); a second signal stops at once. For jobs.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    partial, checkpoint = run_dir / PARTIAL_LOG, run_dir / CHECKPOINT
    resume = resumable_checkpoint(checkpoint, partial, resolved, emit)
    if resume is None:
        emit(
            f"[{resolved['run_id']}] training {resolved['model_name']} on "
            f"{resolved['env']['name']} for {resolved['budget']['steps_per_worker']:,} steps "
            f"per worker"
        )
    signals = _stop_requests() if stop_on_signals else contextlib.nullcontext(lambda: False)
    with signals as stop_requested:
        metrics = train(
            resolved,
            partial,
            emit=emit,
            torch_threads=torch_threads,
            env_threads=env_threads,
            progress_interval_s=progress_interval_s,
            checkpoint_path=checkpoint,
            checkpoint_interval_s=checkpoint_interval_s,
            resume=resume,
            stop_requested=stop_requested,
        )
    metrics["slurm_job_id"] = os.environ.get("SLURM_JOB_ID")
    metrics["cuda_visible_devices"] = os.environ.get("CUDA_VISIBLE_DEVICES")
    write_run_info(run_dir / "run.json", config=resolved, metrics=metrics)
    _publish(partial, run_dir / "monitor.csv")
    emit(
        f"[{resolved['run_id']}] done: {metrics['transitions']:,} transitions in "
        f"{metrics['wall_time_s']:.1f} s ({metrics['transitions_per_s']:,.0f} transitions/s)"
    )
    return metrics


def resumable_checkpoint(
    checkpoint: Path, partial: Path, resolved: dict[str, Any], emit: Callable[[str], None]
) -> dict[str, Any] | None:
    """The checkpoint to resume from, or None (with the reason logged) to start afresh.

    A checkpoint is used only when it is readable, was written for this exact config, and the
    partial log holds at least the bytes it points at. Anything else means the leftovers belong
    to another attempt; the run then starts over and overwrites them.
    """
    if not checkpoint.exists():
        return None
    why = None
    try:
        payload = load_checkpoint(checkpoint)
    except CheckpointError as error:
        payload, why = None, str(error)
    budget = resolved["budget"]["steps_per_worker"]
    if payload is not None:
        step = payload["loop"]["step"]
        if payload.get("config_digest") != trajectory_digest(resolved):
            why = f"{checkpoint} was written for a different config"
        elif step > budget:
            why = f"{checkpoint} is at step {step:,}, past this run's budget of {budget:,}"
        elif not partial.exists() or partial.stat().st_size < payload["monitor_offset"]:
            why = f"{partial} is missing or shorter than {checkpoint} expects"
    if why is not None:
        emit(f"[{resolved['run_id']}] not resuming, starting over: {why}")
        return None
    _own_copy(partial)  # the log is about to be cut back and appended to
    return payload


def _publish(partial: Path, monitor: Path) -> None:
    """Give the finished log its final name and keep `partial` as a second name of it.

    A hard link costs no space; where links are not supported, a copy (written atomically).
    """
    tmp = monitor.with_name(monitor.name + ".tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(partial, tmp)
    except OSError:
        shutil.copyfile(partial, tmp)
    os.replace(tmp, monitor)


def _own_copy(path: Path) -> None:
    """Break a hard link to `path` (see `_publish`), so that writing to it leaves a finished
    monitor.csv of an earlier budget untouched."""
    if path.stat().st_nlink > 1:
        tmp = path.with_name(path.name + ".tmp")
        shutil.copyfile(path, tmp)
        os.replace(tmp, path)


@contextlib.contextmanager
def _stop_requests() -> Iterator[Callable[[], bool]]:
    """Turn the first SIGTERM/SIGINT into a polite request; a second one interrupts at once."""
    requested = False

    def handler(signum: int, frame: Any) -> None:
        nonlocal requested
        if requested:
            raise KeyboardInterrupt(f"second signal {signum}")
        requested = True

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield lambda: requested
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
