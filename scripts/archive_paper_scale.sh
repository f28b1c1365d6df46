#!/usr/bin/env bash
# Copy the paper-scale runs' tables into report/archive/paper_scale/ (the committed archive):
#
#   scripts/archive_paper_scale.sh /work/paper_scale 0 1     # the two-seed archive
#   scripts/archive_paper_scale.sh /work/paper_scale         # all three seeds
#
# DIR is the folder of scripts/paper_scale.sh (DIR/code, DIR/results). The tables are made by
# the clone's own code from the finished runs (snakemake --until aggregate claims_overview
# provenance; nothing retrains: a missing run is an error), then copied unchanged: each
# experiment's tables, claims_overview.csv and provenance.json, and per run its run.json and
# Snakemake's benchmark file (CPU seconds of the job's last attempt). Commit the result.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$(cd "${1:?usage: scripts/archive_paper_scale.sh DIR [SEED ...]}" && pwd)
shift
seeds=$(IFS=,; echo "${*:-0,1,2}")
results="$dir/results"
archive="$repo/report/archive/paper_scale"
cd "$dir/code"
export PYTHONPATH="$dir/code/src"
# --dry-run first: refuse if any training job would run (the archive holds finished runs only).
plan=$("$repo/.venv/bin/snakemake" --dry-run --cores 2 --config preset=paper_scale \
  "seeds=[$seeds]" results_dir="$results" --until aggregate claims_overview provenance)
if grep -q "^rule train:" <<< "$plan"; then
  echo "archive_paper_scale: some runs are not finished (snakemake would train them):" >&2
  grep -A3 "^rule train:" <<< "$plan" | grep "output:" >&2
  exit 1
fi
"$repo/.venv/bin/snakemake" --cores 2 --config preset=paper_scale "seeds=[$seeds]" \
  results_dir="$results" --until aggregate claims_overview provenance
rm -rf "$archive/tables" "$archive/runs"
for experiment in warehouse traffic; do
  mkdir -p "$archive/tables/$experiment"
  cp "$results/tables/$experiment/"*.csv "$archive/tables/$experiment/"
  for run in "$results/runs/$experiment/$experiment"/*/seed_*; do
    model=$(basename "$(dirname "$run")")
    seed=$(basename "$run")
    [[ ",$seeds," == *",${seed#seed_},"* ]] || continue
    mkdir -p "$archive/runs/$experiment/$model"
    cp "$run/run.json" "$archive/runs/$experiment/$model/$seed.json"
    bench="$results/benchmarks/train/$experiment/$experiment/$model/$seed.tsv"
    [ -f "$bench" ] && cp "$bench" "$archive/runs/$experiment/$model/$seed.benchmark.tsv"
  done
done
cp "$results/tables/claims_overview.csv" "$results/tables/provenance.json" "$archive/tables/"
du -sh "$archive"
echo "archive_paper_scale: seeds [$seeds] copied into $archive; check, then commit it"
