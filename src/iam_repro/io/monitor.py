"""The episode log `monitor.csv`: Stable-Baselines3 Monitor format plus two columns.

Layout (UTF-8, "\\n" line endings, every line -- the last included -- ends with "\\n")::

    #{"t_start": 1700000000.123, "env_id": "warehouse"}
    r,l,t,worker,step
    41.0,100,12.345678,0,100
    ...

- line 1: "#" then a JSON object with `t_start` (unix time the log was started, float) and
  `env_id` (str); Stable-Baselines3's `load_results` reads the same line.
- line 2: the column header `r,l,t,worker,step`.
- one row per finished episode:

  ======== ======================================================================
  column   meaning
  ======== ======================================================================
  r        episodic return (float)
  l        episode length in steps (int >= 0)
  t        wall-clock seconds since `t_start`, written with 6 decimals; the only
           non-deterministic column
  worker   index of the worker (vectorised environment slot) that ran it (int >= 0)
  step     that worker's step counter when the episode ended (int >= 0); this is
           the per-worker (vectorised) step of the paper's x-axis (spec/ppo.md);
           transitions = step x num_workers
  ======== ======================================================================

Float format: `r` is written with `repr(float(r))`, Python's shortest text that reads back as
exactly the same float64 (correctly rounded, so identical on every platform). Returns are sums of
float32 rewards, so `.6g`-style formats would lose digits; `repr` round-trips them bit for bit.

Resuming: `MonitorWriter.tell()` gives the byte offset of everything written so far; a checkpoint
stores it, and a resumed run calls `truncate_monitor(path, offset)` and then opens a
`MonitorWriter(..., append=True)`, so episodes logged after the checkpoint are not counted twice.
"""

from __future__ import annotations

import json
import math
import operator
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np
import pandas as pd

__all__ = [
    "MONITOR_COLUMNS",
    "MonitorFormatError",
    "MonitorWriter",
    "read_monitor",
    "read_monitor_header",
    "truncate_monitor",
]

MONITOR_COLUMNS: tuple[str, ...] = ("r", "l", "t", "worker", "step")
"""Column names of the episode rows, in file order."""

_COLUMN_HEADER = ",".join(MONITOR_COLUMNS)
_INT64_MAX = 2**63 - 1

_RETRAIN_FIX = "delete the run folder and rerun snakemake to retrain that run"
_TRUNCATED_FIX = (
    "the run was probably killed while writing; rerun snakemake (a run with a checkpoint resumes "
    "and repairs its log), or delete the run folder and rerun snakemake to retrain"
)


