#!/usr/bin/env bash
# The project's test command (README; CI runs it through .ci/run). Works on a fresh machine:
# it installs what it needs (venv, MathJax, Chromium), then lints and runs the whole suite,
# including the DAG end to end on the smoke preset and the book in a real browser.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
.venv/bin/ruff check src tests workflow/scripts benchmarks
.venv/bin/snakefmt --check Snakefile workflow/rules
.venv/bin/pytest "$@"
