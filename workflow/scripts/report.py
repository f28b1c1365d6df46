"""Snakemake adapter: tables + figures -> the Jupyter Book (rule report).

The book is built in a scratch folder and moved into place whole, so report/_build/html never
holds a half-built book.
"""

import shutil
import tempfile
from pathlib import Path

from iam_repro.jobs.log import line_logger
from iam_repro.report.book import build_book

sm = snakemake  # noqa: F821 (injected by Snakemake)
with line_logger(sm.log[0]) as emit:
    html_dir = Path(sm.output[0]).parent.resolve()  # <workdir>/report/_build/html
    html_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=html_dir.parent, prefix=".building-") as scratch:
        built = build_book(
            report_src=Path(sm.params.report_src),
            results_dir=Path(sm.params.results_dir).resolve(),
            out_dir=Path(scratch),
            mathjax_dir=Path(sm.params.mathjax_dir),
        )
        shutil.rmtree(html_dir, ignore_errors=True)
        built.rename(html_dir)
    emit(f"built the book into {html_dir}")
