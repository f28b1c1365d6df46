"""Provenance of one build of the book: preset, code version, software, and every run's digest."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from iam_repro.config.digest import config_digest
from iam_repro.io.atomic import write_json_atomic
from iam_repro.io.run_info import git_revision, package_versions, read_run_info


def describe_segments(segments: list[dict[str, Any]] | None) -> str | None:
    """The machines a run computed on, e.g. "AMD EPYC (AVX512)", or "A (AVX2); from step
    40,960: B (AVX512)" when it resumed on another kind (float kernels differ between them)."""
    if not segments:
        return None
    parts: list[str] = []
    last = None
    for segment in segments:
        kind = f"{segment.get('cpu', 'unknown CPU')} ({segment.get('torch_cpu_capability', '?')})"
        if "cpu" not in segment:
            kind = "not recorded"
        if kind != last:
            start = int(segment.get("from_step", 0))
            parts.append(kind if not parts else f"from step {start:,}: {kind}")
            last = kind
    return "; ".join(parts)


def write_provenance(
    run_info_paths: Iterable[str | os.PathLike[str]],
    path: str | os.PathLike[str],
    *,
    preset: str,
    experiments: list[str],
) -> dict[str, Any]:
    """Collect every run.json into one provenance file (written atomically)."""
    runs = []
    for run_path in sorted(str(p) for p in run_info_paths):
        info = read_run_info(run_path)
        runs.append(
            {
                "run_id": info["config"].get("run_id", str(Path(run_path).parent)),
                "config_digest": config_digest(info["config"]),
                "wall_time_s": info["metrics"].get("wall_time_s"),
                "transitions_per_s": info["metrics"].get("transitions_per_s"),
                # Training CPU seconds, child processes included (None: not recorded).
                "cpu_s": info["metrics"].get("cpu_s"),
                "hostname": info.get("hostname"),
                "compute": describe_segments(info["metrics"].get("segments")),
                "fingerprint": (info["metrics"].get("fingerprint") or {}).get("weights"),
                "git_commit": info.get("git", {}).get("commit"),
            }
        )
    git = git_revision()
    versions = package_versions()
    for name in ("snakemake", "jupyter-book"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    provenance = {
        "preset": preset,
        "experiments": list(experiments),
        "git_commit": git.get("commit"),
        "git_dirty": git.get("dirty"),
        "versions": versions,
        "generated_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "runs": runs,
    }
    write_json_atomic(path, provenance)
    return provenance
