"""A user's own experiment: models under other names, cast by role, get the paper's claims.

The experiment file below is what a user would drop into config/experiments/: the warehouse,
two models called "Memory" and "Recurrent" that play the roles of the paper's IAM and LSTM,
and a tiny preset. The pipeline must judge the claims about those roles on them (and say
which claims have no model to judge), and draw them in the roles' colours with the paper's
lines under their names.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.workflow.dag import REPO, snakemake

pytestmark = pytest.mark.workflow

WAREHOUSE = yaml.safe_load((REPO / "config/experiments/warehouse.yaml").read_text())


def toy_experiment() -> dict:
    models = WAREHOUSE["models"]
    return {
        "description": "IAM against LSTM under names of our own",
        "env": WAREHOUSE["env"],
        "ppo": WAREHOUSE["ppo"],
        "summary_window": 256,
        "threshold": 12,
        "budget": {"steps_per_worker": 1024},
        "seeds": [0, 1],
        "models": {
            "Memory": {**models["IAM"], "role": "iam"},
            "Recurrent": {**models["LSTM"], "role": "lstm"},
        },
        "presets": {"smoke": {}},
    }


def test_a_toy_experiment_with_renamed_models_gets_its_claims_judged(tmp_path: Path) -> None:
    experiments = tmp_path / "experiments"
    experiments.mkdir()
    (experiments / "toy.yaml").write_text(yaml.safe_dump(toy_experiment(), sort_keys=False))
    tables = Path("results/tables/toy")
    snakemake(
        tmp_path,
        "--cores",
        "2",
        "--config",
        f"experiments_dir={experiments}",
        "preset=smoke",
        "--",
        str(tables / "claims.csv"),
        "results/figures/toy/fig5.png",
    )
    claims = pd.read_csv(tmp_path / tables / "claims.csv").set_index("claim_id")
    models = pd.read_csv(tmp_path / tables / "models.csv")
    assert models.values.tolist() == [["Recurrent", "lstm", "lstm", 1], ["Memory", "iam", "iam", 1]]
    # IAM against LSTM: judged on Memory and Recurrent (2 seeds each).
    for claim_id in ("1a", "1b", "6a"):
        assert claims.loc[claim_id, "verdict"] != "not yet run", claims.loc[claim_id]
        assert "Memory" in claims.loc[claim_id, "evidence"]
        assert "Recurrent" in claims.loc[claim_id, "evidence"]
    assert (
        claims.loc["1c", "claim"]
        == "Warehouse: Memory's final return (paper protocol) matches the paper's Fig. 5 value"
    )
    # No model plays an FNN role: those checks say so instead of inventing a verdict.
    for claim_id in ("2a", "2b", "6b", "2c", "2d"):
        assert claims.loc[claim_id, "verdict"] == "not yet run"
        assert "role 'fnn_" in claims.loc[claim_id, "evidence"]
    assert (tmp_path / "results/figures/toy/fig5.png").stat().st_size > 10_000
