"""Config and experiment loading: the shipped files, the runs table, override order, the error
messages a user sees, and property tests that the validator never fails with anything but a
ConfigError."""

from __future__ import annotations

import copy
import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iam_repro.config import (
    ANALYSIS_KEYS,
    SCHEMA_DIR,
    ConfigError,
    Experiment,
    canonical_json,
    config_digest,
    experiment_from_dict,
    load_config,
    load_experiment,
    load_experiments,
    runs_dataframe,
    runs_table,
    training_config,
    trajectory_digest,
)
from iam_repro.config.experiment import RANDOM_EPISODES

REPO = Path(__file__).resolve().parents[2]
CONFIG_FILE = REPO / "config" / "config.yaml"
WAREHOUSE_FILE = REPO / "config" / "experiments" / "warehouse.yaml"
WAREHOUSE = yaml.safe_load(WAREHOUSE_FILE.read_text())
SOURCE = "config/experiments/warehouse.yaml"
TRAFFIC_FILE = REPO / "config" / "experiments" / "traffic.yaml"
TRAFFIC = yaml.safe_load(TRAFFIC_FILE.read_text())
TRAFFIC_SOURCE = "config/experiments/traffic.yaml"

# The paper's d-set (spec/warehouse.md), written independently of the YAML file.
PAPER_DSET = [0, *range(49, 73)]


def pipeline_dict(experiments_dir: Path = WAREHOUSE_FILE.parent, **changes: Any) -> dict:
    config = yaml.safe_load(CONFIG_FILE.read_text())
    config["experiments_dir"] = str(experiments_dir)  # absolute: tests run from anywhere
    config.update(changes)
    return config


def warehouse(**changes: Any) -> dict:
    data = copy.deepcopy(WAREHOUSE)
    data.update(changes)
    return data


def validate(data: Any) -> Experiment:
    return experiment_from_dict(data, name="warehouse", source=SOURCE)


def traffic(**changes: Any) -> Experiment:
    data = copy.deepcopy(TRAFFIC)
    data.update(changes)
    return experiment_from_dict(data, name="traffic", source=TRAFFIC_SOURCE)


def traffic_error(data: dict) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        experiment_from_dict(data, name="traffic", source=TRAFFIC_SOURCE)
    return info.value


