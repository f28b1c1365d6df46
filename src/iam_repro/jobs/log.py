"""Log files for Snakemake jobs: timestamped lines, never left half-written under their name.

While a job runs, its log grows in `<log>.partial` (flushed line by line: `tail -f` that file).
When the job ends -- finished or failed, the traceback included -- the file is renamed to
`<log>`. A job killed outright (kill -9, node loss) leaves only the `.partial` file; the next
attempt continues it, so one log holds every attempt of a job and a file under the log's own
name is always a finished one.
"""

from __future__ import annotations

import contextlib
import os
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path


def partial_path(path: str | Path) -> Path:
    """Where the log of a running job is written."""
    path = Path(path)
    return path.with_name(path.name + ".partial")


@contextlib.contextmanager
def line_logger(path: str | Path) -> Iterator[Callable[[str], None]]:
    """Yield an `emit(line)` writing to `<path>.partial`, which becomes `path` at the end."""
    path = Path(path)
    partial = partial_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if partial.exists():
        note = "--- the previous attempt ended without closing this log (killed?) ---"
    elif path.exists():
        os.replace(path, partial)  # an earlier attempt's finished log: keep it, continue it
        note = "--- new attempt ---"
    else:
        note = None
    try:
        with open(partial, "a", encoding="utf-8") as handle:

            def emit(line: str) -> None:
                handle.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")
                handle.flush()

            if note is not None:
                emit(note)
            try:
                yield emit
            except BaseException:
                handle.write(traceback.format_exc())
                raise
            finally:
                handle.flush()
                os.fsync(handle.fileno())
    finally:
        os.replace(partial, path)
