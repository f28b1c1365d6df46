"""Checkpoint/resume: a run stopped or killed anywhere finishes with the log of an unbroken run.

The reference is an uninterrupted run of the same resolved config (smoke budget: 16 PPO updates
of 8 workers x 128 steps). Logs are compared byte for byte apart from the wall-clock parts.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from iam_repro.config import load_experiment
from iam_repro.jobs.training import CHECKPOINT, PARTIAL_LOG, run_training
from iam_repro.ppo.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from iam_repro.ppo.fingerprint import FINGERPRINT_STEPS
from iam_repro.ppo.trainer import TrainingInterrupted, train
from tests.monitor_compare import without_wall_time
from tests.unit.fake_process_env import SIGINT_IGNORED, descendants, wait_gone

REPO = Path(__file__).resolve().parents[2]
WAREHOUSE = load_experiment(REPO / "config/experiments/warehouse.yaml")
TRAFFIC = load_experiment(REPO / "config/experiments/traffic.yaml")
# Warehouse runs by model name; traffic runs as "traffic/<model>" (SUMO in worker processes).
RESOLVED = {r.model: r.resolved for r in WAREHOUSE.runs("smoke") if r.seed == 0} | {
    f"traffic/{r.model}": r.resolved for r in TRAFFIC.runs("smoke") if r.seed == 0
}


def quiet(_line: str) -> None:
    pass


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """model -> folder of an uninterrupted run (made on first use)."""
    root = tmp_path_factory.mktemp("reference")
    made: dict[str, Path] = {}

    def get(model: str) -> Path:
        if model not in made:
            made[model] = root / model
            run_training(RESOLVED[model], made[model], emit=quiet, checkpoint_interval_s=0)
        return made[model]

    return get


def start_child(
    model: str, folder: Path, *, sigint_ignored: bool = False, **options
) -> subprocess.Popen:
    """run_training(RESOLVED[model], folder, **options) in a child process; lines on stdout.

    Its first line is ``SIGINT ignored at start: <True|False>``; `sigint_ignored` starts it
    with SIGINT ignored, as `nohup cmd &` from a script does.
    """
    code = (
        "import json, signal, sys; from iam_repro.jobs.training import run_training; "
        "print('SIGINT ignored at start:', signal.getsignal(signal.SIGINT) == signal.SIG_IGN, "
        "flush=True); "
        "run_training(json.loads(sys.argv[1]), sys.argv[2], "
        "emit=lambda s: print(s, flush=True), **json.loads(sys.argv[3]))"
    )
    prefix = SIGINT_IGNORED if sigint_ignored else []
    args = [json.dumps(RESOLVED[model]), str(folder), json.dumps(options)]
    return subprocess.Popen(
        [*prefix, sys.executable, "-c", code, *args],
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop_after(updates: int):
    """A stop_requested that says yes after the given number of updates."""
    calls = iter(range(1, 10**9))
    return lambda: next(calls) == updates


def test_two_uninterrupted_runs_write_the_same_log(reference, tmp_path):
    run_training(RESOLVED["FNN1"], tmp_path, emit=quiet)
    expected = reference("FNN1") / "monitor.csv"
    assert without_wall_time(tmp_path / "monitor.csv") == without_wall_time(expected)
    # ... and the comparison is not blind: another seed's log differs.
    other = dict(RESOLVED["FNN1"], seed=7)
    run_training(other, tmp_path / "seed7", emit=quiet)
    assert without_wall_time(tmp_path / "seed7/monitor.csv") != without_wall_time(expected)


@pytest.mark.parametrize("model", ["FNN1", "FNN8", "LSTM", "IAM", "traffic/FNN32", "traffic/IAM"])
def test_stopping_twice_and_resuming_gives_the_unbroken_log(model, reference, tmp_path):
    # Every piece of state matters somewhere: frame stacks (FNN8, FNN32), recurrent state (LSTM,
    # IAM), SUMO mid-episode (traffic: restored by replaying the episode's actions).
    updates = RESOLVED[model]["budget"]["steps_per_worker"] // 128
    stops = sorted(random.Random(model).sample(range(1, updates), 2))
    messages: list[str] = []
    done = 0
    for stop in stops:
        with pytest.raises(TrainingInterrupted):
            train(
                RESOLVED[model],
                tmp_path / PARTIAL_LOG,
                emit=messages.append,
                checkpoint_path=tmp_path / CHECKPOINT,
                checkpoint_interval_s=1e9,  # only the stop saves one
                resume=load_checkpoint(tmp_path / CHECKPOINT) if done else None,
                stop_requested=stop_after(stop - done),
            )
        done = stop
        assert not (tmp_path / "monitor.csv").exists()
    metrics = run_training(RESOLVED[model], tmp_path, emit=messages.append)

    resumed = metrics["resumed_at_steps"]
    assert len(resumed) == len(stops) and resumed == sorted(set(resumed))
    if RESOLVED[model]["model"]["kind"] == "fnn":  # no padding: 128 real steps per update
        assert resumed == [s * 128 for s in stops]
    assert sum("resumed from checkpoint" in m for m in messages) == len(stops)
    expected = reference(model) / "monitor.csv"
    assert without_wall_time(tmp_path / "monitor.csv") == without_wall_time(expected)
    # The fingerprint (taken at the first update at or past 1,024 steps, before or after a
    # stop; a run with no update there has none) is the unbroken run's, and each segment says where
    # it started and on which machine.
    unbroken = json.loads((reference(model) / "run.json").read_text())["metrics"]
    assert metrics["fingerprint"] == unbroken["fingerprint"]
    if RESOLVED[model]["model"]["kind"] == "fnn":  # updates at 128, 256, ...: one at 1,024
        assert metrics["fingerprint"]["steps_per_worker"] == FINGERPRINT_STEPS
    assert [s["from_step"] for s in metrics["segments"]] == [0, *resumed]
    assert all(s["cpu"] == unbroken["segments"][0]["cpu"] for s in metrics["segments"])
    # Each segment's CPU seconds (SUMO workers included for traffic); the run's are their sum.
    assert all(s["cpu_s"] > 0 for s in metrics["segments"])
    assert metrics["cpu_s"] == pytest.approx(sum(s["cpu_s"] for s in metrics["segments"]))
    # Kept at the run's last update, so that the run can grow to a larger budget.
    assert load_checkpoint(tmp_path / CHECKPOINT)["loop"]["step"] <= metrics["steps_per_worker"]


def with_budget(resolved: dict, steps: int) -> dict:
    return {**resolved, "budget": {**resolved["budget"], "steps_per_worker": steps}}


@pytest.mark.parametrize("model", ["FNN8", "LSTM", "IAM"])
def test_a_finished_run_grows_to_a_larger_budget_as_if_made_in_one_go(model, tmp_path):
    """Quick run -> paper-scale run on the same schedule, without starting over. LSTM and IAM
    end mid-rollout (padding makes rollouts 123-124 real steps), so the extension replays the
    steps after the last update from its checkpoint."""
    small, large = with_budget(RESOLVED[model], 1024), with_budget(RESOLVED[model], 2048)
    one_go = run_training(large, tmp_path / "one_go", emit=quiet)
    grown = tmp_path / "grown"
    run_training(small, grown, emit=quiet)
    first_log = without_wall_time(grown / "monitor.csv")
    (grown / "monitor.csv").unlink()  # Snakemake deletes a job's outputs before rerunning it
    messages: list[str] = []
    metrics = run_training(large, grown, emit=messages.append)
    assert any("resumed from checkpoint" in m for m in messages), messages
    assert 0 < metrics["resumed_at_steps"][0] <= 1024
    assert metrics["steps_per_worker"] == one_go["steps_per_worker"] == 2048
    assert without_wall_time(grown / "monitor.csv") == without_wall_time(
        tmp_path / "one_go/monitor.csv"
    )
    # The smaller run's log was a true prefix, and not a log of the larger one.
    grown_log = without_wall_time(grown / "monitor.csv")
    assert grown_log.startswith(first_log.removesuffix(b"\n")) and len(first_log) < len(grown_log)


def test_growing_keeps_the_earlier_monitor_csv_intact_when_it_was_not_deleted(tmp_path):
    small = with_budget(RESOLVED["FNN1"], 1024)
    run_training(small, tmp_path, emit=quiet)
    before = (tmp_path / "monitor.csv").read_bytes()
    with pytest.raises(TrainingInterrupted):  # grown in place, stopped before the end
        train(
            with_budget(RESOLVED["FNN1"], 2048),
            tmp_path / PARTIAL_LOG,
            emit=quiet,
            checkpoint_path=tmp_path / "other.pt",
            resume=run_resume_payload(tmp_path, with_budget(RESOLVED["FNN1"], 2048)),
            stop_requested=stop_after(2),
        )
    assert (tmp_path / "monitor.csv").read_bytes() == before  # the hard link was broken


def run_resume_payload(folder: Path, resolved: dict):
    from iam_repro.jobs.training import resumable_checkpoint

    return resumable_checkpoint(folder / CHECKPOINT, folder / PARTIAL_LOG, resolved, quiet)


def test_a_checkpoint_past_the_budget_is_not_resumed(tmp_path):
    run_training(with_budget(RESOLVED["FNN1"], 2048), tmp_path, emit=quiet)
    messages: list[str] = []
    metrics = run_training(with_budget(RESOLVED["FNN1"], 1024), tmp_path, emit=messages.append)
    assert metrics["resumed_at_steps"] == [] and metrics["steps_per_worker"] == 1024
    assert any("past this run's budget" in m for m in messages), messages


@pytest.mark.parametrize("model", ["IAM", "traffic/IAM"])
def test_kill_9_at_random_points_then_resume_gives_the_unbroken_log(model, reference, tmp_path):
    """A real SIGKILL in a child process, three times at random moments after a checkpoint."""
    chance = random.Random(2026)
    checkpoint = tmp_path / CHECKPOINT
    kills = 0
    for _ in range(3):
        before = checkpoint.stat().st_mtime_ns if checkpoint.exists() else 0
        child = start_child(model, tmp_path, checkpoint_interval_s=0)
        deadline = time.monotonic() + 120
        while not (checkpoint.exists() and checkpoint.stat().st_mtime_ns > before):
            assert child.poll() is None, "the child ended before writing a checkpoint"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(chance.uniform(0.0, 0.4))  # anywhere: mid-rollout, mid-update, mid-save
        workers = descendants(child.pid)  # traffic: the SUMO worker processes
        assert len(workers) >= (8 if model.startswith("traffic/") else 0)
        child.send_signal(signal.SIGKILL)
        child.communicate()
        assert child.returncode == -signal.SIGKILL
        assert wait_gone(workers, timeout_s=10) == [], "env workers outlived the killed run"
        kills += 1
        # Nothing a reader could take for a finished run.
        assert not (tmp_path / "monitor.csv").exists() and not (tmp_path / "run.json").exists()
    assert kills == 3

    metrics = run_training(RESOLVED[model], tmp_path, emit=quiet)
    # Children 2 and 3 and this process each resumed, every time from further on.
    resumed = metrics["resumed_at_steps"]
    assert len(resumed) == 3 and resumed == sorted(set(resumed)) and resumed[0] > 0
    expected = reference(model) / "monitor.csv"
    assert without_wall_time(tmp_path / "monitor.csv") == without_wall_time(expected)


@pytest.mark.parametrize("model", ["FNN1", "traffic/FNN1"])
def test_sigterm_saves_a_checkpoint_and_the_run_resumes(model, reference, tmp_path):
    child = start_child(
        model,
        tmp_path,
        progress_interval_s=1e-3,
        checkpoint_interval_s=1e9,
        stop_on_signals=True,
    )
    for line in child.stdout:  # a progress line after every update
        if " step 512/" in line:
            break
    # As Slurm does (scancel --signal=TERM, time limit): every process of the job, the traffic
    # env's worker processes too.
    for pid in [child.pid, *descendants(child.pid)]:
        os.kill(pid, signal.SIGTERM)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 1, (child.returncode, err[-2000:])
    assert "TrainingInterrupted" in err and "stopped on request" in err
    assert (tmp_path / CHECKPOINT).exists()  # no checkpoint was due: the signal made one
    assert not (tmp_path / "monitor.csv").exists()

    messages: list[str] = []
    run_training(RESOLVED[model], tmp_path, emit=messages.append)
    assert any("resumed from checkpoint" in m for m in messages)
    expected = reference(model) / "monitor.csv"
    assert without_wall_time(tmp_path / "monitor.csv") == without_wall_time(expected)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_job_started_with_sigint_ignored_still_stops_on_request(signum, tmp_path):
    # `nohup cmd &` or `cmd &` from a script starts a job with SIGINT ignored; the job's own
    # handlers must still turn SIGINT (and SIGTERM) into a checkpoint and a clean stop.
    child = start_child(
        "FNN1",
        tmp_path,
        sigint_ignored=True,
        progress_interval_s=1e-3,
        checkpoint_interval_s=1e9,
        stop_on_signals=True,
    )
    assert child.stdout.readline() == "SIGINT ignored at start: True\n"  # the premise
    for line in child.stdout:  # a progress line after every update; 16 updates in all
        if " step 512/" in line:
            break
    child.send_signal(signum)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 1, (child.returncode, out[-2000:], err[-2000:])
    assert "TrainingInterrupted" in err and "stopped on request" in err
    assert (tmp_path / CHECKPOINT).exists()  # no checkpoint was due: the signal made one
    assert not (tmp_path / "monitor.csv").exists()


# ------------------------------------------------------------------------------------------
# Checkpoints that must not be resumed from


def interrupted_run(tmp_path: Path, model: str = "FNN1", updates: int = 5) -> None:
    with pytest.raises(TrainingInterrupted):
        train(
            RESOLVED[model],
            tmp_path / PARTIAL_LOG,
            emit=quiet,
            checkpoint_path=tmp_path / CHECKPOINT,
            checkpoint_interval_s=1e9,
            stop_requested=stop_after(updates),
        )


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda d: (d / CHECKPOINT).write_bytes(b"not a checkpoint"), "cannot be read"),
        (
            lambda d: (d / CHECKPOINT).write_bytes((d / CHECKPOINT).read_bytes()[:1000]),
            "cannot be read",
        ),
        (lambda d: (d / PARTIAL_LOG).unlink(), "missing or shorter"),
        (lambda d: (d / PARTIAL_LOG).write_bytes(b""), "missing or shorter"),
    ],
    ids=["garbage", "truncated", "log-missing", "log-emptied"],
)
def test_an_unusable_checkpoint_means_starting_over(damage, reason, reference, tmp_path):
    interrupted_run(tmp_path)
    damage(tmp_path)
    messages: list[str] = []
    metrics = run_training(RESOLVED["FNN1"], tmp_path, emit=messages.append)
    assert metrics["resumed_at_steps"] == []
    assert any("not resuming, starting over" in m and reason in m for m in messages), messages
    expected = reference("FNN1") / "monitor.csv"
    assert without_wall_time(tmp_path / "monitor.csv") == without_wall_time(expected)


def test_a_checkpoint_of_another_config_is_not_resumed(reference, tmp_path):
    interrupted_run(tmp_path)
    changed = json.loads(json.dumps(RESOLVED["FNN1"]))
    changed["ppo"]["learning_rate"] *= 2
    messages: list[str] = []
    metrics = run_training(changed, tmp_path, emit=messages.append)
    assert metrics["resumed_at_steps"] == []
    assert any("different config" in m for m in messages)


class _Bomb:
    """An object whose unpickling would create a file: must never happen on load."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_loading_never_unpickles_arbitrary_objects(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / CHECKPOINT
    save_checkpoint(path, {"weights": torch.zeros(3), "bomb": _Bomb(marker)})
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert not marker.exists()
    message = str(info.value)
    assert str(path) in message and "To fix: delete it" in message


