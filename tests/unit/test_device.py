"""The `device` setting: cpu, cuda (must exist) or auto (cuda when visible)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from iam_repro.experiments import load_experiment
from iam_repro.ppo.device import DeviceUnavailableError, resolve_device
from iam_repro.run import run_training

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
