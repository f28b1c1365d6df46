#!/usr/bin/env bash
# Run the whole pipeline on a fresh machine and print where the book is.
#   scripts/pipeline.sh                     # the quick preset (all four models, 2 seeds)
#   scripts/pipeline.sh --config preset=paper --cores 32
# Extra arguments go to snakemake (later --config/--cores win).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/snakemake --cores all --config preset=quick "$@"
echo "The book: file://$PWD/report/_build/html/index.html"