def test_a_checkpoint_of_another_format_is_refused(tmp_path):
    path = tmp_path / CHECKPOINT
    torch.save({"format": 0, "weights": torch.zeros(1)}, path)
    with pytest.raises(CheckpointError, match="format 0"):
        load_checkpoint(path)


def test_resuming_a_checkpoint_from_another_machine_or_an_older_version(tmp_path):
    """A resume on another kind of CPU says so in the log (the float kernels change from there);
    a checkpoint written before segments and fingerprints were kept still resumes."""
    with pytest.raises(TrainingInterrupted):
        train(
            RESOLVED["FNN1"],
            tmp_path / PARTIAL_LOG,
            emit=quiet,
            checkpoint_path=tmp_path / CHECKPOINT,
            checkpoint_interval_s=1e9,
            stop_requested=stop_after(2),
        )
    payload = load_checkpoint(tmp_path / CHECKPOINT)
    payload["loop"]["segments"][0]["cpu"] = "Another CPU"
    messages: list[str] = []
    log = tmp_path / "resumed.csv"
    shutil.copyfile(tmp_path / PARTIAL_LOG, log)
    train(RESOLVED["FNN1"], log, emit=messages.append, resume=payload)
    assert any("resuming on another kind of machine" in m and "Another CPU" in m for m in messages)

    for key in ("segments", "fingerprint"):  # as checkpoints before both were recorded
        del payload["loop"][key]
    messages.clear()
    shutil.copyfile(tmp_path / PARTIAL_LOG, log)
    metrics = train(RESOLVED["FNN1"], log, emit=messages.append, resume=payload)
    assert [s["from_step"] for s in metrics["segments"]] == [0, 256]
    assert "cpu" not in metrics["segments"][0] and "cpu" in metrics["segments"][1]
    assert metrics["cpu_s"] is None  # the first segment did not record its CPU time
    assert not any("another kind of machine" in m for m in messages)
