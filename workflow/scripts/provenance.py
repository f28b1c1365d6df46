"""Snakemake adapter: every run's run.json -> results/tables/provenance.json (rule provenance)."""

from iam_repro.jobs.log import line_logger
from iam_repro.jobs.provenance import write_provenance

sm = snakemake  # noqa: F821 (injected by Snakemake)
with line_logger(sm.log[0]) as emit:
    write_provenance(
        sm.input, sm.output[0], preset=sm.params.preset, experiments=sm.params.experiments
    )
    emit(f"wrote {sm.output[0]}")
