"""A run's fingerprint and the machine it computed on: what says whether two runs are the same.

A fingerprint is two SHA-256 digests taken at one update boundary: of the episodes logged so
far (the monitor rows without their wall-clock column `t`) and of every float bit of the policy
and optimiser state. The trainer takes one early in every run (the first boundary at or past
:data:`FINGERPRINT_STEPS` per worker) and run.json keeps it, so that anyone can re-train those
first steps of an archived run and learn whether their machine computes it bit for bit
(``iam-repro verify``).

Float kernels differ between CPUs (MKL, oneDNN and numpy choose code by the CPU's vendor and
instruction set), so same-seed runs agree bit for bit only on one kind of machine. Each
training segment (the start and every resume) therefore records :func:`compute_platform`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import platform
import socket
from pathlib import Path
from typing import Any

import torch

__all__ = [
    "FINGERPRINT_STEPS",
    "compute_platform",
    "monitor_digest",
    "same_platform",
    "weights_digest",
]

FINGERPRINT_STEPS = 1024
"""Per-worker steps after which a run's fingerprint is taken (the first update boundary at or
past it): a few seconds to re-train on any model, long enough for the weights to have been
through several updates."""


def monitor_digest(path: Path, *, upto: int | None = None) -> str:
    """SHA-256 of a monitor log's rows without the wall-clock column `t`.

    Args:
        path: a monitor.csv (its first line is the JSON header, which holds a timestamp).
        upto: read only the file's first `upto` bytes (whole rows; a writer's `tell()`).
    """
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        text = handle.read(upto).decode()
    lines = text.splitlines(keepends=True)[1:]  # the JSON header holds t_start
    for row in csv.DictReader(lines):
        row.pop("t")
        digest.update(json.dumps(row, sort_keys=True).encode())
    return digest.hexdigest()


def weights_digest(state: dict[str, Any]) -> str:
    """SHA-256 of the policy's and the optimiser's tensors, in key order.

    Args:
        state: a checkpoint or `PPO.state()`: its "policy" state dict and "optimizer" state.
    """
    digest = hashlib.sha256()
    tensors = {
        **{f"policy.{k}": v for k, v in state["policy"].items()},
        **{f"optimizer.{k}": v for k, v in state["optimizer"].items() if torch.is_tensor(v)},
    }
    for key in sorted(tensors):
        digest.update(key.encode())
        digest.update(tensors[key].detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def compute_platform() -> dict[str, str]:
    """What decides this process's float kernels: the CPU and the libraries' dispatch level."""
    return {
        "cpu": _cpu_model(),
        "machine": platform.machine(),
        "torch": str(torch.__version__),  # a TorchVersion, which checkpoints cannot load
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "hostname": socket.gethostname(),
    }


def same_platform(a: dict[str, str], b: dict[str, str]) -> bool:
    """Whether two `compute_platform()` records describe the same kind of machine (the host
    may differ: two machines of one kind compute alike)."""
    keys = ("cpu", "machine", "torch", "torch_cpu_capability")
    return all(a.get(k) == b.get(k) for k in keys)


def _cpu_model() -> str:
    """The CPU's model name (Linux /proc/cpuinfo), else what the platform module knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