def assert_error(exc: ConfigError, file: str, key: str, *fragments: str) -> None:
    """One paragraph that names the file and the key, plus the expected specifics."""
    message = str(exc)
    assert exc.file == file
    assert exc.key == key
    assert message.startswith(f"{file}, key '{key}': " if key else f"{file}: ")
    assert "Fix: " in message
    assert "\n" not in message
    assert "Traceback" not in message and "Failed validating" not in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def experiment_error(data: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        validate(data)
    return info.value


# --------------------------------------------------------------------------------------------
# The shipped files


def test_shipped_config_loads():
    config = load_config(yaml.safe_load(CONFIG_FILE.read_text()))
    assert config.preset == "paper"
    assert config.experiments == "all"
    assert config.experiments_dir == Path("config/experiments")
    assert config.results_dir == Path("results")
    assert config.aggregation.confidence == 0.95
    assert config.aggregation.bootstrap_resamples == 10000
    assert config.aggregation.rolling_window_episodes == 100
    assert config.training.torch_threads == 1
    assert config.training.progress_interval_s == 30.0
    assert config.training.checkpoint_interval_s == 60.0


@pytest.mark.parametrize(
    ("preset", "models", "seeds", "budget", "window", "threshold"),
    [
        ("smoke", ["FNN1", "FNN8", "LSTM", "IAM"], [0, 1], 2048, 256, 12.0),
        ("quick", ["FNN1", "FNN8", "LSTM", "IAM"], [0, 1], 204800, 20480, 35.0),
        (
            "paper",
            # LSTM_fc runs only on request (the lstm_variants preset).
            ["FNN1", "FNN8", "LSTM", "IAM", "IAM_static"],
            [0, 1, 2, 3, 4],
            4000000,
            100000,
            35.0,
        ),
    ],
)
def test_shipped_experiments_give_the_expected_runs(
    preset, models, seeds, budget, window, threshold
):
    experiments = load_experiments(load_config(pipeline_dict(experiments=["warehouse"])))
    assert [e.name for e in experiments] == ["warehouse"]
    runs = runs_table(experiments, preset)
    assert len(runs) == len(models) * len(seeds)
    assert [(r.experiment, r.env, r.model, r.seed) for r in runs] == [
        ("warehouse", "warehouse", m, s) for m in models for s in seeds
    ]
    for run in runs:
        r = run.resolved
        assert run.run_id == r["run_id"] == f"warehouse/warehouse/{run.model}/seed_{run.seed}"
        # Every preset follows the paper's schedule (decay over 4e6 steps) and stops at its own.
        assert r["budget"] == {"steps_per_worker": budget, "schedule_steps_per_worker": 4000000}
        assert r["summary_window"] == window
        assert r["threshold"] == threshold
        assert r["preset"] == preset
        assert r["ppo"]["time_horizon"] == 8  # the experiment's ppo block
        assert r["budget"]["steps_per_worker"] % r["ppo"]["memory_size"] == 0


def test_resolved_layout_of_one_run():
    experiment = load_experiment(WAREHOUSE_FILE)
    runs = {r.run_id: r for r in experiment.runs("smoke")}
    resolved = runs["warehouse/warehouse/IAM/seed_1"].resolved
    ppo = resolved.pop("ppo")
    assert resolved == {
        "run_id": "warehouse/warehouse/IAM/seed_1",
        "experiment": "warehouse",
        "env": {"name": "warehouse", "options": {"removal_quirk": True}},
        "model_name": "IAM",
        "role": "iam",
        "model": {
            "kind": "iam",
            "frames": 1,
            "fnn": [576, 256],
            "memory": 64,
            "dset": PAPER_DSET,
            "cell": "lstm",
        },
        "seed": 1,
        "budget": {"steps_per_worker": 2048, "schedule_steps_per_worker": 4000000},
        "device": "cpu",
        "summary_window": 256,
        "threshold": 12.0,
        "preset": "smoke",
    }
    # The authors' protocol (spec/ppo.md, warehouse column) plus the model's seq_len.
    assert {
        k: ppo[k]
        for k in (
            "num_workers",
            "memory_size",
            "time_horizon",
            "batch_size",
            "num_epoch",
            "seq_len",
            "learning_rate",
            "epsilon",
            "gamma",
            "lam",
            "beta",
            "c1",
        )
    } == {
        "num_workers": 8,
        "memory_size": 128,
        "time_horizon": 8,
        "batch_size": 32,
        "num_epoch": 3,
        "seq_len": 8,
        "learning_rate": 2.5e-4,
        "epsilon": 0.1,
        "gamma": 0.99,
        "lam": 0.95,
        "beta": 0.01,
        "c1": 1.0,
    }
    assert ppo["max_grad_norm"] is None and ppo["normalize_advantages"] is False


def test_frames_default_and_stacking():
    experiment = load_experiment(WAREHOUSE_FILE)
    runs = {m: experiment.resolve(m, "paper", 0) for m in experiment.model_names}
    assert runs["FNN1"]["model"] == {"kind": "fnn", "frames": 1, "hidden": [640, 256]}
    assert runs["FNN8"]["model"]["frames"] == 8
    # spec/models.md, notes: LSTM is obs -> LSTM as the original ran it; LSTM_fc the FC 640 intent.
    assert runs["LSTM"]["model"] == {
        "kind": "lstm",
        "frames": 1,
        "fc": [],
        "hidden": 256,
        "cell": "lstm",
    }
    assert runs["LSTM_fc"]["model"] == {**runs["LSTM"]["model"], "fc": [640]}
    assert runs["IAM_static"]["model"]["dset"] == "all"
    assert "ppo" not in runs["LSTM"]["model"]


def test_runs_dataframe():
    runs = runs_table([load_experiment(WAREHOUSE_FILE)], "smoke")
    frame = runs_dataframe(runs)
    assert list(frame.columns) == ["experiment", "env", "model", "seed"]
    assert frame.index.name == "run_id"
    assert list(frame.index) == [r.run_id for r in runs]
    assert list(frame["seed"]) == [0, 1] * 4
    assert frame["seed"].dtype.kind == "i"
    assert set(frame["model"]) == {"FNN1", "FNN8", "LSTM", "IAM"}


# --------------------------------------------------------------------------------------------
# Resolution: override order, determinism, digest


def override_experiment() -> dict:
    return warehouse(
        ppo={"beta": 0.02, "gamma": 0.9, "lam": 0.9},
        models={
            "A": {
                "kind": "fnn",
                "role": "fnn_1",
                "hidden": [4],
                "ppo": {"beta": 0.03, "gamma": 0.8},
            },
            "B": {"kind": "fnn", "role": "fnn_k", "hidden": [4]},
        },
        presets={"P": {"ppo": {"beta": 0.04}}, "Q": {}},
    )


def test_override_order_defaults_experiment_model_preset():
    experiment = validate(override_experiment())
    ppo = {
        (r.model, p): r.resolved["ppo"]
        for p in ("P", "Q")
        for r in experiment.runs(p)
        if r.seed == 0
    }
    # Preset beats model beats experiment.
    assert ppo["A", "P"]["beta"] == 0.04 and ppo["B", "P"]["beta"] == 0.04
    assert ppo["A", "Q"]["beta"] == 0.03
    # A model without an override gets the experiment's value.
    assert ppo["B", "Q"]["beta"] == 0.02 and ppo["B", "P"]["gamma"] == 0.9
    assert ppo["A", "P"]["gamma"] == 0.8 and ppo["A", "Q"]["gamma"] == 0.8
    # Set only in the experiment: everyone has it. Set nowhere: the protocol default.
    assert {p["lam"] for p in ppo.values()} == {0.9}
    assert {p["learning_rate"] for p in ppo.values()} == {2.5e-4}


def test_preset_replaces_budget_seeds_models_window_threshold():
    data = warehouse(
        presets={
            "tiny": {
                "budget": {"steps_per_worker": 256},
                "seeds": [7],
                "models": ["IAM"],
                "summary_window": 64,
                "threshold": 1,
            }
        }
    )
    (run,) = validate(data).runs("tiny")
    assert (run.model, run.seed) == ("IAM", 7)
    assert run.resolved["budget"] == {"steps_per_worker": 256, "schedule_steps_per_worker": 4000000}
    assert run.resolved["summary_window"] == 64
    assert run.resolved["threshold"] == 1.0 and isinstance(run.resolved["threshold"], float)


def test_resolved_is_json_and_deterministic():
    first = runs_table([load_experiment(WAREHOUSE_FILE)], "quick")
    second = runs_table([load_experiment(WAREHOUSE_FILE)], "quick")
    for a, b in zip(first, second, strict=True):
        text = canonical_json(a.resolved)
        assert json.loads(text) == a.resolved
        assert text == canonical_json(b.resolved)
        assert a.digest == b.digest
    assert len({r.digest for r in first}) == len(first)  # every run differs (model or seed)


def test_resolved_does_not_share_lists_with_the_spec():
    experiment = load_experiment(WAREHOUSE_FILE)
    resolved = experiment.resolve("IAM", "smoke", 0)
    resolved["model"]["dset"].append(99)
    assert experiment.resolve("IAM", "smoke", 0)["model"]["dset"] == PAPER_DSET


def test_config_digest_known_answer_and_key_order():
    # sha256(b'{"a":1,"b":[1.5,"x"]}')[:16], computed independently.
    assert config_digest({"b": [1.5, "x"], "a": 1}, exclude=()) == "253252306831c7a5"
    assert config_digest({"a": 1, "b": [1.5, "x"]}, exclude=()) == "253252306831c7a5"
    assert re.fullmatch(r"[0-9a-f]{16}", config_digest({}))


def test_digest_ignores_analysis_keys_only():
    resolved = load_experiment(WAREHOUSE_FILE).resolve("LSTM", "paper", 3)
    digest = config_digest(resolved)
    for key, value in [("threshold", 99.0), ("summary_window", 5), ("preset", "other")]:
        assert key in ANALYSIS_KEYS
        changed = {**resolved, key: value}
        assert config_digest(changed) == digest
        assert config_digest(changed, exclude=()) != config_digest(resolved, exclude=())
    for change in [
        {"seed": 4},
        {"budget": {"steps_per_worker": 128}},
        {"ppo": {**resolved["ppo"], "gamma": 0.9}},
    ]:
        assert config_digest({**resolved, **change}) != digest


def test_training_config_and_trajectory_digest():
    resolved = load_experiment(WAREHOUSE_FILE).resolve("LSTM", "quick", 0)
    assert set(resolved) - set(training_config(resolved)) == set(ANALYSIS_KEYS)
    grown = {**resolved, "budget": {**resolved["budget"], "steps_per_worker": 4000000}}
    # A run that only goes further follows the same trajectory; another schedule does not.
    assert trajectory_digest(grown) == trajectory_digest(resolved)
    assert config_digest(grown) != config_digest(resolved)
    rescheduled = {**resolved, "budget": {**resolved["budget"], "schedule_steps_per_worker": 1}}
    assert trajectory_digest(rescheduled) != trajectory_digest(resolved)


def test_a_preset_may_anneal_over_its_own_budget():
    data = warehouse()
    data["presets"]["quick"] = {
        "budget": {"steps_per_worker": 102400, "schedule_steps_per_worker": 102400}
    }
    budget = validate(data).resolve("LSTM", "quick", 0)["budget"]
    assert budget == {"steps_per_worker": 102400, "schedule_steps_per_worker": 102400}
    data["budget"]["schedule_steps_per_worker"] = 8000000  # the experiment's own, inherited
    assert validate(data).resolve("LSTM", "smoke", 0)["budget"]["schedule_steps_per_worker"] == (
        8000000
    )


def test_writing_a_default_explicitly_gives_the_same_digest():
    plain = validate(warehouse()).resolve("LSTM", "paper", 0)
    data = warehouse()
    data["models"]["LSTM"].update(frames=1, cell="lstm")
    data["ppo"]["c1"] = 1  # an int for a float field
    explicit = validate(data).resolve("LSTM", "paper", 0)
    assert explicit == plain
    assert config_digest(explicit) == config_digest(plain)


# --------------------------------------------------------------------------------------------
# Several experiments


def write_experiment(folder: Path, name: str, data: dict) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_second_experiment_file_adds_runs(tmp_path):
    shutil.copy(WAREHOUSE_FILE, tmp_path / "warehouse.yaml")
    data = warehouse(env={"name": "warehouse", "options": {"removal_quirk": False}})
    data["presets"]["smoke"]["models"] = ["FNN1", "IAM"]
    write_experiment(tmp_path, "warehouse_fixed", data)
    (tmp_path / "notes.txt").write_text("not an experiment")

    experiments = load_experiments(load_config(pipeline_dict(tmp_path)))
    assert [e.name for e in experiments] == ["warehouse", "warehouse_fixed"]
    runs = runs_table(experiments, "smoke")
    assert len(runs) == 8 + 2 * 2
    extra = [r for r in runs if r.experiment == "warehouse_fixed"]
    assert [r.run_id for r in extra] == [
        "warehouse_fixed/warehouse/FNN1/seed_0",
        "warehouse_fixed/warehouse/FNN1/seed_1",
        "warehouse_fixed/warehouse/IAM/seed_0",
        "warehouse_fixed/warehouse/IAM/seed_1",
    ]
    assert all(r.resolved["env"]["options"] == {"removal_quirk": False} for r in extra)
    assert len({r.run_id for r in runs}) == len(runs)

    only = load_experiments(load_config(pipeline_dict(tmp_path, experiments=["warehouse_fixed"])))
    assert [e.name for e in only] == ["warehouse_fixed"]
    single = load_experiments(load_config(pipeline_dict(tmp_path, experiments="warehouse")))
    assert [e.name for e in single] == ["warehouse"]


# --------------------------------------------------------------------------------------------
# Error messages: pipeline config


def config_error(**changes: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_experiments(load_config(pipeline_dict(**changes)))
    return info.value


def test_unknown_top_level_config_key_suggests():
    exc = config_error(presets="smoke")
    assert_error(
        exc,
        "config/config.yaml",
        "presets",
        "unknown key 'presets'",
        "did you mean 'preset'?",
        "Allowed keys here: aggregation, experiments,",
    )


def test_misspelled_nested_config_key():
    config = pipeline_dict()
    config["training"]["torch_thread"] = config["training"].pop("torch_threads")
    with pytest.raises(ConfigError) as info:
        load_config(config, config_path="my.yaml")
    assert_error(info.value, "my.yaml", "training.torch_thread", "did you mean 'torch_threads'?")


@pytest.mark.parametrize(
    ("section", "key", "value", "fragment"),
    [
        ("aggregation", "confidence", 1.0, "must be < 1"),
        ("aggregation", "confidence", 0, "must be > 0"),
        ("aggregation", "bootstrap_resamples", 0, "must be >= 1"),
        ("training", "torch_threads", 0, "must be >= 1"),
        ("training", "torch_threads", 1.5, "expected a whole number"),
        ("training", "progress_interval_s", "30", "without quotes: 30"),
    ],
)
def test_config_values_out_of_range(section, key, value, fragment):
    config = pipeline_dict()
    config[section][key] = value
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert_error(info.value, "config/config.yaml", f"{section}.{key}", fragment)


def test_missing_config_key():
    config = pipeline_dict()
    del config["aggregation"]["confidence"]
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert_error(
        info.value,
        "config/config.yaml",
        "aggregation.confidence",
        "required key is missing",
        "add 'confidence:' under 'aggregation'",
    )


def test_named_experiment_without_a_file():
    exc = config_error(experiments=["warehouse", "warehose"])
    assert_error(
        exc,
        "config/config.yaml",
        "experiments[1]",
        "warehose.yaml",
        "did you mean 'warehouse'?",
        "Experiment files in",
        ": breakout, breakout_flicker, pong, pong_flicker, space_invaders, "
        "space_invaders_flicker, traffic, warehouse;",
    )


def test_yml_extension_is_pointed_out(tmp_path):
    shutil.copy(WAREHOUSE_FILE, tmp_path / "traffic.yml")
    exc = config_error(experiments_dir=str(tmp_path), experiments="traffic")
    assert_error(exc, "config/config.yaml", "experiments", "There is traffic.yml")


def test_experiments_dir_missing_or_empty(tmp_path):
    exc = config_error(experiments_dir=str(tmp_path / "nope"))
    assert_error(exc, "config/config.yaml", "experiments_dir", "does not exist")
    exc = config_error(experiments_dir=str(tmp_path))
    assert_error(exc, "config/config.yaml", "experiments_dir", "holds no experiment files")


def test_experiments_list_must_be_non_empty_and_distinct():
    assert_error(
        config_error(experiments=[]), "config/config.yaml", "experiments", "the list is empty"
    )
    assert_error(
        config_error(experiments=["a", "a"]), "config/config.yaml", "experiments", "repeats 'a'"
    )
    assert_error(
        config_error(experiments=3),
        "config/config.yaml",
        "experiments",
        "none of the allowed forms",
        '"all"',
    )


# --------------------------------------------------------------------------------------------
# Error messages: experiment files


def test_unknown_experiment_key_suggests():
    exc = experiment_error(warehouse(sedes=[1]))
    assert_error(exc, SOURCE, "sedes", "did you mean 'seeds'?", "Allowed keys here: budget,")


def test_misspelled_model_key():
    data = warehouse()
    data["models"]["IAM"]["memroy"] = data["models"]["IAM"].pop("memory")
    exc = experiment_error(data)
    assert_error(
        exc,
        SOURCE,
        "models.IAM.memroy",
        "unknown key 'memroy'",
        "did you mean 'memory'?",
        "Allowed keys here: attention, cell, conv, dset, fnn, frames, kind, memory, ppo, role, "
        "scale_pixels.",
    )


def test_key_of_another_model_kind():
    data = warehouse()
    data["models"]["FNN1"]["cell"] = "gru"
    exc = experiment_error(data)
    assert_error(
        exc,
        SOURCE,
        "models.FNN1.cell",
        "Allowed keys here: conv, frames, hidden, kind, ppo, role, scale_pixels.",
    )


def test_random_episodes_preset_then_experiment_then_default():
    data = warehouse(presets={"tiny": {"random_episodes": 3}, "plain": {}})
    assert validate(data).random_episodes("tiny") == 3
    assert validate(data).random_episodes("plain") == WAREHOUSE["random_episodes"]
    del data["random_episodes"]
    assert validate(data).random_episodes("plain") == RANDOM_EPISODES
    # Analysis only: no run's resolved config (nor its digest) mentions it.
    assert all("random_episodes" not in r.resolved for r in validate(data).runs("tiny"))


@pytest.mark.parametrize("where", ["experiment", "preset"])
def test_random_episodes_must_be_positive(where):
    data = warehouse()
    if where == "experiment":
        data["random_episodes"] = 0
        key = "random_episodes"
    else:
        data["presets"]["smoke"]["random_episodes"] = 0
        key = "presets.smoke.random_episodes"
    assert_error(experiment_error(data), SOURCE, key, "must be >= 1, got 0")


def test_budget_as_a_string():
    exc = experiment_error(warehouse(budget={"steps_per_worker": "4000000"}))
    assert_error(
        exc,
        SOURCE,
        "budget.steps_per_worker",
        "expected a whole number",
        "the text '4000000'",
        "without quotes: 4000000",
    )


@pytest.mark.parametrize("value", [0, -1, -4000000])
def test_budget_must_be_positive(value):
    exc = experiment_error(warehouse(budget={"steps_per_worker": value}))
    assert_error(exc, SOURCE, "budget.steps_per_worker", f"must be >= 1, got {value}")


def test_preset_budget_must_be_positive():
    data = warehouse()
    data["presets"]["smoke"]["budget"] = {"steps_per_worker": 0}
    assert_error(
        experiment_error(data), SOURCE, "presets.smoke.budget.steps_per_worker", "must be >= 1"
    )


def test_float_where_an_integer_is_needed():
    exc = experiment_error(warehouse(seeds=[0, 1.0]))
    assert_error(exc, SOURCE, "seeds[1]", "expected a whole number", "write 1 without")


def test_budget_not_a_multiple_of_the_rollout():
    data = warehouse()
    data["presets"]["quick"]["budget"] = {"steps_per_worker": 125000}
    exc = experiment_error(data)
    assert_error(
        exc,
        SOURCE,
        "presets.quick.budget.steps_per_worker",
        "memory_size = 128",
        "124928 or 125056",
    )


def test_budget_smaller_than_one_rollout():
    data = warehouse()
    data["presets"]["smoke"].update(budget={"steps_per_worker": 100}, summary_window=50)
    exc = experiment_error(data)
    assert_error(exc, SOURCE, "presets.smoke.budget.steps_per_worker", "set it to 128 (")


def test_budget_follows_an_overridden_memory_size():
    data = warehouse()
    data["presets"]["smoke"]["ppo"] = {"memory_size": 256}
    data["presets"]["smoke"]["budget"] = {"steps_per_worker": 128 * 17}
    exc = experiment_error(data)
    assert_error(
        exc,
        SOURCE,
        "presets.smoke.budget.steps_per_worker",
        "memory_size = 256",
        "presets.smoke.ppo.memory_size",
        "2048 or 2304",
    )


def test_every_shipped_experiment_is_loaded():
    experiments = load_experiments(load_config(pipeline_dict()))
    assert [(e.name, e.env) for e in experiments] == [
        ("breakout", "atari"),
        ("breakout_flicker", "atari"),
        ("pong", "atari"),
        ("pong_flicker", "atari"),
        ("space_invaders", "atari"),
        ("space_invaders_flicker", "atari"),
        ("traffic", "traffic"),
        ("warehouse", "warehouse"),
    ]


@pytest.mark.parametrize(
    ("preset", "models", "seeds", "budget", "window", "threshold"),
    [
        ("smoke", ["FNN1", "FNN32", "LSTM", "IAM"], [0, 1], 1024, 256, -42.0),
        ("quick", ["FNN1", "FNN32", "LSTM", "IAM"], [0, 1], 204800, 20480, -10.0),
        (
            "paper",
            ["FNN1", "FNN32", "LSTM", "IAM", "IAM_static"],
            [0, 1, 2, 3, 4],
            2000000,
            50000,
            -10.0,
        ),
    ],
)
def test_shipped_traffic_experiment_gives_the_expected_runs(
    preset, models, seeds, budget, window, threshold
):
    (experiment,) = load_experiments(load_config(pipeline_dict(experiments=["traffic"])))
    runs = runs_table([experiment], preset)
    assert [(r.experiment, r.env, r.model, r.seed) for r in runs] == [
        ("traffic", "traffic", m, s) for m in models for s in seeds
    ]
    for run in runs:
        r = run.resolved
        # Every preset follows the paper's schedule (decay over 2e6 steps) and stops at its own.
        assert r["budget"] == {"steps_per_worker": budget, "schedule_steps_per_worker": 2000000}
        assert r["summary_window"] == window
        assert r["threshold"] == threshold
        # spec/ppo.md, traffic column: time horizon 128, sequences of 32 for LSTM and IAM.
        assert r["ppo"]["time_horizon"] == 128
        assert r["ppo"]["memory_size"] == 128 and r["ppo"]["num_workers"] == 8
        if r["model"]["kind"] != "fnn":
            assert r["ppo"]["seq_len"] == 32
        assert r["env"] == {
            "name": "traffic",
            "options": {
                "depart_speed_zero": True,
                "carry_over_quirk": True,
                "overlapping_worker_seeds": True,
                "backend": "libsumo",
            },
        }
        # Every window of the budget is whole: the curves have budget / window points.
        assert budget % window == 0 or preset == "paper"


def test_shipped_traffic_models_follow_the_original_configs():
    experiment = traffic()
    runs = {m: experiment.resolve(m, "paper", 0)["model"] for m in experiment.model_names}
    # spec/traffic.md, section 9 (configs at bc52bd2) and spec/models.md.
    assert runs["FNN1"] == {"kind": "fnn", "frames": 1, "hidden": [256, 64]}
    assert runs["FNN32"] == {"kind": "fnn", "frames": 32, "hidden": [256, 64]}
    assert runs["LSTM"] == {"kind": "lstm", "frames": 1, "fc": [], "hidden": 128, "cell": "lstm"}
    assert runs["LSTM_fc"] == {**runs["LSTM"], "fc": [256]}
    assert runs["IAM"]["dset"] == [13, 14, 28, 29]
    assert runs["IAM"]["fnn"] == [248, 64] and runs["IAM"]["memory"] == 8
    assert runs["IAM_static"]["dset"] == "all"


def test_summary_window_larger_than_budget():
    data = warehouse()
    data["presets"]["smoke"]["summary_window"] = 4096
    exc = experiment_error(data)
    assert_error(
        exc, SOURCE, "presets.smoke.summary_window", "larger than the budget", "at most 2048"
    )


def test_unknown_env():
    exc = experiment_error(warehouse(env={"name": "warehous"}))
    assert_error(
        exc,
        SOURCE,
        "env.name",
        "unknown environment 'warehous'",
        "did you mean 'warehouse'?",
        "Known environments: warehouse, traffic, atari.",
    )


def test_env_list_is_passed_in():
    data = warehouse(env={"name": "pinball"})
    with pytest.raises(ConfigError):
        validate(data)
    experiment = experiment_from_dict(data, name="t", known_envs=["warehouse", "pinball"])
    assert experiment.env == "pinball"


def test_misspelled_traffic_option():
    data = copy.deepcopy(TRAFFIC)
    data["env"]["options"]["carry_over_quirks"] = True
    assert_error(
        traffic_error(data),
        TRAFFIC_SOURCE,
        "env.options.carry_over_quirks",
        "unknown key 'carry_over_quirks'",
        "did you mean 'carry_over_quirk'?",
        "Allowed keys here: backend, carry_over_quirk, depart_speed_zero, "
        "overlapping_worker_seeds.",
    )


def test_options_are_closed_per_environment():
    # A warehouse option under traffic, and a traffic option under the warehouse.
    data = copy.deepcopy(TRAFFIC)
    data["env"]["options"]["removal_quirk"] = True
    assert_error(traffic_error(data), TRAFFIC_SOURCE, "env.options.removal_quirk", "unknown key")
    exc = experiment_error(
        warehouse(env={"name": "warehouse", "options": {"depart_speed_zero": True}})
    )
    assert_error(exc, SOURCE, "env.options.depart_speed_zero", "Allowed keys here: removal_quirk.")


@pytest.mark.parametrize(
    "option", ["depart_speed_zero", "carry_over_quirk", "overlapping_worker_seeds"]
)
def test_traffic_switches_are_booleans(option):
    data = copy.deepcopy(TRAFFIC)
    data["env"]["options"][option] = "yes"
    assert_error(
        traffic_error(data),
        TRAFFIC_SOURCE,
        f"env.options.{option}",
        "expected true or false, got the text 'yes'",
        "Fix: use true or false: ",
    )


def test_traffic_backend_is_libsumo_or_traci():
    data = copy.deepcopy(TRAFFIC)
    data["env"]["options"]["backend"] = "TraCl"
    assert_error(
        traffic_error(data),
        TRAFFIC_SOURCE,
        "env.options.backend",
        "'TraCl' is not allowed here",
        "did you mean 'traci'?",
        "Allowed values: libsumo, traci.",
    )
    data["env"]["options"]["backend"] = "traci"
    assert experiment_from_dict(data, name="traffic").spec["env"]["options"]["backend"] == "traci"


def test_traffic_options_may_be_left_out():
    # The environment's defaults are the original's; an empty options block is valid.
    assert traffic(env={"name": "traffic"}).env == "traffic"
    assert traffic(env={"name": "traffic", "options": {}}).env == "traffic"


def test_traffic_dset_index_out_of_range():
    data = copy.deepcopy(TRAFFIC)
    data["models"]["IAM"]["dset"][2] = 30
    assert_error(
        traffic_error(data),
        TRAFFIC_SOURCE,
        "models.IAM.dset[2]",
        "index 30 is out of range for the traffic observation",
        "30 values, indices 0..29",
        "use indices from 0 to 29",
    )
    # A warehouse d-set (indices up to 72) does not fit the traffic observation either.
    data["models"]["IAM"]["dset"] = [0, *range(49, 73)]
    assert_error(traffic_error(data), TRAFFIC_SOURCE, "models.IAM.dset[1]", "index 49")
    data["models"]["IAM"]["dset"] = [0, 29]  # the edges of the range are fine
    experiment_from_dict(data, name="traffic", source=TRAFFIC_SOURCE)


def test_traffic_budget_must_be_whole_rollouts():
    data = copy.deepcopy(TRAFFIC)
    data["presets"]["smoke"]["budget"]["steps_per_worker"] = 1000  # 4 episodes of 250
    assert_error(
        traffic_error(data),
        TRAFFIC_SOURCE,
        "presets.smoke.budget.steps_per_worker",
        "not a multiple of ppo.memory_size = 128",
        "set it to 896 or 1024",
    )


def test_misspelled_env_option():
    exc = experiment_error(
        warehouse(env={"name": "warehouse", "options": {"removal_quirks": True}})
    )
    assert_error(exc, SOURCE, "env.options.removal_quirks", "did you mean 'removal_quirk'?")


def test_unknown_model_kind():
    data = warehouse()
    data["models"]["IAM"]["kind"] = "IAN"
    exc = experiment_error(data)
    assert_error(
        exc,
        SOURCE,
        "models.IAM.kind",
        "'IAN' is not allowed",
        "did you mean 'iam'?",
        "fnn, lstm, iam",
    )


def test_missing_model_kind():
    data = warehouse()
    del data["models"]["LSTM"]["kind"]
    assert_error(experiment_error(data), SOURCE, "models.LSTM.kind", "required key is missing")


def test_dset_index_out_of_range():
    data = warehouse()
    data["models"]["IAM"]["dset"][3] = 73
    exc = experiment_error(data)
    assert_error(
        exc, SOURCE, "models.IAM.dset[3]", "index 73 is out of range", "73 values", "from 0 to 72"
    )


def test_dset_wrong_forms():
    data = warehouse()
    data["models"]["IAM"]["dset"] = "ALL"
    assert_error(experiment_error(data), SOURCE, "models.IAM.dset", "did you mean 'all'?")
    data["models"]["IAM"]["dset"] = [0, -1]
    assert_error(experiment_error(data), SOURCE, "models.IAM.dset[1]", "must be >= 0")
    data["models"]["IAM"]["dset"] = [0, 0]
    assert_error(experiment_error(data), SOURCE, "models.IAM.dset", "repeats 0")


def test_duplicate_seeds():
    exc = experiment_error(warehouse(seeds=[0, 1, 2, 1]))
    assert_error(exc, SOURCE, "seeds", "the list repeats 1", "list each value once")


def test_negative_seed():
    assert_error(experiment_error(warehouse(seeds=[-1])), SOURCE, "seeds[0]", "must be >= 0")


def test_preset_not_defined():
    experiments = load_experiments(load_config(pipeline_dict(experiments=["warehouse"])))
    with pytest.raises(ConfigError) as info:
        runs_table(experiments, "quik")
    assert_error(
        info.value,
        str(WAREHOUSE_FILE),
        "presets",
        "preset 'quik'",
        "did you mean 'quick'?",
        "Defined presets: smoke, quick, lstm_variants, paper_scale, paper.",
    )


def test_preset_naming_an_unknown_model():
    data = warehouse()
    data["presets"]["smoke"]["models"] = ["FNN1", "IAM_statc"]
    exc = experiment_error(data)
    assert_error(
        exc, SOURCE, "presets.smoke.models[1]", "no model 'IAM_statc'", "did you mean 'IAM_static'?"
    )


def test_model_name_must_be_a_folder_name():
    data = warehouse()
    data["models"]["a/b"] = data["models"].pop("FNN1")
    assert_error(experiment_error(data), SOURCE, "models.a/b", "the name 'a/b' is not allowed")


def test_unknown_ppo_key():
    data = warehouse()
    data["models"]["LSTM"]["ppo"] = {"seqlen": 8}
    exc = experiment_error(data)
    assert_error(exc, SOURCE, "models.LSTM.ppo.seqlen", "did you mean 'seq_len'?", "learning_rate")


def test_ppo_yaml_float_pitfall():
    data = yaml.safe_load("ppo: {learning_rate: 1e-4}")  # PyYAML: text, not a number
    exc = experiment_error(warehouse(ppo=data["ppo"]))
    assert_error(exc, SOURCE, "ppo.learning_rate", "the text '1e-4'", "write 1.0e-4")


def test_ppo_wrong_type_and_zero():
    assert_error(
        experiment_error(warehouse(ppo={"value_clipping": 1})),
        SOURCE,
        "ppo.value_clipping",
        "expected true or false",
    )
    assert_error(
        experiment_error(warehouse(ppo={"batch_size": 0})), SOURCE, "ppo.batch_size", "must be >= 1"
    )


def test_ppo_constraint_names_where_the_value_was_set():
    data = warehouse()
    data["models"]["LSTM"]["ppo"] = {"seq_len": 12}
    exc = experiment_error(data)
    assert_error(
        exc,
        SOURCE,
        "models.LSTM.ppo.seq_len",
        "model 'LSTM'",
        "batch_size (32) must be a multiple of seq_len (12)",
    )


def test_non_finite_and_non_json_values():
    assert_error(
        experiment_error(warehouse(threshold=math.inf)), SOURCE, "threshold", "not a finite number"
    )
    data = yaml.safe_load("seeds: [2020-01-01]")
    assert_error(experiment_error(warehouse(**data)), SOURCE, "seeds[0]", "is a date")


def test_experiment_file_problems(tmp_path):
    path = tmp_path / "bad.yaml"
    for text, fragment in [
        ("", "the file is empty"),
        ("seeds: [1, 2\n", "not valid YAML at line"),
        ("models:\n  A: 1\n  A: 2\n", "the key 'A' appears twice at line 3"),
        ("- 1\n", "expected a mapping of keys to values"),
    ]:
        path.write_text(text)
        with pytest.raises(ConfigError) as info:
            load_experiment(path)
        assert_error(info.value, str(path), "", fragment)
    with pytest.raises(ConfigError) as info:
        load_experiment(tmp_path / "missing.yaml")
    assert_error(info.value, str(tmp_path / "missing.yaml"), "", "does not exist")


def test_several_problems_are_counted():
    exc = experiment_error(warehouse(sedes=[1], budget={"steps_per_worker": "1"}))
    assert_error(exc, SOURCE, "sedes", "(1 more problem(s) in this file")


# --------------------------------------------------------------------------------------------
# The schemas


def closed_objects(schema: Any, where: str = "") -> list[str]:
    """Paths of object schemas with `properties` that do not forbid other keys."""
    found = []
    if isinstance(schema, dict):
        if "properties" in schema and schema.get("additionalProperties") is not False:
            found.append(where)
        for key, value in schema.items():
            if key != "if":  # conditions select a branch; they do not constrain
                found += closed_objects(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            found += closed_objects(value, f"{where}/{i}")
    return found


@pytest.mark.parametrize("name", ["config", "experiment"])
def test_every_object_in_the_schemas_is_closed(name):
    schema = yaml.safe_load((SCHEMA_DIR / f"{name}.schema.yaml").read_text())
    # `model` is closed by its kind branches; `env` is closed, its options per environment.
    # (one `then` per environment with known options: warehouse, traffic, atari)
    allowed_open = {"/$defs/model", *(f"/properties/env/allOf/{i}/then" for i in (0, 1, 2))}
    assert set(closed_objects(schema)) <= allowed_open
    assert schema["additionalProperties"] is False


# --------------------------------------------------------------------------------------------
# Property tests


def all_paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside nested dicts and lists (the root is ())."""
    paths = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            paths += all_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            paths += all_paths(item, (*prefix, i))
    return paths


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["all", "fnn", "lstm", "iam", "gru", "warehouse"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(["kind", "ppo", "seq_len"]), children, max_size=3
        )
    ),
    max_leaves=6,
)


def mutate(data: dict, draw: Any) -> dict:
    data = copy.deepcopy(data)
    path = draw(st.sampled_from(all_paths(data)))
    op = draw(st.sampled_from(["drop", "add", "replace"]))
    if not path:
        return draw(json_values) if op == "replace" else data
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if op == "drop":
        del parent[last]
    elif op == "replace":
        parent[last] = draw(json_values)
    else:
        target = parent[last]
        if isinstance(target, dict):
            target[draw(st.text(max_size=10))] = draw(json_values)
        elif isinstance(target, list):
            target.insert(draw(st.integers(0, len(target))), draw(json_values))
        else:
            parent[last] = draw(json_values)
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_experiments_load_or_raise_config_error(data):
    mutated = mutate(WAREHOUSE, data.draw)
    if data.draw(st.booleans()):  # mutate twice, sometimes
        mutated = mutate(mutated, data.draw) if isinstance(mutated, dict) else mutated
    try:
        experiment = validate(mutated)
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith(SOURCE)
        assert "Fix: " in message and "\n" not in message
        return
    for preset in experiment.preset_names:
        for run in experiment.runs(preset):
            json.loads(canonical_json(run.resolved))
            assert re.fullmatch(r"[0-9a-f]{16}", run.digest)


@settings(max_examples=50, deadline=None)
@given(
    memory_size=st.sampled_from([32, 64, 128, 256]),
    updates=st.integers(1, 10**6),
    window_fraction=st.floats(0, 1),
    seeds=st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=6, unique=True),
    models=st.lists(st.sampled_from(list(WAREHOUSE["models"])), min_size=1, unique=True),
)
def test_valid_budgets_and_seeds_give_models_times_seeds_runs(
    memory_size, updates, window_fraction, seeds, models
):
    budget = memory_size * updates
    window = max(1, math.floor(budget * window_fraction))
    data = warehouse()
    data["presets"]["generated"] = {
        "budget": {"steps_per_worker": budget},
        "seeds": seeds,
        "models": models,
        "summary_window": window,
        "ppo": {"memory_size": memory_size},
    }
    runs = runs_table([validate(data)], "generated")
    assert len(runs) == len(models) * len(seeds)
    assert len({r.run_id for r in runs}) == len(runs)
    assert {(r.model, r.seed) for r in runs} == {(m, s) for m in models for s in seeds}
    assert all(r.resolved["budget"]["steps_per_worker"] == budget for r in runs)
    assert all(r.resolved["ppo"]["memory_size"] == memory_size for r in runs)


# --------------------------------------------------------------------------------------------
# Device


def test_device_defaults_to_cpu_and_a_preset_can_override_it():
    data = warehouse(device="cuda")
    data["presets"]["smoke"]["device"] = "auto"
    experiment = validate(data)
    assert {r.resolved["device"] for r in experiment.runs("smoke")} == {"auto"}
    assert {r.resolved["device"] for r in experiment.runs("paper")} == {"cuda"}
    assert {r.resolved["device"] for r in validate(warehouse()).runs("paper")} == {"cpu"}


def test_unknown_device_names_the_key_and_the_choices():
    with pytest.raises(ConfigError) as info:
        validate(warehouse(device="gpu"))
    message = str(info.value)
    assert SOURCE in message and "device" in message
    assert all(choice in message for choice in ("cpu", "cuda", "auto"))


# --------------------------------------------------------------------------------------------
# Model roles (what claims and figures look a model up by)


def test_every_model_needs_a_role():
    data = warehouse()
    del data["models"]["LSTM"]["role"]
    exc = experiment_error(data)
    assert_error(exc, SOURCE, "models.LSTM.role", "missing")


def test_unknown_role_lists_the_roles():
    data = warehouse()
    data["models"]["LSTM"]["role"] = "lstn"
    exc = experiment_error(data)
    assert_error(exc, SOURCE, "models.LSTM.role", "'lstm'", "fnn_1", "iam_static")


def test_one_model_per_claimed_role_but_any_number_of_others():
    data = warehouse()
    data["models"]["LSTM_fc"]["role"] = "lstm"
    exc = experiment_error(data)
    assert_error(exc, SOURCE, "models.LSTM_fc.role", "already played by model 'LSTM'", "other")
    data["models"]["LSTM_fc"]["role"] = "other"
    data["models"]["IAM_static"]["role"] = "other"
    assert validate(data).resolve("LSTM_fc", "paper", 0)["role"] == "other"


def test_role_is_analysis_only():
    """Re-casting a model changes what the claims read, never its training run."""
    data = warehouse()
    before = validate(copy.deepcopy(data)).resolve("IAM_static", "paper", 0)
    data["models"]["IAM_static"]["role"] = "other"
    after = validate(data).resolve("IAM_static", "paper", 0)
    assert before["role"] != after["role"]
    assert training_config(before) == training_config(after)
    assert config_digest(before) == config_digest(after)


# --------------------------------------------------------------------------------------------
# Image observations (atari) and the models that can read them

NATURE = [[32, 8, 4], [64, 4, 2], [64, 3, 1]]


def atari(**models: dict) -> dict:
    data = warehouse(env={"name": "atari", "options": {"game": "breakout"}}, models=models)
    data["presets"] = {"smoke": {}}
    return data


def test_atari_models_need_a_conv_trunk_and_vector_models_must_not_have_one():
    exc = experiment_error(atari(FNN4={"kind": "fnn", "role": "fnn_k", "hidden": [512]}))
    assert_error(exc, SOURCE, "models.FNN4", "observations are images", "conv: [[32, 8, 4]")
    data = warehouse()
    data["models"]["FNN1"]["conv"] = NATURE
    assert_error(experiment_error(data), SOURCE, "models.FNN1.conv", "remove `conv`")
    ok = atari(FNN4={"kind": "fnn", "role": "fnn_k", "conv": NATURE, "hidden": [512]})
    assert validate(ok).resolve("FNN4", "smoke", 0)["model"]["conv"] == NATURE


def test_spatial_attention_needs_its_size_and_images():
    iam = {"kind": "iam", "role": "iam", "conv": NATURE, "fnn": [256], "memory": 16}
    exc = experiment_error(atari(IAM={**iam, "dset": "attention"}))
    assert_error(exc, SOURCE, "models.IAM", "`attention` (its units) and `dset: attention`")
    exc = experiment_error(atari(IAM={**iam, "dset": "all", "attention": 32}))
    assert_error(exc, SOURCE, "models.IAM.attention", "go together")
    data = warehouse()
    data["models"]["IAM"]["dset"] = "attention"
    assert_error(experiment_error(data), SOURCE, "models.IAM.dset", "needs image observations")
    assert validate(atari(IAM={**iam, "dset": "attention", "attention": 32})).env == "atari"


def test_atari_options_are_closed_and_the_game_is_required():
    data = atari(FNN4={"kind": "fnn", "role": "fnn_k", "conv": NATURE, "hidden": [512]})
    data["env"]["options"] = {"game": "breakout", "flicker_probability": 0.5}
    exc = experiment_error(data)
    assert_error(exc, SOURCE, "env.options.flicker_probability", "did you mean 'flicker_prob'?")
    data["env"]["options"] = {"flicker": True}
    assert_error(experiment_error(data), SOURCE, "env.options.game", "missing")


def test_a_preset_may_leave_an_experiment_out():
    data = warehouse()
    data["presets"]["smoke"]["models"] = []
    assert validate(data).runs("smoke") == []
    assert len(validate(data).runs("quick")) == 8


def test_config_seeds_replace_every_preset_s_seeds():
    experiments = load_experiments(load_config(pipeline_dict(experiments=["warehouse"])))
    assert load_config(pipeline_dict()).seeds is None  # "preset": each preset's own
    assert {r.seed for r in runs_table(experiments, "paper_scale")} == {0, 1, 2}
    config = load_config(pipeline_dict(seeds=[1, 7]))
    assert config.seeds == (1, 7)
    runs = runs_table(experiments, "paper_scale", config.seeds)
    assert [(r.model, r.seed) for r in runs] == [
        (model, seed) for model in ("FNN1", "FNN8", "LSTM", "IAM") for seed in (1, 7)
    ]
    assert runs[1].resolved["seed"] == 7 and runs[1].run_id.endswith("/seed_7")
    # Snakemake's `--config 'seeds=[1,7]'` hands the items over as text.
    assert load_config(pipeline_dict(seeds=["1", "7"])).seeds == (1, 7)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [([], "the list is empty"), ([0, 0], "the list repeats 0"), ([-1], ">= 0"), ("all", "preset")],
)
def test_config_seeds_that_are_not_a_list_of_seeds(value, fragment):
    with pytest.raises(ConfigError) as info:
        load_config(pipeline_dict(seeds=value))
    assert info.value.key.startswith("seeds")
    assert fragment in str(info.value)
