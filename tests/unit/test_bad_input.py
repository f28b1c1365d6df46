"""Bad input: each case gives one clear message (file, key or line, fix) and loses nothing.

Where each case of the checklist is tested:

====================================  ======================================================
case                                  tests
====================================  ======================================================
misspelled key (config, experiment)   test_experiments: unknown_top_level_config_key,
                                      misspelled_nested_config_key, unknown_experiment_key,
                                      misspelled_model_key, misspelled_env_option,
                                      unknown_ppo_key; here: the property tests below
wrong types                           test_experiments: budget_as_a_string,
                                      float_where_an_integer_is_needed, config_values_out_of
                                      _range, ppo_wrong_type_and_zero, ...; here: properties
unknown env / model                   test_experiments: unknown_env, unknown_model_kind,
                                      preset_naming_an_unknown_model, preset_not_defined
zero / negative budget                test_experiments: budget_must_be_positive,
                                      preset_budget_must_be_positive, budget_smaller_than
                                      _one_rollout
d-set index out of range              test_experiments: dset_index_out_of_range,
                                      dset_wrong_forms
empty / truncated / corrupt / NaN     test_monitor: CORRUPTIONS (empty file, header only,
monitor.csv, read directly            truncated lines, nan return, nan step, ...) and its
                                      property tests; here: number syntax, CRLF, and the
                                      corruption-then-round-trip property
... met by the aggregate step         test_analysis_tables: corrupt_monitor_and_duplicate_runs;
                                      here: NaN row and header-only log, earlier tables kept;
                                      tests/workflow/test_bad_input_dag.py: through snakemake
missing SUMO / Atari ROM              test_requirements.py; here: a traffic training job
                                      without SUMO stops before starting any worker
stale run.json (other config)         here (library), tests/workflow/test_bad_input_dag.py
====================================  ======================================================

A header-only monitor.csv of a *finished* run (run.json written, the budget ended before any
episode did) fails the aggregate step clearly: such a run has no return to average, and
retraining it with the same budget would record no episode again, so the message asks for a
larger budget instead of a retrain.
"""

from __future__ import annotations

import copy
import math
import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iam_repro.analysis.tables import TableSettings, experiment_tables
from iam_repro.config import (
    ConfigError,
    config_digest,
    experiment_from_dict,
    load_config,
    load_experiment,
    load_experiments,
    runs_table,
)
from iam_repro.io import (
    MonitorFormatError,
    MonitorWriter,
    read_monitor,
    read_monitor_header,
    write_csv_atomic,
)
from iam_repro.io import run_info as run_info_module
from iam_repro.io.monitor import MONITOR_COLUMNS
from iam_repro.io.run_info import (
    MISSING,
    RunInfoError,
    StaleRunError,
    check_run_config,
    config_differences,
    write_run_info,
)
from iam_repro.io.runs import load_runs
from iam_repro.jobs.errors import user_errors

REPO = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
WAREHOUSE = yaml.safe_load((REPO / "config" / "experiments" / "warehouse.yaml").read_text())
HEADER = '#{"t_start": 1000.5, "env_id": "warehouse"}\nr,l,t,worker,step\n'

# Fast, reproducible property tests: a fixed set of examples, no per-example deadline (the
# machine may be busy), the same examples on every run.
PROPERTY = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(autouse=True)
def no_git(monkeypatch: pytest.MonkeyPatch) -> None:
    # run.json's commit is irrelevant here; do not shell out to git for every synthetic run.
    monkeypatch.setattr(
        run_info_module, "git_revision", lambda directory=None: {"commit": "test", "dirty": False}
    )


# --------------------------------------------------------------------------------------------
# monitor.csv read directly

