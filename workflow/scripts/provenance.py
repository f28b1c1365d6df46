"""Snakemake adapter: every run's run.json -> results/tables/provenance.json (rule provenance)."""

import sys
from pathlib import Path

# Jobs in a --use-conda env (or on a cluster node) import this checkout's library.
sys.path.insert(0, str(Path(snakemake.scriptdir).parents[1] / "src"))  # noqa: F821


from iam_repro.provenance import write_provenance
from iam_repro.workflow_log import line_logger

sm = snakemake  # noqa: F821 (injected by Snakemake)
with line_logger(sm.log[0]) as emit:
    write_provenance(
        sm.input, sm.output[0], preset=sm.params.preset, experiments=sm.params.experiments
    )
    emit(f"wrote {sm.output[0]}")
