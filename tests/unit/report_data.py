"""Small, hand-checkable result tables shared by the report's unit tests."""

from __future__ import annotations

import json
from pathlib import Path

CLAIM_HEADER = (
    "claim_id,claim,paper_value,reproduced_value,ci_low,ci_high,tolerance,verdict,evidence\n"
)

#: warehouse claims 1a, 1b, 3 (a claims.csv of the 'results' tree below), their verdicts
#: written in other spellings than the claims table's (the book normalises them).
WAREHOUSE_CLAIMS = (
    CLAIM_HEADER
    + "1a,IAM above LSTM (final),5.6,2.5,1.5,3.5,0,reproduced,diff > 0\n"
    + "1b,IAM above LSTM (AUC),not available,1.2e6,,,0,Inconclusive (n=1),AUC\n"
    + "3,IAM faster,1300000,250000,-100000,600000,0,INCONCLUSIVE,CI has 0\n"
)
#: An experiment 'foo' testing a claim the paper does not make (9).
FOO_CLAIMS = CLAIM_HEADER + "9,something else,,-1,-2,-0.5,0,contradicted,e\n"

QUICK_SUMMARY = (
    "model,n_seeds,mean,std,ci_low,ci_high,paper_value\n"
    "FNN1,2,20.1,0.5,15.6,24.6,\n"
    "FNN8,2,19.0,0.5,14.5,23.5,\n"
    "LSTM,2,18.2,0.5,13.7,22.7,\n"
    "IAM,2,21.0,0.5,16.5,25.5,\n"
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def write_two_experiments(root: Path) -> Path:
    """'warehouse' with claims 1a, 1b, 3 and a summary; 'foo' with claim 9; an 'empty' folder."""
    tables = root / "tables"
    write(tables / "warehouse" / "claims.csv", WAREHOUSE_CLAIMS)
    write(
        tables / "warehouse" / "summary.csv",
        "model,n_seeds,mean,std,ci_low,ci_high,paper_value\n"
        "IAM,5,38.3428,0.1688,38.1518,38.5338,41.0\n"
        "LSTM,3,35.9171,0.15,35.7473,36.0868,35.4\n"
        "IAM_static,5,35.6883,0.5994,,,\n",
    )
    write(tables / "foo" / "claims.csv", FOO_CLAIMS)
    (tables / "empty").mkdir()
    return root


#: The traffic experiment file's roster (models.csv).
TRAFFIC_MODELS = (
    "model,role,kind,frames\n"
    "FNN1,fnn_1,fnn,1\n"
    "FNN32,fnn_k,fnn,32\n"
    "LSTM,lstm,lstm,1\n"
    "IAM,iam,iam,1\n"
)


def write_traffic_results(root: Path, *, overview: str | None = None) -> Path:
    """A paper-preset traffic experiment with its compute_models.csv (and, if given, the
    build's claims_overview.csv)."""
    tables = root / "tables" / "traffic"
    write(
        tables / "summary.csv",
        "model,n_seeds,mean,std,ci_low,ci_high,paper_value\n"
        "FNN1,3,-5.71,0.1,-5.8,-5.6,-5.6\n"
        "FNN32,3,-4.35,0.1,-4.45,-4.25,-4.18\n"
        "LSTM,3,-4.4,0.2,-4.6,-4.2,-4.23\n"
        "IAM,3,-3.52,0.05,-3.57,-3.47,-3.47\n",
    )
    write(
        tables / "curves_summary.csv",
        "model,step,mean,std,ci_low,ci_high,n_seeds\nIAM,2000000,-3.5,0.1,-3.6,-3.4,3\n",
    )
    write(
        tables / "claims.csv",
        CLAIM_HEADER
        + "4a,Traffic: IAM ends above LSTM (final return),0.76,0.88,0.6,1.1,,reproduced,e\n"
        + "5,Traffic: IAM learns faster than LSTM (steps to reach -10),-600000,-500000,"
        "-700000,-300000,,reproduced,e\n"
        + "6a,Traffic: IAM trains faster than LSTM,,900,500,1300,,reproduced,e\n",
    )
    write(
        tables / "compute.csv",
        "model,seed,wall_time_s,transitions,steps_per_worker,transitions_per_s,device,resumes\n"
        "IAM,0,3000,16000000,2000000,5333.3,cpu,0\n"
        "IAM,1,3400,16000000,2000000,4705.9,cpu,0\n"
        "LSTM,0,5400,16000000,2000000,2963.0,cpu,1\n",
    )
    write(
        tables / "compute_models.csv",
        "model,runs,wall_time_s,transitions_per_s,relative_throughput\n"
        "IAM,2,3200.0,5019.6,1.0\n"
        "LSTM,1,5400.0,2963.0,0.5903\n",
    )
    write(tables / "models.csv", TRAFFIC_MODELS)
    if overview is not None:
        write(root / "tables" / "claims_overview.csv", overview)
    write(root / "tables" / "provenance.json", json.dumps({"preset": "paper"}))
    return root