ROW = "1.0,10,0.500000,0,10\n"


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        # int() and float() accept these; a corrupted byte can produce them (100 -> 1_0 = 10).
        ("1.0,10,0.5,0,1_0\n", "step is not an integer: '1_0'"),
        ("1.0, 10,0.5,0,20\n", "l (episode length) is not an integer: ' 10'"),
        ("1.0,10,0.5,+1,20\n", "worker is not an integer: '+1'"),
        ("1.0,10,0.5,0,\u0662\u0660\n", "step is not an integer"),  # Arabic-Indic "20"
        ("1_0.5,10,0.5,0,20\n", "r (episodic return) is not a plain decimal number: '1_0.5'"),
        ("1.0,10,0.5 ,0,20\n", "t (seconds since t_start) is not a plain decimal number"),
        ("NaN,10,0.5,0,20\n", "r (episodic return) must be finite, got 'NaN'"),
        ("1.0,10,1e400,0,20\n", "t (seconds since t_start) must be finite"),
        ("1.0,10,0.5,0," + "1" * 5000 + "\n", "step is too large"),
    ],
)
def test_numbers_must_be_written_as_the_writer_writes_them(
    tmp_path: Path, row: str, fragment: str
) -> None:
    path = tmp_path / "monitor.csv"
    path.write_text(HEADER + ROW + row, encoding="utf-8")
    with pytest.raises(MonitorFormatError) as info:
        read_monitor(path)
    assert info.value.line == 4
    assert str(info.value).startswith(f"{path}, line 4: ")
    assert fragment in str(info.value) and "To fix: " in str(info.value)


def test_what_the_writer_and_sb3_write_still_reads(tmp_path: Path) -> None:
    rows = "-0.0,0,0.000000,0,0\n1e-07,1,1e-06,1,5\n2.5E+3,2,12.5,1,7\n-.5,3,3.,0,9\n"
    path = tmp_path / "monitor.csv"
    path.write_text(HEADER + rows)
    frame = read_monitor(path)
    assert frame["r"].tolist() == [-0.0, 1e-07, 2500.0, -0.5]
    assert frame["t"].tolist() == [0.0, 1e-06, 12.5, 3.0]


def test_windows_line_endings_are_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "monitor.csv"
    path.write_bytes((HEADER + ROW).replace("\n", "\r\n").encode())
    with pytest.raises(MonitorFormatError) as info:
        read_monitor(path)
    assert info.value.line == 1
    assert "Windows line endings" in str(info.value) and "dos2unix" in str(info.value)


VALID_LOG = HEADER + "".join(
    f"{r!r},{length},{t:.6f},{worker},{step}\n"
    for r, length, t, worker, step in [
        (1.5, 10, 0.1, 0, 10),
        (-2.25, 10, 0.2, 1, 10),
        (0.30000000000000004, 12, 0.3, 0, 22),
        (41.0, 100, 1.0, 1, 110),
        (-0.0, 7, 1.5, 0, 29),
    ]
)

# One corruption: (kind, position as a fraction of the file, bytes).
corruption = st.tuples(
    st.sampled_from(["replace", "insert", "delete", "truncate", "duplicate_line", "swap_lines"]),
    st.floats(0, 1),
    st.binary(min_size=1, max_size=4)
    | st.sampled_from([b",", b"\n", b"\r", b"-", b".", b"e", b"nan", b"_", b" ", b"#", b"0"]),
)


def corrupt(raw: bytes, edits: list[tuple[str, float, bytes]]) -> bytes:
    data = bytearray(raw)
    for kind, where, payload in edits:
        at = min(int(where * len(data)), max(len(data) - 1, 0))
        lines = bytes(data).split(b"\n")
        line = min(int(where * len(lines)), len(lines) - 1)
        if kind == "replace" and data:
            data[at : at + len(payload)] = payload
        elif kind == "insert":
            data[at:at] = payload
        elif kind == "delete":
            del data[at : at + len(payload)]
        elif kind == "truncate":
            del data[at:]
        elif kind == "duplicate_line":
            lines.insert(line, lines[line])
            data = bytearray(b"\n".join(lines))
        elif kind == "swap_lines" and line + 1 < len(lines):
            lines[line], lines[line + 1] = lines[line + 1], lines[line]
            data = bytearray(b"\n".join(lines))
    return bytes(data)


