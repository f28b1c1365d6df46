#!/usr/bin/env bash
# Add the paper-scale runs that have finished to report/archive/paper_scale/ (the committed
# archive of tables), pooled with the runs it already holds:
#
#   scripts/archive_paper_scale.sh /work/paper_scale
#
# DIR is the folder of scripts/paper_scale.sh (DIR/code, DIR/results). Every run of the preset
# whose run.json in DIR/results has the preset's config is added (or replaces its archived
# copy); the others are listed as not finished and left out. Nothing retrains: the tables are
# computed by the clone's code (`iam-repro archive`) from the runs' monitors and the archived
# runs' tables, so runs trained in different sessions and on machines since replaced end in one
# archive. Commit the result after each call: what is committed survives the machine.
#
# PRESET (default paper_scale), ARCHIVE (default report/archive/paper_scale) and SNAKEMAKE
# (default .venv/bin/snakemake) may be set in the environment; the tests use a tiny preset.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$(cd "${1:?usage: scripts/archive_paper_scale.sh DIR}" && pwd)
results="$dir/results"
archive=${ARCHIVE:-$repo/report/archive/paper_scale}
snakemake=${SNAKEMAKE:-$repo/.venv/bin/snakemake}
preset=${PRESET:-paper_scale}
experiments=(warehouse traffic)
cd "$dir/code"
export PYTHONPATH="$dir/code/src"
# vs_random.csv compares each run with a random policy's episodes: the DAG makes them (once).
# --nolock: the training Snakemake of scripts/paper_scale.sh holds the clone's lock while the
# later runs train; these targets are files that no training job writes.
baselines=()
for experiment in "${experiments[@]}"; do
  baselines+=("$results/baselines/$experiment/random_episodes.csv")
done
"$snakemake" --nolock --cores 2 "${baselines[@]}" --config preset="$preset" results_dir="$results" \
  "experiments=[$(IFS=,; echo "${experiments[*]}")]"
# The interpreter beside Snakemake (the venv), with the clone's sources first on the path.
"$(dirname "$snakemake")/python" -m iam_repro.cli archive "$archive" --results "$results" \
  --preset "$preset" --experiments "$(IFS=,; echo "${experiments[*]}")"
du -sh "$archive"
