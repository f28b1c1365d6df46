"""Snakemake adapter: every experiment's claims.csv -> tables/claims_overview.csv."""

import sys
from pathlib import Path

# Jobs in a --use-conda env (or on a cluster node) import this checkout's library.
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))  # noqa: F821


import pandas as pd

from iam_repro.analysis.overview import claims_overview, stack_claims
from iam_repro.io.atomic import write_csv_atomic
from iam_repro.jobs.errors import user_errors
from iam_repro.jobs.log import line_logger

sm = snakemake  # noqa: F821 (injected by Snakemake)
with user_errors("the claims_overview step"), line_logger(sm.log[0]) as emit:
    # results/tables/{experiment}/claims.csv: the folder names the experiment.
    claims = stack_claims({Path(path).parent.name: pd.read_csv(path) for path in sm.input})
    overview = claims_overview(claims)
    write_csv_atomic(overview, sm.output[0])
    emit(f"{len(overview)} rows for the paper's claims from {len(sm.input)} claims tables")
