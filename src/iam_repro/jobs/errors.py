"""The errors a user causes and can fix, and how a Snakemake job reports them.

Each of these already carries one message naming the file (or program), the key or line, and
the fix; a job stops with that message alone rather than with a traceback above it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from iam_repro.config import ConfigError
from iam_repro.envs.requirements import MissingDependencyError
from iam_repro.envs.traffic.network import NetworkBuildError
from iam_repro.io.monitor import MonitorFormatError
from iam_repro.io.run_info import RunInfoError
from iam_repro.ppo.device import DeviceUnavailableError

__all__ = ["USER_ERRORS", "DeviceUnavailableError", "user_errors"]


USER_ERRORS: tuple[type[Exception], ...] = (
    ConfigError,
    MonitorFormatError,
    RunInfoError,
    MissingDependencyError,
    NetworkBuildError,
    DeviceUnavailableError,
)
"""Config problems, corrupt or stale run files, a missing or broken simulator, ROM or GPU."""


@contextlib.contextmanager
def user_errors(step: str) -> Iterator[None]:
    """Stop a job with only the message of a user-fixable error (:data:`USER_ERRORS`).

    The error becomes ``SystemExit("iam-repro: <step> stopped\\n<message>")``: the job fails
    with exit status 1 and Snakemake shows those lines just above its own error report. Other
    exceptions (bugs) pass through with their traceback. Put it outside the job's
    ``line_logger``, which still records the full traceback in the job's log.

    Args:
        step: What stopped, e.g. "the aggregate step of experiment 'warehouse'".
    """
    try:
        yield
    except USER_ERRORS as error:
        raise SystemExit(f"iam-repro: {step} stopped\n{error}") from error
