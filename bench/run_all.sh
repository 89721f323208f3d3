#!/usr/bin/env bash
# Regenerates every figure of docs/BENCHMARKS.md: the chunk-size x model sweep
# (with its plot), throughput, and the comparison with PocketSphinx, then
# rewrites the results part of docs/BENCHMARKS.md from them. Takes ~18 minutes
# on 2 cores. Run it on an otherwise idle machine: other load stretches the
# wall-clock figures (the CPU-time ones much less).
#
# Usage: bench/run_all.sh [MANIFEST]
#   MANIFEST  default training/work/real/test_speechocean.tsv (made by the data
#             recipe), else the shipped samples (then no accuracy figures)
# Environment: LIMIT (utterances timed, default 50), RUNS (default 3),
# ASR_BIN (default build/asr, rebuilt when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
manifest=${1:-training/work/real/test_speechocean.tsv}
limit=${LIMIT:-50} runs=${RUNS:-3} out=docs/bench
args=()
if [[ -f $manifest ]]; then
    args=(--manifest "$manifest")
else
    echo "run_all.sh: $manifest not found: timing the shipped samples, no accuracy" >&2
fi
[[ -n ${ASR_BIN:-} ]] || bash scripts/build.sh build
mkdir -p "$out"
rm -f "$out"/*.tsv "$out"/*.jsonl "$out"/*.txt "$out"/latency.png
bash bench/sweep.sh "${args[@]}" --limit "$limit" --runs "$runs" --out "$out"
bash bench/compare_pocketsphinx.sh "${args[@]}" --limit "$limit" --runs "$runs" --out "$out"
python3 bench/summarise.py markdown "$out" docs/BENCHMARKS.md
echo "run_all.sh: figures in $out, tables in docs/BENCHMARKS.md" >&2
