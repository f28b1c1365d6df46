"""The deviations table names every departure from the original protocol and nothing else."""

import copy

from iam_repro.deviations import deviations_table, run_deviations
from iam_repro.ppo.config import PPOConfig


def _resolved(**changes):
    base = {
        "ppo": PPOConfig(time_horizon=8).to_dict(),
        "env": {"name": "warehouse", "options": {"removal_quirk": True}},
        "model": {"kind": "iam", "cell": "lstm"},
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
    resolved = _resolved(ppo__normalize_advantages=True, ppo__max_grad_norm=0.5, model__cell="gru")
    resolved["env"]["options"]["removal_quirk"] = False
    options = {row["option"]: (row["value"], row["original"]) for row in run_deviations(resolved)}
    assert options == {
        "ppo.normalize_advantages": ("True", "False"),
        "ppo.max_grad_norm": ("0.5", "none"),
        "env.removal_quirk": ("False", "True"),
        "model.cell": ("gru", "lstm"),
    }


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
