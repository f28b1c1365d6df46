"""Atomic file writes: a reader never sees a half-written table, figure or run.json.

Every product of the pipeline is written to a temporary file in the destination folder, flushed
to disk, then renamed over the destination with `os.replace` (atomic on POSIX when both paths are
on one file system, which the same folder guarantees). If anything fails, the temporary file is
removed and any previous file at the destination is left untouched -- so a killed Snakemake job
leaves either the old output or none, never a truncated one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "atomic_write",
    "save_figure_atomic",
    "write_csv_atomic",
    "write_json_atomic",
    "write_text_atomic",
]


def _current_umask() -> int:
    # os.umask can only be read by setting it; restore immediately.
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (best effort: not every platform can open a folder)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_write(
    path: str | os.PathLike[str],
    mode: Literal["w", "wb"] = "w",
    *,
    encoding: str = "utf-8",
) -> Iterator[IO[Any]]:
    """Open a temporary file that replaces `path` only when the block finishes without error.

    Args:
        path: Destination file. Missing parent folders are created.
        mode: "w" for text (UTF-8 by default, "\\n" line endings on every platform) or "wb"
            for bytes.
        encoding: Text encoding (ignored in binary mode).

    Yields:
        The open temporary file object; write to it like to `open(path, mode)`.

    Raises:
        ValueError: If `mode` is neither "w" nor "wb".
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    handle: IO[Any] | None = None
    try:
        # mkstemp creates the file with mode 0600; give the result the permissions a plain
        # open() would have given it, so other users of a shared results folder can read it.
        os.chmod(tmp, 0o666 & ~_current_umask())
        if mode == "wb":
            handle = os.fdopen(fd, "wb")
        else:
            handle = os.fdopen(fd, "w", encoding=encoding, newline="\n")
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        # BaseException too: a KeyboardInterrupt must not leave a stray temporary file.
        if handle is None:
            os.close(fd)  # the file object, once made, owns (and has closed) the descriptor
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def write_text_atomic(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> None:
    """Write `text` to `path` atomically (see `atomic_write`)."""
    with atomic_write(path, "w", encoding=encoding) as handle:
        handle.write(text)


def write_json_atomic(path: str | os.PathLike[str], obj: Any, *, indent: int = 2) -> None:
    """Write `obj` as strict JSON (no NaN/Infinity, which other tools cannot read) atomically.

    Keys keep their insertion order so that run.json reads top to bottom as written.

    Raises:
        ValueError: If `obj` holds a NaN or infinite float.
        TypeError: If `obj` holds something JSON cannot represent.
    """
    # Serialise before opening: a failure then cannot even create the temporary file.
    text = json.dumps(obj, indent=indent, allow_nan=False) + "\n"
    write_text_atomic(path, text)


def write_csv_atomic(df: pd.DataFrame, path: str | os.PathLike[str], **to_csv_kwargs: Any) -> None:
    """Write a DataFrame as CSV atomically, without the index and with "\\n" line endings.

    Args:
        df: The table to write.
        path: Destination file.
        **to_csv_kwargs: Passed on to `DataFrame.to_csv` (e.g. `float_format`).
    """
    to_csv_kwargs.setdefault("index", False)
    to_csv_kwargs.setdefault("lineterminator", "\n")
    with atomic_write(path, "w") as handle:
        df.to_csv(handle, **to_csv_kwargs)


def save_figure_atomic(fig: Figure, path: str | os.PathLike[str], **savefig_kwargs: Any) -> None:
    """Save a matplotlib figure atomically; the format comes from the suffix (.png, .pdf, .svg).

    Raises:
        ValueError: If `path` has no suffix.
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if not fmt:
        raise ValueError(f"cannot tell the figure format of {path}: give it a suffix like .png")
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format=fmt, **savefig_kwargs)
