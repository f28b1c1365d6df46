"""run.json: what a run was (resolved config, software, machine) and what it cost (metrics).

Layout (keys in this order)::

    {
      "schema_version": 1,
      "config":   {...},            # the resolved config the run trained with
      "metrics":  {...},            # wall_time_s, transitions, steps_per_worker,
                                    # transitions_per_s, torch_threads, ...
      "versions": {"python": ..., "numpy": ..., "torch": ..., "gymnasium": ..., "iam_repro": ...},
      "git":      {"commit": "<sha>" | "unknown", "dirty": true | false | null},
      "hostname": "...",
      "platform": "...",
      "written_utc": "2026-01-01T12:00:00+00:00"
    }

A run folder can outlive its config: copied from another machine, or kept by
``snakemake --rerun-triggers mtime`` after the experiment file or preset changed.
:func:`check_run_config` compares the config a run.json records with the one the pipeline now
resolves for that run (by :func:`iam_repro.config.digest.config_digest`, which leaves out the
analysis-only keys) and raises :class:`StaleRunError` naming the keys that differ.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import platform
import socket
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from iam_repro.config.digest import ANALYSIS_KEYS, EXECUTION_KEYS, config_digest
from iam_repro.io.atomic import write_json_atomic

__all__ = [
    "RUN_INFO_SCHEMA_VERSION",
    "RunInfoError",
    "MISSING",
    "StaleRunError",
    "check_run_config",
    "config_differences",
    "config_matches",
    "git_revision",
    "package_versions",
    "read_run_info",
    "write_run_info",
]

RUN_INFO_SCHEMA_VERSION = 1

# Distribution names whose versions are part of a result (torch and gymnasium are read from
# package metadata, so writing run.json never imports them).
_VERSIONED_PACKAGES = {"numpy": "numpy", "torch": "torch", "gymnasium": "gymnasium"}


class RunInfoError(ValueError):
    """A run.json that is missing, unreadable or lacks a required key."""

    def __init__(self, path: str | os.PathLike[str], problem: str, fix: str) -> None:
        self.path = Path(path)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.path}: {problem}. To fix: {fix}.")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.problem, self.fix))


class StaleRunError(RunInfoError):
    """A run.json whose config is not the one the pipeline now resolves for that run.

    Attributes:
        differences: The differing key paths, e.g. ``["ppo.learning_rate", "seed"]``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        problem: str,
        fix: str,
        differences: list[str] | tuple[str, ...] = (),
    ) -> None:
        super().__init__(path, problem, fix)
        self.differences = list(differences)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.problem, self.fix, self.differences))


def package_versions() -> dict[str, str]:
    """Versions of Python, numpy, torch, gymnasium and iam_repro ("not installed" if absent)."""
    from iam_repro import __version__

    versions = {"python": platform.python_version()}
    for key, distribution in _VERSIONED_PACKAGES.items():
        try:
            versions[key] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            versions[key] = "not installed"
    versions["iam_repro"] = __version__
    return versions