@PROPERTY
@given(edits=st.lists(corruption, min_size=1, max_size=3))
def test_a_corrupted_log_reads_and_round_trips_or_names_file_and_line(
    tmp_path: Path, edits: list[tuple[str, float, bytes]]
) -> None:
    raw = corrupt(VALID_LOG.encode(), edits)
    path = tmp_path / "monitor.csv"
    path.write_bytes(raw)
    try:
        frame = read_monitor(path)
    except MonitorFormatError as err:
        message = str(err)
        assert message.startswith(str(path))
        assert "To fix: " in message
        if err.line is not None:
            assert 1 <= err.line <= raw.count(b"\n") + 1
            assert message.startswith(f"{path}, line {err.line}: ")
        return
    # Whatever reads is a valid log, and writing it again gives back the same episodes.
    header = read_monitor_header(path)
    again = tmp_path / "again.csv"
    with MonitorWriter(again, header["env_id"], t_start=header["t_start"]) as log:
        log.write(*(frame[column].tolist() for column in MONITOR_COLUMNS))
    back = read_monitor(again)
    assert read_monitor_header(again) == {"t_start": header["t_start"], "env_id": header["env_id"]}
    assert np.array_equal(back["r"].to_numpy().view(np.int64), frame["r"].to_numpy().view(np.int64))
    assert back["t"].tolist() == [float(f"{t:.6f}") for t in frame["t"]]  # 6 decimals
    for column in ("l", "worker", "step"):
        assert back[column].tolist() == frame[column].tolist()


# --------------------------------------------------------------------------------------------
# The aggregate step meets a bad run

SMOKE_RUNS = experiment_from_dict(copy.deepcopy(WAREHOUSE), name="warehouse").runs("smoke")
RESOLVED = {(run.model, run.seed): run.resolved for run in SMOKE_RUNS}


def make_run(folder: Path, config: dict[str, Any], *, episodes: bool = True) -> Path:
    """A finished run folder: monitor.csv (two episodes per worker, or none) and run.json."""
    folder.mkdir(parents=True)
    with MonitorWriter(folder / "monitor.csv", "warehouse", t_start=0.0) as log:
        if episodes:
            for step in (100, 200):
                log.write([1.0, 2.0], [100, 100], [1.0, 1.0], [0, 1], [step, step])
    steps = config["budget"]["steps_per_worker"]
    metrics = {
        "wall_time_s": 1.0,
        "transitions": steps * 8,
        "steps_per_worker": steps,
        "transitions_per_s": steps * 8.0,
        "device": "cpu",
        "resumed_at_steps": [],
    }
    write_run_info(folder / "run.json", config=config, metrics=metrics)
    return folder


def aggregate(
    run_dirs: list[Path], out: Path, expected_configs: dict | None = None
) -> dict[str, pd.DataFrame]:
    """What the aggregate rule's script does: load and check every run, compute, then write."""
    tables = experiment_tables(
        load_runs(run_dirs, expected_configs=expected_configs),
        env="warehouse",
        roster=experiment_from_dict(copy.deepcopy(WAREHOUSE), name="warehouse").roster,
        summary_window=100,
        max_step=200,
        threshold=None,
        settings=TableSettings(n_resamples=100),
    )
    for name, table in tables.items():
        write_csv_atomic(table, out / name)
    return tables


@pytest.fixture
def tables(tmp_path: Path) -> Path:
    """Earlier tables of the experiment, which a failed aggregation must leave alone."""
    out = tmp_path / "tables"
    run = make_run(tmp_path / "old" / "FNN1" / "seed_0", RESOLVED[("FNN1", 0)])
    aggregate([run], out)
    return out


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_nan_row_stops_aggregation_naming_the_log_and_keeps_the_tables(
    tmp_path: Path, tables: Path
) -> None:
    before = snapshot(tables)
    good = make_run(tmp_path / "runs" / "FNN1" / "seed_0", RESOLVED[("FNN1", 0)])
    bad = make_run(tmp_path / "runs" / "IAM" / "seed_0", RESOLVED[("IAM", 0)])
    with open(bad / "monitor.csv", "a") as handle:
        handle.write("nan,100,2.000000,0,300\n")
    with pytest.raises(MonitorFormatError) as info:
        aggregate([good, bad], tables)
    assert str(info.value).startswith(f"{bad / 'monitor.csv'}, line 7: r (episodic return)")
    assert "must be finite" in str(info.value) and "To fix: " in str(info.value)
    assert snapshot(tables) == before


