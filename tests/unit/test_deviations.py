"""The deviations table names every departure from the original protocol and nothing else."""

import copy
from pathlib import Path

import pytest

from iam_repro.config import load_experiment
from iam_repro.config.deviations import deviations_table, run_deviations
from iam_repro.ppo.config import PPOConfig

EXPERIMENTS_DIR = Path(__file__).resolve().parents[2] / "config" / "experiments"


def _resolved(**changes):
    base = {
        "ppo": PPOConfig(time_horizon=8).to_dict(),
        "env": {"name": "warehouse", "options": {"removal_quirk": True}},
        "model": {"kind": "iam", "cell": "lstm"},
        "budget": {"steps_per_worker": 204800, "schedule_steps_per_worker": 4000000},
    }
    out = copy.deepcopy(base)
    for key, value in changes.items():
        section, name = key.split("__")
        out[section][name] = value
    return out


def test_original_protocol_has_no_deviations():
    assert run_deviations(_resolved()) == []
    # time_horizon and seq_len are per-environment protocol values, not deviations
    assert run_deviations(_resolved(ppo__time_horizon=128, ppo__seq_len=32)) == []


def test_each_kind_of_deviation_is_named():
    resolved = _resolved(
        ppo__normalize_advantages=True,
        ppo__max_grad_norm=0.5,
        ppo__padding_in_rollout=False,
        ppo__gae_chunks_from_episode_start=False,
        model__cell="gru",
        budget__schedule_steps_per_worker=204800,
    )
    resolved["env"]["options"]["removal_quirk"] = False
    options = {row["option"]: (row["value"], row["original"]) for row in run_deviations(resolved)}
    assert options == {
        "ppo.normalize_advantages": ("True", "False"),
        "ppo.max_grad_norm": ("0.5", "none"),
        "ppo.padding_in_rollout": ("False", "True"),
        "ppo.gae_chunks_from_episode_start": ("False", "True"),
        "budget.schedule_steps_per_worker": ("204800", "4000000"),
        "env.removal_quirk": ("False", "True"),
        "model.cell": ("gru", "lstm"),
    }
    # A run that stops early on the paper's schedule does not deviate.
    assert run_deviations(_resolved(budget__steps_per_worker=2048)) == []


def test_table_has_one_row_per_model_and_option_across_seeds():
    gru = _resolved(model__cell="gru")
    table = deviations_table([("IAM", gru), ("IAM", gru), ("LSTM", _resolved())])
    assert table[["model", "option"]].values.tolist() == [["IAM", "model.cell"]]
    assert list(deviations_table([]).columns) == [
        "model",
        "option",
        "value",
        "original",
        "description",
    ]


TRAFFIC_ORIGINAL = {
    "depart_speed_zero": True,
    "carry_over_quirk": True,
    "overlapping_worker_seeds": True,
    "backend": "libsumo",
}


def _traffic(**options):
    resolved = _resolved(
        ppo__time_horizon=128, ppo__seq_len=32, budget__schedule_steps_per_worker=2000000
    )
    resolved["env"] = {"name": "traffic", "options": {**TRAFFIC_ORIGINAL, **options}}
    return resolved


def test_traffic_original_settings_have_no_deviations():
    assert run_deviations(_traffic()) == []
    # The backend drives the same simulation: never a deviation.
    assert run_deviations(_traffic(backend="traci")) == []
    # Options left out take the environment's defaults, which are the original's.
    assert run_deviations({**_traffic(), "env": {"name": "traffic", "options": {}}}) == []


def test_each_traffic_option_off_is_a_named_deviation():
    resolved = _traffic(
        depart_speed_zero=False, carry_over_quirk=False, overlapping_worker_seeds=False
    )
    rows = {row["option"]: row for row in run_deviations(resolved)}
    assert sorted(rows) == [
        "env.carry_over_quirk",
        "env.depart_speed_zero",
        "env.overlapping_worker_seeds",
    ]
    for row in rows.values():
        assert (row["value"], row["original"]) == ("False", "True")
        assert row["description"] != "changed from the original"  # each has its own words


def test_an_lstm_with_fc_layers_is_a_deviation_and_obs_to_lstm_is_not():
    # spec/models.md, notes: the original fed the raw observation to its LSTM baseline.
    assert run_deviations(_resolved(model__kind="lstm", model__fc=[])) == []
    (row,) = run_deviations(_resolved(model__kind="lstm", model__fc=[640]))
    assert (row["option"], row["value"], row["original"]) == ("model.fc", "[640]", "[]")
    assert "LSTM_fc" in row["description"] and "paper's LSTM curves" in row["description"]
    # IAM's feed-forward branch is its own design, not the LSTM baseline's FC.
    assert run_deviations(_resolved(model__fnn=[576, 256])) == []


@pytest.mark.parametrize(("experiment", "fc"), [("warehouse", "[640]"), ("traffic", "[256]")])
def test_of_the_shipped_models_only_lstm_fc_deviates(experiment, fc):
    exp = load_experiment(EXPERIMENTS_DIR / f"{experiment}.yaml")
    # Every model, whether or not a preset runs it (the table the aggregate rule writes).
    table = deviations_table((m, exp.resolve(m, "paper", 0)) for m in exp.model_names)
    assert table[["model", "option", "value", "original"]].values.tolist() == [
        ["LSTM_fc", "model.fc", fc, "[]"]
    ]


def test_atari_departures_are_named_and_the_originals_are_not():
    atari = _resolved()
    atari["env"] = {"name": "atari", "options": {"game": "breakout", "flicker": True}}
    atari["budget"]["schedule_steps_per_worker"] = 10_000_000  # the paper's 1e7 steps
    atari["model"] = {"kind": "fnn", "conv": [[32, 8, 4]], "hidden": [512]}
    assert run_deviations(atari) == []
    atari["env"]["options"].update(flicker=False, backend="wrappers", flicker_prob=0.5)
    assert run_deviations(atari) == []  # the unflickered game is an experiment, not a departure
    atari["env"]["options"].update(flicker_prob=0.3, clear_frame_stack=True)
    atari["model"]["scale_pixels"] = True
    options = {row["option"]: (row["value"], row["original"]) for row in run_deviations(atari)}
    assert options == {
        "env.flicker_prob": ("0.3", "0.5"),
        "env.clear_frame_stack": ("True", "False"),
        "model.scale_pixels": ("True", "False"),
    }
