"""Snakemake adapter: tables + figures -> the Jupyter Book (rule report)."""

from pathlib import Path

from iam_repro.report_helpers import build_book
from iam_repro.workflow_log import line_logger

sm = snakemake  # noqa: F821 (injected by Snakemake)
with line_logger(sm.log[0]) as emit:
    html = build_book(
        report_src=Path(sm.params.report_src),
        results_dir=Path(sm.params.results_dir).resolve(),
        out_dir=Path(sm.output[0]).parents[2].resolve(),
        mathjax_dir=Path(sm.params.mathjax_dir),
    )
    emit(f"built the book into {html}")