def test_a_finished_run_without_episodes_asks_for_a_larger_budget(
    tmp_path: Path, tables: Path
) -> None:
    before = snapshot(tables)
    run = make_run(tmp_path / "runs" / "FNN1" / "seed_0", RESOLVED[("FNN1", 0)], episodes=False)
    assert read_monitor(run / "monitor.csv", allow_empty=True).empty  # a valid, empty log
    with pytest.raises(MonitorFormatError) as info:
        aggregate([run], tables)
    message = str(info.value)
    assert message.startswith(f"{run / 'monitor.csv'}, line 3: no episodes recorded: the run ")
    assert "finished its budget of 2048 steps per worker (run.json)" in message
    assert "To fix: raise the budget above one episode's length in the experiment file" in message
    assert "presets.smoke.budget.steps_per_worker" in message
    assert snapshot(tables) == before


# --------------------------------------------------------------------------------------------
# Stale run.json


def changed(config: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(config)
    *parents, last = path.split(".")
    target = out
    for key in parents:
        target = target[key]
    target[last] = value
    return out


def test_matching_configs_pass_and_analysis_only_keys_do_not_count() -> None:
    config = RESOLVED[("IAM", 1)]
    check_run_config("run.json", config, copy.deepcopy(config))
    # preset, summary_window and threshold only change the analysis (config_digest skips them)
    analysis_only = {**config, "preset": "quick", "summary_window": 1, "threshold": 99.0}
    check_run_config("run.json", config, analysis_only)
    assert config_differences(config, analysis_only) == []


def test_a_stale_run_json_names_the_file_the_keys_and_the_retrain_command() -> None:
    recorded = RESOLVED[("IAM", 1)]
    expected = changed(
        changed(recorded, "ppo.learning_rate", 0.001), "budget.steps_per_worker", 4096
    )
    path = Path("results/runs/warehouse/warehouse/IAM/seed_1/run.json")
    with pytest.raises(StaleRunError) as info:
        check_run_config(path, recorded, expected)
    err = info.value
    assert isinstance(err, RunInfoError)
    message = str(err)
    assert message.startswith(f"{path}: this run was trained with a different configuration")
    assert f"config digest {config_digest(recorded)} in run.json" in message
    assert f"{config_digest(expected)} expected" in message
    assert (
        "differing keys: budget.steps_per_worker (run.json: 2048, now: 4096); "
        "ppo.learning_rate (run.json: 0.00025, now: 0.001). To fix: " in message
    )
    assert (
        "`snakemake --cores all --config preset=smoke --forcerun "
        "results/runs/warehouse/warehouse/IAM/seed_1/monitor.csv`" in message
    )
    assert "or delete the folder results/runs/warehouse/warehouse/IAM/seed_1" in message
    assert err.differences == ["budget.steps_per_worker", "ppo.learning_rate"]
    assert "\n" not in message
    copy_ = pickle.loads(pickle.dumps(err))
    assert (type(copy_), str(copy_), copy_.differences) == (StaleRunError, message, err.differences)


def test_differences_are_type_strict_and_show_missing_keys() -> None:
    recorded = {"seed": 0, "ppo": {"c1": 1.0}, "old": True}
    expected = {"seed": 0, "ppo": {"c1": 1}, "new": [1]}
    assert config_differences(recorded, expected) == [
        ("new", MISSING, [1]),
        ("old", True, MISSING),
        ("ppo.c1", 1.0, 1),
    ]
    with pytest.raises(StaleRunError, match=r"new \(run\.json: <missing>, now: \[1\]\)"):
        check_run_config("run.json", recorded, expected)


def test_a_run_json_config_that_is_not_json_data_is_stale_not_a_crash() -> None:
    expected = RESOLVED[("FNN1", 0)]
    with pytest.raises(StaleRunError, match="config digest unreadable in run.json"):
        check_run_config(
            "run.json", {**expected, "threshold": math.nan, "seed": math.inf}, expected
        )


def test_aggregation_stops_at_stale_runs_before_reading_or_writing_anything(
    tmp_path: Path, tables: Path
) -> None:
    before = snapshot(tables)
    folders = {
        key: make_run(tmp_path / "runs" / key[0] / f"seed_{key[1]}", config)
        for key, config in RESOLVED.items()
        if key[0] in ("FNN1", "LSTM")
    }
    expected = {str(folder): RESOLVED[key] for key, folder in folders.items()}
    # The experiment now asks for another LSTM: its two runs are stale, FNN1's are not.
    for key in (("LSTM", 0), ("LSTM", 1)):
        expected[str(folders[key])] = changed(RESOLVED[key], "model.hidden", 128)
    (folders[("LSTM", 1)] / "monitor.csv").write_text("garbage")  # not even read
    with pytest.raises(StaleRunError) as info:
        aggregate(list(folders.values()), tables, expected_configs=expected)
    message = str(info.value)
    lstm0, lstm1 = folders[("LSTM", 0)], folders[("LSTM", 1)]
    assert message.startswith(f"{lstm0 / 'run.json'}: this run was trained with a different")
    assert f"(1 other run(s) are stale too: {lstm1})" in message
    assert "model.hidden (run.json: 256, now: 128)" in message
    assert "--forcerun train`; it retrains every run), or delete the stale run folders" in message
    assert snapshot(tables) == before


def test_aggregation_with_current_configs_works_and_needs_every_folder(tmp_path: Path) -> None:
    folders = [
        make_run(tmp_path / "runs" / model / f"seed_{seed}", RESOLVED[(model, seed)])
        for model, seed in (("FNN1", 0), ("IAM", 1))
    ]
    expected = {str(f): RESOLVED[(f.parent.name, int(f.name[5:]))] for f in folders}
    result = aggregate(folders, tmp_path / "out", expected_configs=expected)
    assert result["final_scores.csv"][["model", "seed"]].values.tolist() == [
        ["FNN1", 0],
        ["IAM", 1],
    ]
    with pytest.raises(ValueError, match="no expected config given for run folder"):
        aggregate(
            folders, tmp_path / "out", expected_configs={str(folders[0]): expected[str(folders[0])]}
        )


# --------------------------------------------------------------------------------------------
# How a Snakemake job reports them


def test_a_traffic_run_without_sumo_stops_with_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from iam_repro.envs import requirements
    from iam_repro.ppo.trainer import train

    monkeypatch.setenv("PATH", str(tmp_path))  # nothing here: no sumo, no netconvert
    monkeypatch.delenv("SUMO_HOME", raising=False)
    monkeypatch.setattr(requirements, "_find_spec", lambda name: None)  # no eclipse-sumo
    traffic = load_experiment(REPO / "config/experiments/traffic.yaml")
    resolved = next(r.resolved for r in traffic.runs("smoke"))
    with pytest.raises(SystemExit) as info, user_errors("training run traffic/FNN1"):
        train(resolved, tmp_path / "monitor.csv.partial", emit=lambda line: None)
    message = str(info.value)
    assert message.startswith("iam-repro: training run traffic/FNN1 stopped\nSUMO (traffic")
    assert "pip install eclipse-sumo==" in message and "Traceback" not in message
    assert list(tmp_path.iterdir()) == []  # stopped before writing anything


def test_user_errors_become_one_message_and_bugs_keep_their_traceback() -> None:
    error = ConfigError("config/config.yaml", "preset", "it is wrong", "fix it.")
    with pytest.raises(SystemExit) as info, user_errors("the aggregate step of experiment 'w'"):
        raise error
    assert info.value.code == f"iam-repro: the aggregate step of experiment 'w' stopped\n{error}"
    with pytest.raises(KeyError), user_errors("x"):
        raise KeyError("a bug")


# --------------------------------------------------------------------------------------------
# Property tests of the validator: random edits either load or give one ConfigError


def json_value(exclude: type | tuple[type, ...] = ()) -> st.SearchStrategy[Any]:
    """A random JSON-like value (as YAML would give it) whose type is not in `exclude`."""
    scalars = [
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70) | st.sampled_from([0, -1, 1, 128]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=12) | st.sampled_from(["all", "iam", "lstm", "fnn", "1e-4", "warehouse"]),
    ]
    compound = [
        st.lists(st.integers(-3, 100) | st.text(max_size=3), max_size=4),
        st.dictionaries(st.text(max_size=6), st.integers() | st.none(), max_size=3),
    ]
    kinds = [type(None), bool, int, float, str, list, dict]
    return st.one_of(
        [s for s, kind in zip(scalars + compound, kinds, strict=True) if not _is(kind, exclude)]
    )


