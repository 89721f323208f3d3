#!/usr/bin/env bash
# Load benchmark of `asr serve` (not a CI test): 1, 8, 32 and 64 clients
# streaming real speech at real time over loopback; writes
# docs/bench/serve_load.tsv and the plot docs/bench/serve_latency.png.
# Usage: bench/serve_load.sh [N ...]     (builds build/ first)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh build
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# 11 s of speech: three shipped recordings one after the other (their own
# pauses give endpoints), then a second of silence.
sox samples/so762_000030116.wav samples/so762_000240031.wav samples/so762_000240060.wav \
    -r 16000 -b 16 -c 1 "$tmp/talk.wav" pad 0 1.0
out=docs/bench/serve_load.tsv
{
    echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    python3 bench/serve_load.py build/asr "$tmp/talk.wav" "$@"
} | tee "$out"
gnuplot <<GP
set terminal pngcairo size 720,420 font "sans,10"
set output "docs/bench/serve_latency.png"
set title "asr serve: latency with N clients streaming at real time (loopback)"
set xlabel "clients streaming at once (N)"
set ylabel "latency (ms)"
set logscale x 2
set key top left
set grid
set datafile separator "\t"
plot "$out" using 1:5 with linespoints lw 2 title "final p99", \
     "$out" using 1:4 with linespoints lw 2 title "final p50", \
     "$out" using 1:3 with linespoints lw 1 dt 2 title "partial p99", \
     "$out" using 1:2 with linespoints lw 1 dt 2 title "partial p50", \
     200 with lines lc rgb "#999999" dt 3 title "200 ms"
GP
echo "wrote $out and docs/bench/serve_latency.png" >&2
