"""Which torch device a run trains on, from its config's `device` (cpu, cuda or auto)."""

from __future__ import annotations

import os

import numpy as np
import torch

__all__ = ["DeviceUnavailableError", "resolve_device", "to_host"]


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


def to_host(tensor: torch.Tensor) -> np.ndarray:
    """A tensor's values as a numpy array, from any device.

    Every crossing from a torch tensor to numpy in training goes through here: `.numpy()` on a
    CUDA tensor raises, and a test checks that nothing else calls it.
    """
    return tensor.detach().cpu().numpy()
