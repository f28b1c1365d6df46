"""Atomic writes: the destination holds either the old content or the complete new content."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from iam_repro.io import (
    atomic_write,
    save_figure_atomic,
    write_csv_atomic,
    write_json_atomic,
    write_text_atomic,
)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_text_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old")
    with atomic_write(path) as handle:
        handle.write("new\nlines\n")
        assert path.read_text() == "old"  # nothing visible until the block ends
    assert path.read_bytes() == b"new\nlines\n"
    assert leftovers(tmp_path) == []


def test_failure_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError, match="boom"), atomic_write(path) as handle:
        handle.write("half written")
        raise RuntimeError("boom")
    assert path.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_failure_without_an_old_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "out.bin"
    with pytest.raises(KeyboardInterrupt), atomic_write(path, "wb") as handle:
        handle.write(b"\x00\x01")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_bytes_mode_and_missing_parents(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "out.bin"
    with atomic_write(path, "wb") as handle:
        handle.write(b"\x00\xff")
    assert path.read_bytes() == b"\x00\xff"


def test_result_has_ordinary_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "out.txt", "x")
    finally:
        os.umask(old)
    # mkstemp's 0600 would hide results from other users of a shared folder.
    assert (tmp_path / "out.txt").stat().st_mode & 0o777 == 0o644


def test_unknown_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mode"), atomic_write(tmp_path / "x", "a"):  # type: ignore[arg-type]
        pass


def test_json_is_strict_and_failures_write_nothing(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    write_json_atomic(path, {"b": 1, "a": [1.5, None]})
    assert path.read_text() == '{\n  "b": 1,\n  "a": [\n    1.5,\n    null\n  ]\n}\n'
    with pytest.raises(ValueError):
        write_json_atomic(tmp_path / "nan.json", {"x": float("nan")})
    assert not (tmp_path / "nan.json").exists()
    assert leftovers(tmp_path) == []
    assert json.loads(path.read_text()) == {"b": 1, "a": [1.5, None]}


def test_csv_has_no_index_and_unix_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    write_csv_atomic(pd.DataFrame({"model": ["IAM", "LSTM"], "x": [0.1, 2.0]}), path)
    assert path.read_bytes() == b"model,x\nIAM,0.1\nLSTM,2.0\n"


@pytest.mark.parametrize(
    ("suffix", "magic"), [(".png", b"\x89PNG"), (".pdf", b"%PDF"), (".svg", b"<?xml")]
)
def test_figure_format_follows_the_suffix(tmp_path: Path, suffix: str, magic: bytes) -> None:
    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    path = tmp_path / f"fig{suffix}"
    save_figure_atomic(fig, path)
    assert path.read_bytes().startswith(magic)


def test_figure_without_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="suffix"):
        save_figure_atomic(Figure(), tmp_path / "figure")
    assert list(tmp_path.iterdir()) == []