def _is(kind: type, exclude: type | tuple[type, ...]) -> bool:
    excluded = exclude if isinstance(exclude, tuple) else (exclude,)
    # bool is an int in Python, but a different JSON type
    return kind in excluded or (kind is int and bool in excluded and int in excluded)


def containers(value: Any, path: tuple = ()) -> list[tuple]:
    """Paths of every dict and list inside `value` (the root is ())."""
    if not isinstance(value, dict | list):
        return []
    found = [path]
    for key, item in value.items() if isinstance(value, dict) else enumerate(value):
        found += containers(item, (*path, key))
    return found


def at(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


@st.composite
def mutated(draw: st.DrawFn, valid: dict) -> dict:
    """`valid` after 1-3 edits: a new key at any depth, a value replaced by one of another
    JSON type, or a key deleted (required keys included)."""
    data = copy.deepcopy(valid)
    for _ in range(draw(st.integers(1, 3))):
        holder = at(data, draw(st.sampled_from(containers(data))))
        op = draw(st.sampled_from(["insert", "retype", "delete"]))
        if isinstance(holder, dict) and op == "insert":
            key = draw(st.text(max_size=10) | st.sampled_from(["ppo", "kind", "seeds", "dset"]))
            holder[key] = draw(json_value())
        elif isinstance(holder, list) and op == "insert":
            holder.insert(draw(st.integers(0, len(holder))), draw(json_value()))
        elif holder and op == "retype":
            key = draw(
                st.sampled_from(list(holder) if isinstance(holder, dict) else range(len(holder)))
            )
            old = holder[key]
            holder[key] = draw(
                json_value(exclude=(type(old), bool) if type(old) is int else type(old))
            )
        elif holder and op == "delete":
            key = draw(
                st.sampled_from(list(holder) if isinstance(holder, dict) else range(len(holder)))
            )
            del holder[key]
    return data


def assert_one_clear_message(error: ConfigError, file: str) -> None:
    message = str(error)
    assert error.file == file
    assert message.startswith(f"{file}, key '{error.key}': " if error.key else f"{file}: ")
    assert "Fix: " in message and error.fix
    assert "\n" not in message and "Traceback" not in message
    if not error.key:  # only problems of the whole file have no key path
        assert re.search(r"line \d+|the file is empty|expected a mapping", error.problem), message


@PROPERTY
@given(data=mutated(WAREHOUSE), text_edit=st.sampled_from([None, "truncate", "duplicate_line"]))
def test_mutated_experiment_files_load_or_raise_one_config_error(
    tmp_path: Path, data: dict, text_edit: str | None
) -> None:
    path = tmp_path / "warehouse.yaml"
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    lines = text.splitlines(keepends=True)
    if text_edit == "truncate":
        text = text[: len(text) * 2 // 3]
    elif text_edit == "duplicate_line" and lines:
        text = "".join(lines[: len(lines) // 2 + 1] + lines[len(lines) // 2 :])
    path.write_text(text, encoding="utf-8")
    try:
        experiment = load_experiment(path)
    except ConfigError as error:
        assert_one_clear_message(error, str(path))
        return
    for preset in experiment.preset_names:
        for run in experiment.runs(preset):
            assert re.fullmatch(r"[0-9a-f]{16}", run.digest)


@PROPERTY
@given(data=mutated(CONFIG))
def test_mutated_pipeline_configs_load_or_raise_one_config_error(data: dict) -> None:
    data = {**data}
    if data.get("experiments_dir") == CONFIG["experiments_dir"]:
        data["experiments_dir"] = str(REPO / CONFIG["experiments_dir"])  # run from anywhere
    try:
        config = load_config(data)
        experiments = load_experiments(config)
        runs = runs_table(experiments, config.preset)
    except ConfigError as error:
        # The pipeline config, or an experiment file it points at.
        assert error.file == "config/config.yaml" or error.file.endswith(".yaml"), str(error)
        assert_one_clear_message(error, error.file)
        return
    assert runs
