#!/usr/bin/env bash
# Train the paper_scale preset's runs (warehouse and traffic at the paper's full budget) for
# some seeds, from a frozen copy of the code, into a results folder outside the work tree:
#
#   nohup scripts/paper_scale.sh /work/paper_scale 0 1 > /work/paper_scale/snakemake.log 2>&1 &
#
# DIR/code is a clone of this checkout's HEAD, made on first use and reused afterwards, so that
# editing the work tree never reaches a running job (commit first: uncommitted changes are not
# in the clone); DIR/results holds the runs. Rerun the same command to resume: finished runs are
# kept, killed ones continue from their checkpoints. To move the runs to newer code, update the
# clone between two launches (`git -C DIR/code pull`): a run resumes only under a config with
# the same digest, so code that changes results must not be pulled mid-way.
#
# PRESET (default paper_scale) and SNAKEMAKE (default .venv/bin/snakemake) may be set in the
# environment; the tests use a tiny preset.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:?usage: scripts/paper_scale.sh DIR [SEED ...]}
shift
seeds=$(IFS=,; echo "${*:-0,1,2}")
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
[ -d "$dir/code/.git" ] || git clone --quiet "$repo" "$dir/code"
cd "$dir/code"
echo "paper_scale: seeds [$seeds], code $(git log --oneline -1), results $dir/results"
# The clone's own sources first, before the venv's editable install of the work tree.
export PYTHONPATH="$dir/code/src"
# Reruns on missing or changed outputs and changed params (the resolved config), not on a
# changed rule: a finished run keeps the commit it was trained with (its run.json says which)
# when a later pull of the clone touches the train rule without changing its config digest.
exec nice -n 10 "${SNAKEMAKE:-$repo/.venv/bin/snakemake}" --until train --cores "${CORES:-2}" \
  --rerun-incomplete --keep-going --rerun-triggers mtime params input --config preset="${PRESET:-paper_scale}" "seeds=[$seeds]" \
  results_dir="$dir/results" 'experiments=[warehouse,traffic]'
