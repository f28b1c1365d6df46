"""Settings with a default in code and in config/config.yaml have one value: the code's."""

import inspect
from pathlib import Path

import yaml

from iam_repro.jobs.training import run_training
from iam_repro.ppo.trainer import CHECKPOINT_INTERVAL_S, train

REPO = Path(__file__).resolve().parents[2]


def test_the_checkpoint_interval_has_one_default():
    # Snakemake jobs and `iam-repro train` use config.yaml's value, other callers (tests,
    # benchmarks, notebooks) the code's; the two had drifted apart (60 s and 300 s).
    default = CHECKPOINT_INTERVAL_S
    assert train.__kwdefaults__["checkpoint_interval_s"] == default
    assert inspect.signature(run_training).parameters["checkpoint_interval_s"].default == default
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    assert config["training"]["checkpoint_interval_s"] == default
    assert (
        f"`training.checkpoint_interval_s`, default {default:g} s"
        in (REPO / "README.md").read_text()
    )