class MonitorFormatError(ValueError):
    """A monitor.csv that is missing, truncated or corrupt.

    Attributes:
        path: The offending file.
        line: 1-based line number of the problem, or None when it concerns the whole file.
        problem: What is wrong.
        fix: What the user can do about it.
    """

    def __init__(
        self, path: str | os.PathLike[str], line: int | None, problem: str, fix: str = _RETRAIN_FIX
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.problem = problem
        self.fix = fix
        where = f"{self.path}" if line is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {problem}. To fix: {fix}.")

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the exception picklable (e.g. across process pools) despite the custom signature.
        return (type(self), (self.path, self.line, self.problem, self.fix))


class _FieldError(Exception):
    """Internal: one field of a row is invalid (the caller adds path and line)."""


# --------------------------------------------------------------------------- writing


def _as_int(value: Any, name: str) -> int:
    """Exact integer value of `value` (int, numpy integer, or an integral float)."""
    try:
        return operator.index(value)
    except TypeError:
        number = float(value)
        if not number.is_integer():
            raise ValueError(f"{name} must be an integer, got {value!r}") from None
        return int(number)


def _header_text(t_start: float, env_id: str) -> str:
    return "#" + json.dumps({"t_start": t_start, "env_id": env_id}) + "\n" + _COLUMN_HEADER + "\n"


class MonitorWriter:
    """Appends finished episodes to a monitor.csv (see the module docstring for the format).

    Example:
        >>> with MonitorWriter(path, "warehouse", t_start=time.time()) as log:  # doctest: +SKIP
        ...     log.write(returns=[41.0], lengths=[100], times=None, workers=[0], steps=[100])

    Args:
        path: File to write. A new log (``append=False``) replaces any existing file.
        env_id: Environment name stored in the header.
        t_start: Unix time the run started. None: now for a new log, the header's value when
            appending to an existing log.
        append: Continue an existing log (after `truncate_monitor` on resume). The existing
            file is validated first (header, env_id, complete last line, step order); a missing
            or empty file is started afresh.

    Raises:
        MonitorFormatError: When appending to a file that is not a valid log for `env_id`.
        ValueError: When appending with a `t_start` different from the header's.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        env_id: str,
        t_start: float | None = None,
        *,
        append: bool = False,
    ) -> None:
        self.path = Path(path)
        self.env_id = str(env_id)
        # Last step written per worker: catches a trainer that logs out of order at write time
        # rather than much later, when the aggregate rule reads the file.
        self._last_step: dict[int, int] = {}
        if append and self.path.exists() and self.path.stat().st_size > 0:
            header = read_monitor_header(self.path)
            if header["env_id"] != self.env_id:
                raise MonitorFormatError(
                    self.path,
                    1,
                    f"cannot append episodes of {self.env_id!r} to a log of {header['env_id']!r}",
                    "point the run at its own folder, or delete the run folder and retrain",
                )
            if t_start is not None and float(t_start) != header["t_start"]:
                raise ValueError(
                    f"{self.path}: appending with t_start={t_start!r} but the log started at "
                    f"{header['t_start']!r}; pass t_start=None to keep the log's start time"
                )
            existing = read_monitor(self.path, allow_empty=True)  # validates the whole log
            for worker, step in existing.groupby("worker")["step"].max().items():
                self._last_step[int(worker)] = int(step)
            self.t_start = header["t_start"]
            self._file = open(self.path, "ab")  # noqa: SIM115 -- closed by close()/__exit__
        else:
            self.t_start = time.time() if t_start is None else float(t_start)
            if not math.isfinite(self.t_start):
                raise ValueError(f"t_start must be a finite unix time, got {t_start!r}")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "wb")  # noqa: SIM115 -- closed by close()/__exit__
            self._file.write(_header_text(self.t_start, self.env_id).encode("utf-8"))
            # A log is valid (header only) from the moment it exists.
            self._file.flush()

    def write(
        self,
        returns: Sequence[float],
        lengths: Sequence[int],
        times: Sequence[float] | None,
        workers: Sequence[int],
        steps: Sequence[int],
    ) -> None:
        """Append one row per finished episode.

        Args:
            returns: Episodic returns, shape (n,). Must be finite.
            lengths: Episode lengths in steps, shape (n,), integers >= 0.
            times: Wall seconds since `t_start` at each episode's end, shape (n,); None uses
                the current time for every row.
            workers: Worker index of each episode, shape (n,), integers >= 0.
            steps: Each worker's step counter at the episode's end, shape (n,), integers >= 0,
                not decreasing per worker across all calls.

        Raises:
            ValueError: On mismatched lengths or an invalid value; nothing is written then.
        """
        n = len(returns)
        if times is None:
            now = round(time.time() - self.t_start, 6)
            times = [now] * n
        sizes = {len(x) for x in (lengths, times, workers, steps)}
        if sizes != {n}:
            raise ValueError(
                "returns, lengths, times, workers and steps must have the same length, got "
                f"{[len(x) for x in (returns, lengths, times, workers, steps)]}"
            )
        rows = []
        last_step = dict(self._last_step)
        for i in range(n):
            r = float(returns[i])
            t = float(times[i])
            length = _as_int(lengths[i], "length")
            worker = _as_int(workers[i], "worker")
            step = _as_int(steps[i], "step")
            if not (math.isfinite(r) and math.isfinite(t)):
                raise ValueError(f"episode {i}: return {r!r} and time {t!r} must be finite")
            if not (0 <= length <= _INT64_MAX and 0 <= worker <= _INT64_MAX):
                raise ValueError(f"episode {i}: length {length} and worker {worker} must be >= 0")
            if not 0 <= step <= _INT64_MAX:
                raise ValueError(f"episode {i}: step {step} must be >= 0")
            if step < last_step.get(worker, 0):
                raise ValueError(
                    f"episode {i}: worker {worker}'s step goes backwards "
                    f"({last_step[worker]} then {step})"
                )
            last_step[worker] = step
            rows.append(f"{r!r},{length},{t:.6f},{worker},{step}\n")
        self._file.write("".join(rows).encode("utf-8"))
        self._last_step = last_step

    def flush(self, *, fsync: bool = False) -> None:
        """Hand buffered rows to the operating system (and to the disk if `fsync`)."""
        self._file.flush()
        if fsync:
            os.fsync(self._file.fileno())

    def tell(self) -> int:
        """Byte offset of the end of everything written so far (flushes first).

        Flushing makes the offset safe to store in a checkpoint: the file on disk is at least
        this long, so `truncate_monitor(path, offset)` can restore it exactly.
        """
        self._file.flush()
        return self._file.tell()

    def close(self) -> None:
        """Flush and close the file; calling it again does nothing."""
        if not self._file.closed:
            self._file.flush()
            self._file.close()

    @property
    def closed(self) -> bool:
        """Whether the file has been closed."""
        return self._file.closed

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def truncate_monitor(path: str | os.PathLike[str], offset: int) -> None:
    """Cut a log back to `offset` bytes (a value from `MonitorWriter.tell()`), for a resume.

    Raises:
        MonitorFormatError: If the file is shorter than `offset` or `offset` is not at the end
            of a line (then the checkpoint does not belong to this log).
    """
    path = Path(path)
    fix = "delete the run folder (log and checkpoint) and rerun snakemake to retrain"
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise MonitorFormatError(path, None, "the log to resume is missing", fix) from None
    if not 0 <= offset <= size:
        raise MonitorFormatError(
            path, None, f"the checkpoint expects {offset} bytes of log, the file has {size}", fix
        )
    with open(path, "r+b") as handle:
        if offset > 0:
            handle.seek(offset - 1)
            if handle.read(1) != b"\n":
                raise MonitorFormatError(
                    path, None, f"byte offset {offset} from the checkpoint is not a line end", fix
                )
        handle.truncate(offset)


# --------------------------------------------------------------------------- reading


def _parse_header_line(line: str, path: Path) -> dict[str, Any]:
    """Validate line 1 (`#` + JSON with t_start and env_id) and return the JSON object."""
    expected = 'a "#" followed by a JSON object like {"t_start": 1700000000.0, "env_id": "..."}'
    if not line.startswith("#"):
        raise MonitorFormatError(path, 1, f"the first line must be {expected}, found {line[:80]!r}")
    try:
        header = json.loads(line[1:])
    except (ValueError, RecursionError):
        raise MonitorFormatError(
            path, 1, f"the header is not valid JSON; expected {expected}"
        ) from None
    if not isinstance(header, dict):
        raise MonitorFormatError(path, 1, f"the header is not a JSON object; expected {expected}")
    t_start = header.get("t_start")
    valid_t = isinstance(t_start, int | float) and not isinstance(t_start, bool)
    try:
        valid_t = valid_t and math.isfinite(float(t_start))  # type: ignore[arg-type]
    except OverflowError:  # a JSON integer too large for a float
        valid_t = False
    if not valid_t:
        raise MonitorFormatError(path, 1, f"header t_start must be a finite number: {t_start!r}")
    if not isinstance(header.get("env_id"), str):
        raise MonitorFormatError(path, 1, f"header env_id must be a string: expected {expected}")
    header["t_start"] = float(t_start)  # type: ignore[arg-type]
    return header


def _read_bytes(path: Path, *, first_line_only: bool = False) -> bytes:
    """The file's bytes (or just its first line), with a missing or unreadable file as the
    MonitorFormatError a reader expects."""
    try:
        if not first_line_only:
            return path.read_bytes()
        with open(path, "rb") as handle:
            return handle.readline()
    except FileNotFoundError:
        raise MonitorFormatError(
            path, None, "the episode log does not exist", "rerun snakemake to train that run"
        ) from None
    except OSError as err:
        raise MonitorFormatError(path, None, f"cannot read the file ({err.strerror})") from None


def _decode(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise MonitorFormatError(path, line, "the line is not valid UTF-8 text") from None


def read_monitor_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate only line 1 of a monitor.csv.

    Returns:
        The header object: at least `t_start` (float) and `env_id` (str).

    Raises:
        MonitorFormatError: If the file is missing, empty, or line 1 is not a valid header.
    """
    path = Path(path)
    first = _read_bytes(path, first_line_only=True)
    if not first:
        raise MonitorFormatError(path, 1, "the file is empty (no header line)")
    if not first.endswith(b"\n"):
        raise MonitorFormatError(path, 1, "the header line is incomplete", _TRUNCATED_FIX)
    return _parse_header_line(_decode(first, path)[:-1], path)


# What the writer (and Stable-Baselines3's Monitor) produce: plain ASCII decimal numbers. Python's
# float() and int() also accept "1_0", " 2", "+3" and non-ASCII digits, so a corrupted byte could
# turn 100 into 10 ("1_0") without any error; the fields are matched against these first.
_FLOAT_SYNTAX = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_INT_SYNTAX = re.compile(r"-?[0-9]+")


def _parse_float(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _FieldError(f"{name} is not a number: {text[:40]!r}") from None
    if math.isfinite(value) and not _FLOAT_SYNTAX.fullmatch(text):
        raise _FieldError(f"{name} is not a plain decimal number: {text[:40]!r}")
    if not math.isfinite(value):
        raise _FieldError(f"{name} must be finite, got {text[:40]!r}")
    return value


def _parse_count(text: str, name: str) -> int:
    if not _INT_SYNTAX.fullmatch(text):
        raise _FieldError(f"{name} is not an integer: {text[:40]!r}")
    if len(text.lstrip("-").lstrip("0")) > 19:  # int64 has 19 digits; int() refuses 4300+
        raise _FieldError(f"{name} is too large: {text[:40]!r}")
    value = int(text)
    if value < 0:
        raise _FieldError(f"{name} must not be negative, got {value}")
    if value > _INT64_MAX:
        raise _FieldError(f"{name} is too large: {value}")
    return value


def read_monitor(path: str | os.PathLike[str], *, allow_empty: bool = False) -> pd.DataFrame:
    """Read and validate a monitor.csv.

    Every problem is reported as a `MonitorFormatError` naming the file, the first bad line and
    a fix: missing or empty file, bad JSON header, wrong column header, a last line without a
    line break (a run killed mid-write), a wrong number of fields, non-numeric / NaN / infinite
    values, negative lengths, workers or steps, a worker whose step decreases.

    Args:
        path: The log.
        allow_empty: Accept a log with a header but no episodes (returns an empty frame).
            Off by default: a finished run that recorded no episode is almost always a mistake.

    Returns:
        One row per episode in file order, columns r (float64), l (int64), t (float64),
        worker (int64), step (int64).

    Raises:
        MonitorFormatError: If the file is missing or invalid.
    """
    path = Path(path)
    text = _decode(_read_bytes(path), path)
    if not text:
        raise MonitorFormatError(path, 1, "the file is empty (no header line)")
    lines = text.split("\n")
    complete = lines[-1] == ""  # every line, the last included, must end with "\n"
    if complete:
        lines.pop()
    n_lines = len(lines)

    def check_complete(index: int) -> None:
        # A row cut off mid-number can still look valid ("...,0,10" for step 100): only the
        # missing line break gives it away.
        if index == n_lines - 1 and not complete:
            raise MonitorFormatError(
                path,
                index + 1,
                "the line is incomplete (the file ends without a line break)",
                _TRUNCATED_FIX,
            )

    check_complete(0)
    if lines[0].endswith("\r"):
        # JSON ignores the "\r", so without this the reader would stop at line 2's header.
        raise MonitorFormatError(
            path,
            1,
            "the file has Windows line endings (\\r\\n); the log is written with \\n only",
            f"convert it back (e.g. `dos2unix {path}`; check git's core.autocrlf if the file "
            "came from a repository), or delete the run folder and rerun snakemake to retrain",
        )
    _parse_header_line(lines[0], path)
    if n_lines < 2:
        raise MonitorFormatError(path, 2, f"the column header line {_COLUMN_HEADER!r} is missing")
    check_complete(1)
    if lines[1] != _COLUMN_HEADER:
        raise MonitorFormatError(
            path, 2, f"expected the column header {_COLUMN_HEADER!r}, found {lines[1][:80]!r}"
        )
    if n_lines == 2 and not allow_empty:
        raise MonitorFormatError(
            path,
            3,
            "no episodes recorded (the log has only its header)",
            "the run's budget ended before any episode finished: raise the budget in the "
            "experiment file above one episode's length and rerun snakemake (retraining with "
            "the same budget would record no episode again)",
        )

    returns: list[float] = []
    lengths: list[int] = []
    times: list[float] = []
    workers: list[int] = []
    steps: list[int] = []
    last_step: dict[int, int] = {}
    for index in range(2, n_lines):
        check_complete(index)
        fields = lines[index].split(",")
        try:
            if len(fields) != len(MONITOR_COLUMNS):
                raise _FieldError(
                    f"expected {len(MONITOR_COLUMNS)} comma-separated fields ({_COLUMN_HEADER}), "
                    f"found {len(fields)}: {lines[index][:80]!r}"
                )
            r = _parse_float(fields[0], "r (episodic return)")
            length = _parse_count(fields[1], "l (episode length)")
            t = _parse_float(fields[2], "t (seconds since t_start)")
            worker = _parse_count(fields[3], "worker")
            step = _parse_count(fields[4], "step")
            previous = last_step.get(worker, 0)
            if step < previous:
                raise _FieldError(
                    f"worker {worker}'s step goes backwards ({previous} on an earlier line, then "
                    f"{step}): rows are out of order or were appended twice after a resume"
                )
        except _FieldError as err:
            raise MonitorFormatError(path, index + 1, str(err)) from None
        last_step[worker] = step
        returns.append(r)
        lengths.append(length)
        times.append(t)
        workers.append(worker)
        steps.append(step)

    return pd.DataFrame(
        {
            "r": np.asarray(returns, dtype=np.float64),
            "l": np.asarray(lengths, dtype=np.int64),
            "t": np.asarray(times, dtype=np.float64),
            "worker": np.asarray(workers, dtype=np.int64),
            "step": np.asarray(steps, dtype=np.int64),
        }
    )
