"""The `device` setting: cpu, cuda (must exist) or auto (cuda when visible)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from iam_repro.config import load_experiment
from iam_repro.jobs.training import run_training
from iam_repro.ppo.device import DeviceUnavailableError, resolve_device

REPO = Path(__file__).resolve().parents[2]


def test_cpu_and_auto_without_a_gpu_train_on_the_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto") == torch.device("cpu")


def test_auto_and_cuda_use_a_visible_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device("cuda") == torch.device("cuda")
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize(
    "cuda_build, expected", [(None, "has no CUDA support"), ("12.8", "finds no CUDA device")]
)
def test_cuda_without_a_gpu_names_the_file_the_reason_and_the_fix(
    monkeypatch, cuda_build, expected
):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.version, "cuda", cuda_build)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    with pytest.raises(DeviceUnavailableError) as info:
        resolve_device("cuda", experiment="atari")
    message = str(info.value)
    assert message.startswith("experiment 'atari': `device: cuda` asks for a GPU")
    assert "atari.yaml" in message
    assert expected in message
    assert "`device: auto`" in message and "`device: cpu`" in message


def test_an_unknown_device_is_a_programming_error():
    with pytest.raises(ValueError, match="cpu, cuda or auto"):
        resolve_device("tpu")


def test_a_run_asking_for_a_missing_gpu_stops_before_writing_anything(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    resolved = dict(
        load_experiment(REPO / "config/experiments/warehouse.yaml").runs("smoke")[0].resolved
    )
    resolved["device"] = "cuda"
    with pytest.raises(DeviceUnavailableError, match="experiment 'warehouse'"):
        run_training(resolved, tmp_path / "run", emit=lambda line: None)
    assert list((tmp_path / "run").iterdir()) == []


def stopped_and_resumed(resolved: dict, folder: Path) -> dict:
    """Train `resolved` in `folder`, stop it at its second stop check (after the second
    update), then resume it from the checkpoint to the end; the resumed run's metrics."""
    from iam_repro.ppo.checkpoint import load_checkpoint
    from iam_repro.ppo.trainer import TrainingInterrupted, train

    calls = iter(range(10))
    with pytest.raises(TrainingInterrupted):
        train(
            resolved,
            folder / "monitor.csv",
            emit=lambda _: None,
            checkpoint_path=folder / "checkpoint.pt",
            stop_requested=lambda: next(calls) == 1,
        )
    return train(
        resolved,
        folder / "monitor.csv",
        emit=lambda _: None,
        resume=load_checkpoint(folder / "checkpoint.pt"),
    )


@pytest.mark.parametrize("model", ["FNN8", "LSTM", "IAM"])
def test_training_crosses_to_numpy_only_through_to_host(model, monkeypatch, tmp_path):
    """`.numpy()` on a CUDA tensor raises: with `device: cuda` the first update used to stop on
    `rollout.episode_start.numpy()`. Here every Tensor.numpy() call that does not come from
    `to_host` (which moves the tensor to the host first) fails, through a whole run, a
    checkpoint and a resume -- so no such call is left, without needing a GPU."""
    from iam_repro.ppo import device as device_module

    numpy = torch.Tensor.numpy

    def guarded(self, *args, **kwargs):
        caller = sys._getframe(1).f_code
        if caller is not device_module.to_host.__code__:
            raise AssertionError(
                f"Tensor.numpy() called from {caller.co_filename}:{caller.co_name}"
            )
        return numpy(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "numpy", guarded)
    with pytest.raises(AssertionError, match="called from"):  # the guard is live
        torch.zeros(1).numpy()

    experiment = load_experiment(REPO / "config/experiments/warehouse.yaml")
    [resolved] = [r.resolved for r in experiment.runs("smoke") if r.model == model and r.seed == 0]
    resolved = {**resolved, "budget": {**resolved["budget"], "steps_per_worker": 512}}
    metrics = stopped_and_resumed(resolved, tmp_path)
    assert metrics["steps_per_worker"] == 512


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize(
    "experiment, model",
    [
        ("warehouse", "FNN1"),
        ("warehouse", "IAM"),
        ("breakout_flicker", "FNN4"),
        ("breakout_flicker", "IAM"),
    ],
)
def test_a_gpu_run_is_stopped_resumed_and_finishes_on_the_gpu(experiment, model, tmp_path):
    """The whole host/device path on a real GPU: rollout, update, checkpoint, resume."""
    from iam_repro.io.monitor import read_monitor

    runs = load_experiment(REPO / f"config/experiments/{experiment}.yaml").runs("smoke")
    [resolved] = [r.resolved for r in runs if r.model == model and r.seed == 0]
    steps = 512  # four updates: stopped after the second, resumed for the other two
    resolved = {
        **resolved,
        "device": "cuda",
        "budget": {**resolved["budget"], "steps_per_worker": steps},
    }
    metrics = stopped_and_resumed(resolved, tmp_path)
    assert metrics["device"].startswith("cuda") and metrics["steps_per_worker"] == steps
    episodes = read_monitor(tmp_path / "monitor.csv")
    assert len(episodes) > 0 and episodes["r"].notna().all()
