"""Log files for Snakemake jobs: each line timestamped and flushed at once, so `tail -f` works."""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def line_logger(path: str | Path) -> Iterator[Callable[[str], None]]:
    """Yield an `emit(line)` that appends to `path`; a crash's traceback ends up in the log."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:

        def emit(line: str) -> None:
            handle.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")
            handle.flush()

        try:
            yield emit
        except BaseException:
            handle.write(traceback.format_exc())
            handle.flush()
            raise