def git_revision(directory: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Commit of the git checkout containing `directory` (default: this package), best effort.

    Returns:
        {"commit": sha or "unknown", "dirty": whether tracked files differ from the commit, or
        None when unknown}. Never raises: no git, no repository, or a timeout give "unknown".
    """
    if directory is None:
        directory = Path(__file__).resolve().parent
    # GIT_OPTIONAL_LOCKS=0: `git status` must not take the index lock, or a run finishing while
    # someone commits could make their commit fail.
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=directory,
            env=env,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return done.stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}
    try:
        dirty: bool | None = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        dirty = None
    return {"commit": commit, "dirty": dirty}


def _to_json(value: Any, key: str) -> Any:
    """Plain-JSON copy of `value`: numpy scalars/arrays, paths, tuples and dataclasses converted.

    NaN and infinities become None (JSON null).

    Raises:
        TypeError: On a value with no JSON form, naming the key.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return {str(k): _to_json(v, f"{key}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_to_json(v, f"{key}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, float) and not math.isfinite(value):
        # Strict JSON has no NaN/Infinity; store null rather than lose a finished run's
        # run.json over one diverged loss value.
        return None
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise TypeError(f"run.json {key} has type {type(value).__name__}, which JSON cannot store")


def write_run_info(
    path: str | os.PathLike[str],
    *,
    config: Mapping[str, Any],
    metrics: Mapping[str, Any],
    git_directory: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Write run.json atomically (layout in the module docstring).

    Args:
        path: Destination file.
        config: The resolved run config (nested dicts; dataclasses, numpy scalars, paths and
            tuples are converted).
        metrics: Measurements of the run, e.g. wall_time_s, transitions, steps_per_worker,
            transitions_per_s, torch_threads. NaN and infinities are stored as null.
        git_directory: Folder whose git commit is recorded (default: this package's checkout).

    Returns:
        The object written.

    Raises:
        TypeError: If config or metrics hold a value JSON cannot store (naming its key).
    """
    info = {
        "schema_version": RUN_INFO_SCHEMA_VERSION,
        "config": _to_json(config, "config"),
        "metrics": _to_json(metrics, "metrics"),
        "versions": package_versions(),
        "git": git_revision(git_directory),
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "written_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    write_json_atomic(path, info)
    return info


def read_run_info(path: str | os.PathLike[str], *, fix: str | None = None) -> dict[str, Any]:
    """Read a run.json and check it has `config` and `metrics` objects.

    Args:
        path: The run.json (or a copy of one, e.g. an archive's run record).
        fix: What the error tells the user to do, for a copy whose remedy is not retraining
            (default: retrain the run).

    Raises:
        RunInfoError: If the file is missing, not JSON, or lacks `config` / `metrics`.
    """
    path = Path(path)
    # The caller's remedy for a copy (e.g. regenerate an archive), else retrain the run.
    remedy = fix or "delete the run folder and rerun snakemake to retrain that run"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunInfoError(
            path, "run.json does not exist", fix or "rerun snakemake to train that run"
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise RunInfoError(path, f"cannot read run.json ({err})", remedy) from None
    try:
        info = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise RunInfoError(path, f"run.json is not valid JSON ({err})", remedy) from None
    if not isinstance(info, dict):
        raise RunInfoError(path, "run.json is not a JSON object", remedy)
    for key in ("config", "metrics"):
        if not isinstance(info.get(key), dict):
            raise RunInfoError(path, f"run.json has no {key!r} object", remedy)
    return info


# --------------------------------------------------------------------------- stale runs

MISSING = "<missing>"
"""What :func:`config_differences` gives for a key that one side lacks."""
_SHOWN_DIFFERENCES = 6


def config_differences(
    recorded: Any,
    expected: Any,
    *,
    exclude: tuple[str, ...] = ANALYSIS_KEYS + EXECUTION_KEYS,
) -> list[tuple[str, Any, Any]]:
    """Where two resolved configs differ, as (key path, recorded value, expected value).

    Mappings are compared key by key (a key one side lacks gives :data:`MISSING`), everything else
    as a whole and type-strictly (``1`` differs from ``1.0``, as in the digest). Top-level keys
    in `exclude` are skipped, like :func:`iam_repro.config.digest.config_digest` does.
    """
    out: list[tuple[str, Any, Any]] = []

    def walk(a: Any, b: Any, path: str) -> None:
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            for key in sorted({*a, *b}, key=str):
                if not path and key in exclude:
                    continue
                walk(a.get(key, MISSING), b.get(key, MISSING), f"{path}.{key}" if path else key)
        elif not _same(a, b):
            out.append((path or "(the whole config)", a, b))

    walk(recorded, expected, "")
    return out


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _shown(value: Any) -> str:
    if value is MISSING:
        return MISSING
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _digest(config: Any) -> str | None:
    try:
        return config_digest(config)
    except (TypeError, ValueError, AttributeError):  # not a JSON mapping (hand-edited file)
        return None


def config_matches(recorded: Any, expected: Mapping[str, Any]) -> bool:
    """Whether a run.json's config has the :func:`~iam_repro.config.digest.config_digest` of the
    expected resolved config (analysis-only keys aside)."""
    digest = _digest(recorded)
    return digest is not None and digest == _digest(expected)


def check_run_config(
    path: str | os.PathLike[str],
    recorded: Mapping[str, Any],
    expected: Mapping[str, Any],
    *,
    also_stale: list[str] | tuple[str, ...] = (),
) -> None:
    """Raise StaleRunError unless run.json's config matches the run's current resolved config.

    Args:
        path: The run.json (named in the message; its folder is the one to retrain).
        recorded: ``run.json["config"]``.
        expected: The resolved config the pipeline now gives this run (``Run.resolved``).
        also_stale: Other stale run folders, mentioned in the message (the fix then retrains
            them all).

    Raises:
        StaleRunError: The digests differ; the message lists the differing keys with both
            values and says how to retrain.
    """
    path = Path(path)
    if config_matches(recorded, expected):
        return
    recorded_digest, expected_digest = _digest(recorded), _digest(expected)
    differences = config_differences(recorded, expected)
    listed = "; ".join(
        f"{key} (run.json: {_shown(old)}, now: {_shown(new)})"
        for key, old, new in differences[:_SHOWN_DIFFERENCES]
    )
    if len(differences) > _SHOWN_DIFFERENCES:
        listed += f"; and {len(differences) - _SHOWN_DIFFERENCES} more"
    if not differences:
        listed = "none by value, the digests differ (a number written as 1 vs 1.0?)"
    run_dir = path.parent
    preset = expected.get("preset") if isinstance(expected, Mapping) else None
    command = "snakemake --cores all" + (
        f" --config preset={preset}" if isinstance(preset, str) else ""
    )
    others = ""
    if also_stale:
        shown = ", ".join(str(d) for d in also_stale[:3])
        more = f" and {len(also_stale) - 3} more" if len(also_stale) > 3 else ""
        others = f" ({len(also_stale)} other run(s) are stale too: {shown}{more})"
    problem = (
        f"this run was trained with a different configuration than the pipeline now resolves "
        f"for it (config digest {recorded_digest or 'unreadable'} in run.json, "
        f"{expected_digest} expected), e.g. copied from elsewhere or kept by "
        f"`--rerun-triggers mtime` after a config change{others}; differing keys: {listed}"
    )
    if also_stale:
        fix = (
            f"retrain the stale runs: rerun your snakemake command with --forcerun train "
            f"(e.g. `{command} --forcerun train`; it retrains every run), or delete the stale "
            f"run folders and rerun snakemake (only they retrain)"
        )
    else:
        fix = (
            f"retrain that run: rerun your snakemake command with --forcerun and its "
            f"monitor.csv (e.g. `{command} --forcerun {run_dir / 'monitor.csv'}`), or delete "
            f"the folder {run_dir} and rerun snakemake; if the old config was the intended "
            f"one, restore it in the experiment file instead"
        )
    raise StaleRunError(path, problem, fix, [key for key, _, _ in differences])
