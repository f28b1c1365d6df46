#!/usr/bin/env bash
# Copy the paper-scale runs' tables into report/archive/paper_scale/ (the committed archive):
#
#   scripts/archive_paper_scale.sh /work/paper_scale 0 1     # the two-seed archive
#   scripts/archive_paper_scale.sh /work/paper_scale         # all three seeds
#
# DIR is the folder of scripts/paper_scale.sh (DIR/code, DIR/results). The tables are made by
# the clone's own code from the finished runs (snakemake on claims_overview.csv and
# provenance.json, which pull each experiment's aggregate; nothing retrains: an unfinished run
# is an error), then copied unchanged: each experiment's tables, claims_overview.csv and
# provenance.json, and per run its run.json and Snakemake's benchmark file (CPU seconds of the
# job's last attempt). Commit the result.
#
# PRESET (default paper_scale), ARCHIVE (default report/archive/paper_scale) and SNAKEMAKE
# (default .venv/bin/snakemake) may be set in the environment; the tests use a tiny preset.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$(cd "${1:?usage: scripts/archive_paper_scale.sh DIR [SEED ...]}" && pwd)
shift
seeds=$(IFS=,; echo "${*:-0,1,2}")
results="$dir/results"
archive=${ARCHIVE:-$repo/report/archive/paper_scale}
snakemake=${SNAKEMAKE:-$repo/.venv/bin/snakemake}
experiments=(warehouse traffic)
cd "$dir/code"
export PYTHONPATH="$dir/code/src"
# File targets, not `--until aggregate claims_overview`: with a rule and its consumer both in
# --until, Snakemake 9 stops before the consumer ("Out of jobs ready to be started").
targets=("$results/tables/claims_overview.csv" "$results/tables/provenance.json")
# The same rerun triggers as scripts/paper_scale.sh: runs finished under an older commit of
# the clone count as finished.
triggers=(--rerun-triggers mtime params input)
config=(preset="${PRESET:-paper_scale}" "seeds=[$seeds]" results_dir="$results"
  "experiments=[$(IFS=,; echo "${experiments[*]}")]")
# --dry-run first: refuse if any training job would run (the archive holds finished runs only).
plan=$("$snakemake" --dry-run --cores 2 "${targets[@]}" "${triggers[@]}" --config "${config[@]}")
if grep -Eq "^(local)?rule train:" <<< "$plan"; then
  echo "archive_paper_scale: some runs are not finished (snakemake would train them):" >&2
  grep -E -A3 "^(local)?rule train:" <<< "$plan" | grep "output:" >&2
  exit 1
fi
"$snakemake" --cores 2 "${targets[@]}" "${triggers[@]}" --config "${config[@]}"
rm -rf "$archive/tables" "$archive/runs"
for experiment in "${experiments[@]}"; do
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
cp "${targets[@]}" "$archive/tables/"
du -sh "$archive"
echo "archive_paper_scale: seeds [$seeds] copied into $archive; check, then commit it"
