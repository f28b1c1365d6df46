"""Compare episode logs apart from their wall-clock parts (header `t_start`, column `t`)."""

from __future__ import annotations

import json
from pathlib import Path

from iam_repro.io.monitor import MONITOR_COLUMNS

_T = MONITOR_COLUMNS.index("t")


def without_wall_time(path: str | Path) -> bytes:
    """The log's bytes with `t_start` removed from the header and the `t` field from each row."""
    header, *rest = Path(path).read_bytes().split(b"\n")
    meta = json.loads(header[1:])
    del meta["t_start"]
    out = [b"#" + json.dumps(meta).encode()]
    for line in rest:
        fields = line.split(b",")
        out.append(b",".join(fields[:_T] + fields[_T + 1 :]) if len(fields) > _T else line)
    return b"\n".join(out)
