"""Training checkpoints: everything a killed run needs to continue as if it had never stopped.

A checkpoint is one `torch.save` file holding only tensors and plain values (dicts, lists,
numbers, strings), so it loads with ``torch.load(weights_only=True)``: no arbitrary unpickling of
a file that may come from a shared results folder. It is written atomically (temporary file,
then rename), so a kill while saving leaves the previous checkpoint intact.

What a checkpoint holds: `PPO.state()` (``iam_repro.ppo.algorithm``: model and optimiser state,
the RNG states of torch, numpy and the environments, the frame stack, the recurrent state and
the unfinished episodes' running returns, the step and update counters), plus what the run loop
adds (``iam_repro.ppo.trainer``: its time totals and resumes, and the byte offset of the episode
log at that moment).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from iam_repro.io.atomic import atomic_write
from iam_repro.ppo.device import to_host

__all__ = [
    "FORMAT_VERSION",
    "CheckpointError",
    "load_checkpoint",
    "numpy_to_torch",
    "save_checkpoint",
    "torch_to_numpy",
]

FORMAT_VERSION = 1
"""Bumped whenever the payload layout changes; an older checkpoint is then not resumed."""

_DELETE_FIX = "delete it and rerun snakemake; the run then starts from the beginning"


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used (unreadable, another format, another run).

    Attributes:
        path: The checkpoint file.
        problem: What is wrong.
        fix: What the user can do about it.
    """

    def __init__(self, path: str | os.PathLike[str], problem: str, fix: str = _DELETE_FIX):
        self.path, self.problem, self.fix = Path(path), problem, fix
        super().__init__(f"{self.path}: {problem}. To fix: {fix}.")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.problem, self.fix))


def save_checkpoint(path: str | os.PathLike[str], payload: dict[str, Any]) -> None:
    """Write `payload` (tensors and plain values only) atomically, stamped with the format."""
    with atomic_write(path, "wb") as handle:
        torch.save({"format": FORMAT_VERSION, **payload}, handle)


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint without unpickling arbitrary objects.

    Raises:
        CheckpointError: The file is unreadable, holds anything but tensors and plain values,
            or has another format version.
    """
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise CheckpointError(path, f"cannot be read as a checkpoint ({first_line})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_VERSION:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise CheckpointError(
            path, f"has checkpoint format {found!r}, this version reads {FORMAT_VERSION}"
        )
    return payload


def numpy_to_torch(tree: Any) -> Any:
    """The same nested dicts/lists with every numpy array as a tensor (weights_only-safe)."""
    if isinstance(tree, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(tree).copy())
    if isinstance(tree, dict):
        return {key: numpy_to_torch(value) for key, value in tree.items()}
    if isinstance(tree, list | tuple):
        return type(tree)(numpy_to_torch(value) for value in tree)
    return tree


def torch_to_numpy(tree: Any) -> Any:
    """Inverse of `numpy_to_torch`: every tensor back to a numpy array."""
    if isinstance(tree, torch.Tensor):
        return to_host(tree)
    if isinstance(tree, dict):
        return {key: torch_to_numpy(value) for key, value in tree.items()}
    if isinstance(tree, list | tuple):
        return type(tree)(torch_to_numpy(value) for value in tree)
    return tree
