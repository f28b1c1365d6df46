#!/usr/bin/env bash
# The project's test command (README; CI runs it through .ci/run). Works on a fresh machine:
# it installs what it needs (venv, MathJax, Chromium), then lints and runs the whole suite,
# including the DAG end to end on the smoke preset and the book in a real browser.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
.venv/bin/ruff check src tests workflow/scripts benchmarks
.venv/bin/snakefmt --check Snakefile workflow/rules
# Under CI (root, fresh Debian) the Slurm test must run, not skip: tests/workflow/test_slurm.py
# starts a one-node cluster with scripts/slurm_local.sh and fails when it cannot.
if [ "${CI:-}" = true ]; then export IAM_REPRO_REQUIRE_SLURM=${IAM_REPRO_REQUIRE_SLURM:-1}; fi
# setup.sh installs SUMO, so the traffic tests must run, not skip (tests/sumo.py).
export IAM_REPRO_REQUIRE_SUMO=${IAM_REPRO_REQUIRE_SUMO:-1}
.venv/bin/pytest "$@"
