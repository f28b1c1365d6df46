"""Which torch device a run trains on, from its config's `device` (cpu, cuda or auto), and in
which precision its convolutions compute (`precision`: fp32 or bf16)."""

from __future__ import annotations

import os

import numpy as np
import torch

from iam_repro.models.conv import PRECISIONS

__all__ = [
    "PRECISIONS",
    "DeviceUnavailableError",
    "native_bf16",
    "resolve_device",
    "resolve_precision",
    "to_host",
]


class DeviceUnavailableError(RuntimeError):
    """The config asks for a GPU and this job sees none."""


def resolve_device(requested: str, *, experiment: str = "<experiment>") -> torch.device:
    """The device for `requested`: cpu; cuda (must exist); auto (cuda when visible, else cpu).

    Raises:
        DeviceUnavailableError: `requested` is "cuda" and torch sees no CUDA device.
        ValueError: `requested` is not one of cpu, cuda, auto.
    """
    if requested == "cpu":
        return torch.device("cpu")
    if requested not in ("cuda", "auto"):
        raise ValueError(f"device must be cpu, cuda or auto, got {requested!r}")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if requested == "auto":
        return torch.device("cpu")
    if torch.version.cuda is None:
        why = f"this torch build ({torch.__version__}) has no CUDA support"
    else:
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        why = f"torch finds no CUDA device (CUDA_VISIBLE_DEVICES={visible!r})"
    raise DeviceUnavailableError(
        f"experiment '{experiment}': `device: cuda` asks for a GPU, but {why}. To fix: run it "
        f"where a GPU is visible (the Slurm profile asks the cluster for one), or set "
        f"`device: auto` (the GPU when there is one) or `device: cpu` in {experiment}.yaml "
        f"(in the experiments folder, config/experiments/ by default) or in its preset."
    )


def native_bf16(device: torch.device) -> bool:
    """Whether `device` computes bfloat16 in hardware: a GPU that supports it, or a CPU with
    AVX512-BF16 or AMX tiles (elsewhere torch emulates bf16, slower than fp32)."""
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    cpu = getattr(torch, "cpu", None)
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(cpu, name, lambda: False)()) for name in checks)


def resolve_precision(requested: str, device: torch.device) -> tuple[str, str | None]:
    """The precision a run computes in, and why it is not `requested` (None when it is).

    bf16 falls back to fp32 on a device without native bfloat16: there it would only be
    slower, and the run's record (run.json's segments) says which precision each part used.

    Raises:
        ValueError: `requested` is not one of :data:`PRECISIONS`.
    """
    if requested not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {requested!r}")
    if requested == "bf16" and not native_bf16(device):
        return "fp32", (
            f"precision bf16 asked for, but this {device.type} has no native bfloat16 "
            "(CPU: AVX512-BF16 or AMX; GPU: Ampere or newer): training in fp32 instead"
        )
    return requested, None


def to_host(tensor: torch.Tensor) -> np.ndarray:
    """A tensor's values as a numpy array, from any device.

    Every crossing from a torch tensor to numpy in training goes through here: `.numpy()` on a
    CUDA tensor raises, and a test checks that nothing else calls it.
    """
    return tensor.detach().cpu().numpy()
