"""monitor.csv: exact layout, round trips, resume, and a clear error for every corruption."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iam_repro.io import (
    MONITOR_COLUMNS,
    MonitorFormatError,
    MonitorWriter,
    read_monitor,
    read_monitor_header,
    truncate_monitor,
)

HEADER = '#{"t_start": 1000.5, "env_id": "warehouse"}\nr,l,t,worker,step\n'


def write_bytes(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def assert_error(path: Path, line: int | None, *fragments: str) -> MonitorFormatError:
    with pytest.raises(MonitorFormatError) as info:
        read_monitor(path)
    err = info.value
    assert err.line == line
    message = str(err)
    assert str(path) in message
    if line is not None:
        assert f"line {line}:" in message
    assert "To fix:" in message
    for fragment in fragments:
        assert fragment in message
    return err


# --------------------------------------------------------------------------- writing


def test_writer_produces_the_documented_layout(tmp_path: Path) -> None:
    path = tmp_path / "monitor.csv"
    with MonitorWriter(path, "warehouse", t_start=1000.5) as log:
        log.write([1.5, -0.25], [10, 3], [0.1234567, 2.0], [0, 1], [10, 10])
        log.write([np.float32(0.1)], [np.int64(7)], [3.5], [np.int64(0)], [17])
    expected = (
        HEADER
        + "1.5,10,0.123457,0,10\n"
        + "-0.25,3,2.000000,1,10\n"
        # float32(0.1) widened to float64 and written with all the digits it needs.
        + "0.10000000149011612,7,3.500000,0,17\n"
    )
    assert path.read_text() == expected


def test_round_trip_of_a_small_log(tmp_path: Path) -> None:
    path = tmp_path / "monitor.csv"
    rewards = np.array([0.1, 0.2, 0.7], dtype=np.float32)
    episodic_return = float(np.float32(rewards.sum()))
    with MonitorWriter(path, "traffic", t_start=5.0) as log:
        log.write([episodic_return, 3.0], [3, 4], [1.0, 2.0], [0, 1], [3, 4])
    frame = read_monitor(path)
    assert list(frame.columns) == list(MONITOR_COLUMNS)
    assert frame.dtypes.to_dict() == {
        "r": np.float64,
        "l": np.int64,
        "t": np.float64,
        "worker": np.int64,
        "step": np.int64,
    }
    assert frame["r"].tolist() == [episodic_return, 3.0]
    assert frame["l"].tolist() == [3, 4]
    assert frame["worker"].tolist() == [0, 1]
    assert frame["step"].tolist() == [3, 4]
    assert read_monitor_header(path) == {"t_start": 5.0, "env_id": "traffic"}


def test_header_is_stable_baselines3_compatible(tmp_path: Path) -> None:
    # SB3's load_results: json.loads(first_line[1:]) and pandas.read_csv(skiprows=1).
    path = tmp_path / "monitor.csv"
    with MonitorWriter(path, "warehouse", t_start=1.0) as log:
        log.write([2.0], [5], [0.5], [0], [5])
    first = path.read_text().splitlines()[0]
    assert json.loads(first[1:]) == {"t_start": 1.0, "env_id": "warehouse"}
    frame = pd.read_csv(path, skiprows=1)
    assert list(frame.columns[:3]) == ["r", "l", "t"]


def test_times_none_uses_the_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "monitor.csv"
    monkeypatch.setattr("iam_repro.io.monitor.time.time", lambda: 1012.25)
    with MonitorWriter(path, "warehouse", t_start=1000.0) as log:
        log.write([1.0, 2.0], [1, 1], None, [0, 1], [1, 1])
    assert read_monitor(path)["t"].tolist() == [12.25, 12.25]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"returns": [1.0, 2.0]}, "same length"),
        ({"returns": [float("nan")]}, "finite"),
        ({"times": [float("inf")]}, "finite"),
        ({"lengths": [1.5]}, "integer"),
        ({"lengths": [-1]}, ">= 0"),
        ({"workers": [-1]}, ">= 0"),
        ({"steps": [-5]}, ">= 0"),
        ({"steps": [3]}, "backwards"),  # worker 0 already logged step 10
    ],
)
def test_write_rejects_bad_episodes_and_writes_nothing(
    tmp_path: Path, kwargs: dict, match: str
) -> None:
    path = tmp_path / "monitor.csv"
    with MonitorWriter(path, "warehouse", t_start=0.0) as log:
        log.write([1.0], [10], [1.0], [0], [10])
        log.flush()
        before = path.read_bytes()
        episode = {"returns": [1.0], "lengths": [2], "times": [2.0], "workers": [0], "steps": [12]}
        with pytest.raises(ValueError, match=match):
            log.write(**{**episode, **kwargs})
        log.flush()
        assert path.read_bytes() == before


def test_writer_allows_equal_steps_on_different_workers_and_any_order_between_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "monitor.csv"
    with MonitorWriter(path, "warehouse", t_start=0.0) as log:
        log.write([1.0, 2.0], [5, 5], [1.0, 1.0], [1, 0], [20, 20])
        log.write([3.0], [5], [1.0], [1], [25])
        log.write([4.0], [5], [1.0], [0], [21])  # behind worker 1, ahead of its own last step
    assert read_monitor(path)["step"].tolist() == [20, 20, 25, 21]


def test_tell_truncate_and_append_resume_the_log(tmp_path: Path) -> None:
    path = tmp_path / "monitor.csv"
    log = MonitorWriter(path, "warehouse", t_start=7.0)
    log.write([1.0], [4], [1.0], [0], [4])
    offset = log.tell()
    assert offset == path.stat().st_size  # tell() flushes, so the offset is on disk
    log.write([99.0], [4], [2.0], [0], [8])  # logged after the checkpoint: must disappear
    log.close()
    log.close()  # idempotent
    assert log.closed

    truncate_monitor(path, offset)
    with MonitorWriter(path, "warehouse", append=True) as resumed:
        assert resumed.t_start == 7.0  # taken from the header
        with pytest.raises(ValueError, match="backwards"):
            resumed.write([5.0], [1], [3.0], [0], [3])  # the log already has worker 0 at 4
        resumed.write([2.0], [4], [3.0], [0], [8])
    frame = read_monitor(path)
    assert frame["r"].tolist() == [1.0, 2.0]
    assert frame["step"].tolist() == [4, 8]
    assert path.read_text().count("#") == 1  # no second header


def test_append_to_a_missing_file_starts_a_new_log(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "monitor.csv"
    with MonitorWriter(path, "warehouse", t_start=3.0, append=True) as log:
        log.write([1.0], [1], [0.0], [0], [1])
    assert read_monitor_header(path)["t_start"] == 3.0


def test_append_refuses_another_env_a_different_start_or_a_torn_line(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "monitor.csv", HEADER + "1.0,1,0.5,0,1\n")
    with pytest.raises(MonitorFormatError, match="cannot append episodes of 'traffic'"):
        MonitorWriter(path, "traffic", append=True)
    with pytest.raises(ValueError, match="t_start"):
        MonitorWriter(path, "warehouse", t_start=1.0, append=True)
    write_bytes(path, HEADER + "1.0,1,0.5,0,1\n2.0,1,")
    with pytest.raises(MonitorFormatError) as info:
        MonitorWriter(path, "warehouse", append=True)
    assert info.value.line == 4


def test_truncate_rejects_offsets_that_do_not_fit_the_file(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "monitor.csv", HEADER + "1.0,1,0.5,0,1\n")
    size = path.stat().st_size
    with pytest.raises(MonitorFormatError, match="expects"):
        truncate_monitor(path, size + 1)
    with pytest.raises(MonitorFormatError, match="not a line end"):
        truncate_monitor(path, size - 2)
    with pytest.raises(MonitorFormatError, match="missing"):
        truncate_monitor(tmp_path / "absent.csv", 0)
    assert path.stat().st_size == size  # refused truncations change nothing


# --------------------------------------------------------------------------- reading errors

VALID_ROW = "1.0,10,0.500000,0,10\n"

CORRUPTIONS = [
    # (id, file content, line of the error, a fragment of the message)
    ("empty file", "", 1, "empty"),
    ("header without #", '{"t_start": 1.0, "env_id": "w"}\nr,l,t,worker,step\n', 1, '"#"'),
    ("header not json", "#{t_start: 1}\nr,l,t,worker,step\n", 1, "not valid JSON"),
    ("header json list", "#[1, 2]\nr,l,t,worker,step\n", 1, "not a JSON object"),
    ("header no t_start", '#{"env_id": "w"}\nr,l,t,worker,step\n', 1, "t_start"),
    ("header t_start text", '#{"t_start": "1", "env_id": "w"}\nr,l,t,worker,step\n', 1, "t_start"),
    ("header t_start NaN", '#{"t_start": NaN, "env_id": "w"}\nr,l,t,worker,step\n', 1, "t_start"),
    ("header t_start huge", '#{"t_start": 1' + "0" * 400 + ', "env_id": "w"}\n', 1, "t_start"),
    ("header no env_id", '#{"t_start": 1.0}\nr,l,t,worker,step\n', 1, "env_id"),
    ("header cut", '#{"t_start": 1.0, "env_id": "w"}', 1, "incomplete"),
    ("column header missing", '#{"t_start": 1.0, "env_id": "w"}\n', 2, "missing"),
    ("sb3 column header", '#{"t_start": 1.0, "env_id": "w"}\nr,l,t\n', 2, "column header"),
    ("column header cut", '#{"t_start": 1.0, "env_id": "w"}\nr,l,t,wor', 2, "incomplete"),
    ("header only", HEADER, 3, "no episodes recorded"),
    ("too few fields", HEADER + VALID_ROW + "1.0,10,0.5,0\n", 4, "5 comma-separated"),
    ("too many fields", HEADER + "1.0,10,0.5,0,10,3\n" + VALID_ROW, 3, "found 6"),
    ("blank line", HEADER + VALID_ROW + "\n" + "2.0,10,0.5,0,20\n", 4, "found 1"),
    ("truncated last line", HEADER + VALID_ROW + "2.0,10,0.5", 4, "incomplete"),
    # Cut inside the step field: the fields still parse, only the missing newline shows it.
    ("truncated step", HEADER + VALID_ROW + "2.0,10,0.500000,0,2", 4, "incomplete"),
    ("text return", HEADER + "abc,10,0.5,0,10\n", 3, "r (episodic return) is not a number"),
    ("nan return", HEADER + VALID_ROW + "nan,10,0.5,0,20\n", 4, "must be finite"),
    ("inf time", HEADER + "1.0,10,inf,0,10\n", 3, "t (seconds since t_start) must be finite"),
    ("float length", HEADER + "1.0,1.5,0.5,0,10\n", 3, "l (episode length) is not an integer"),
    ("nan step", HEADER + "1.0,10,0.5,0,nan\n", 3, "step is not an integer"),
    ("negative length", HEADER + "1.0,-3,0.5,0,10\n", 3, "must not be negative"),
    ("negative step", HEADER + "1.0,3,0.5,0,-10\n", 3, "must not be negative"),
    ("negative worker", HEADER + "1.0,3,0.5,-1,10\n", 3, "worker must not be negative"),
    ("step beyond int64", HEADER + f"1.0,3,0.5,0,{2**63}\n", 3, "too large"),
    (
        "step goes backwards",
        HEADER + "1.0,1,0.5,0,10\n" + "1.0,1,0.5,1,5\n" + "1.0,1,0.5,0,9\n",
        5,
        "worker 0's step goes backwards (10",
    ),
]


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [case[1:] for case in CORRUPTIONS],
    ids=[case[0] for case in CORRUPTIONS],
)
def test_every_corruption_names_the_file_the_line_and_a_fix(
    tmp_path: Path, content: str, line: int, fragment: str
) -> None:
    path = write_bytes(tmp_path / "monitor.csv", content)
    assert_error(path, line, fragment)


def test_missing_file(tmp_path: Path) -> None:
    err = assert_error(tmp_path / "nope" / "monitor.csv", None, "does not exist", "snakemake")
    assert isinstance(err, ValueError)


def test_a_folder_instead_of_a_file(tmp_path: Path) -> None:
    assert_error(tmp_path, None, "cannot read")


def test_invalid_utf8_reports_its_line(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "monitor.csv", HEADER.encode() + VALID_ROW.encode() + b"\xff\n")
    assert_error(path, 4, "UTF-8")


def test_truncated_file_suggests_the_rerun(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "monitor.csv", HEADER + "1.0,1")
    assert_error(path, 3, "killed while writing")


def test_header_only_is_valid_when_allowed(tmp_path: Path) -> None:
    frame = read_monitor(write_bytes(tmp_path / "monitor.csv", HEADER), allow_empty=True)
    assert frame.empty
    assert list(frame.columns) == list(MONITOR_COLUMNS)
    assert frame["step"].dtype == np.int64


def test_read_monitor_header_reads_only_line_one(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "monitor.csv", HEADER + "garbage that read_monitor rejects\n")
    assert read_monitor_header(path) == {"t_start": 1000.5, "env_id": "warehouse"}
    with pytest.raises(MonitorFormatError, match="empty"):
        read_monitor_header(write_bytes(tmp_path / "empty.csv", ""))
    with pytest.raises(MonitorFormatError, match="does not exist"):
        read_monitor_header(tmp_path / "absent.csv")


def test_extra_header_keys_are_kept(tmp_path: Path) -> None:
    content = '#{"t_start": 2.0, "env_id": "w", "note": "x"}\nr,l,t,worker,step\n' + VALID_ROW
    path = write_bytes(tmp_path / "monitor.csv", content)
    assert read_monitor_header(path)["note"] == "x"
    assert len(read_monitor(path)) == 1


def test_error_survives_pickling(tmp_path: Path) -> None:
    err = MonitorFormatError(tmp_path / "m.csv", 3, "bad", "retrain")
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.path, copy.line, str(copy)) == (err.path, err.line, str(err))


# --------------------------------------------------------------------------- properties

finite = st.floats(allow_nan=False, allow_infinity=False)
float32_sums = st.lists(st.floats(-10, 10, width=32), min_size=1, max_size=20).map(
    lambda rewards: float(np.sum(np.asarray(rewards, dtype=np.float32)))
)
episode = st.tuples(
    st.one_of(finite, float32_sums),  # return
    st.integers(0, 10**6),  # length
    st.floats(0, 1e7, allow_nan=False),  # seconds since t_start
    st.integers(0, 7),  # worker
    st.integers(0, 10**4),  # step increment for that worker
)


def episodes_table(rows: list[tuple]) -> dict[str, list]:
    """Columns from episode tuples, turning per-worker increments into step counters."""
    counters: dict[int, int] = {}
    table: dict[str, list] = {name: [] for name in MONITOR_COLUMNS}
    for r, length, t, worker, increment in rows:
        counters[worker] = counters.get(worker, 0) + increment
        for name, value in zip(
            MONITOR_COLUMNS, (r, length, t, worker, counters[worker]), strict=True
        ):
            table[name].append(value)
    return table


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(episode, min_size=1, max_size=30), batch=st.integers(1, 7))
def test_any_valid_episodes_round_trip_exactly(
    tmp_path: Path, rows: list[tuple], batch: int
) -> None:
    table = episodes_table(rows)
    path = tmp_path / "monitor.csv"
    with MonitorWriter(path, "env", t_start=1.0) as log:
        for start in range(0, len(rows), batch):
            chunk = slice(start, start + batch)
            log.write(*(table[name][chunk] for name in MONITOR_COLUMNS))
    frame = read_monitor(path)
    expected_r = np.asarray(table["r"], dtype=np.float64)
    # Bit for bit, so -0.0 and the last ulp of float32 sums survive.
    assert np.array_equal(frame["r"].to_numpy().view(np.int64), expected_r.view(np.int64))
    assert frame["l"].tolist() == table["l"]
    assert frame["t"].tolist() == [float(f"{t:.6f}") for t in table["t"]]
    assert frame["worker"].tolist() == table["worker"]
    assert frame["step"].tolist() == table["step"]


def valid_log_text() -> str:
    rows = [
        "1.5,10,0.100000,0,10",
        "-2.25,10,0.200000,1,10",
        "3.0,12,0.300000,0,22",
        "0.30000000000000004,7,0.400000,1,17",
        "41.0,100,1.000000,0,122",
    ]
    return HEADER + "\n".join(rows) + "\n"


def check_valid_frame(frame: pd.DataFrame) -> None:
    """What every frame read_monitor returns must satisfy."""
    assert list(frame.columns) == list(MONITOR_COLUMNS)
    assert len(frame) >= 1
    assert np.isfinite(frame["r"]).all() and np.isfinite(frame["t"]).all()
    assert (frame[["l", "worker", "step"]] >= 0).all().all()
    assert frame.groupby("worker")["step"].apply(lambda s: s.is_monotonic_increasing).all()


def read_or_format_error(path: Path) -> None:
    try:
        frame = read_monitor(path)
    except MonitorFormatError as err:
        assert str(path) in str(err)
        assert err.line is None or 1 <= err.line <= path.read_bytes().count(b"\n") + 1
    else:
        check_valid_frame(frame)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_truncation_anywhere_parses_or_raises_monitor_format_error(
    tmp_path: Path, data: st.DataObject
) -> None:
    raw = valid_log_text().encode()
    cut = data.draw(st.integers(0, len(raw)))
    path = write_bytes(tmp_path / "monitor.csv", raw[:cut])
    read_or_format_error(path)


junk = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=",0123456789.-+eEinfa#\r", max_size=40),
    st.lists(
        st.sampled_from(["1", "-1", "nan", "1e400", "0.5", "", " 2", "9" * 30]), max_size=7
    ).map(",".join),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), replacement=junk)
def test_a_junk_line_parses_or_raises_monitor_format_error(
    tmp_path: Path, data: st.DataObject, replacement: str
) -> None:
    lines = valid_log_text().split("\n")[:-1]
    index = data.draw(st.integers(0, len(lines) - 1))
    lines[index] = replacement
    path = write_bytes(tmp_path / "monitor.csv", "\n".join(lines) + "\n")
    read_or_format_error(path)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), new_byte=st.integers(0, 255))
def test_a_changed_byte_parses_or_raises_monitor_format_error(
    tmp_path: Path, data: st.DataObject, new_byte: int
) -> None:
    raw = bytearray(valid_log_text().encode())
    raw[data.draw(st.integers(0, len(raw) - 1))] = new_byte
    path = write_bytes(tmp_path / "monitor.csv", bytes(raw))
    read_or_format_error(path)
