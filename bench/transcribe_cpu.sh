#!/usr/bin/env bash
# CPU cost of `asr transcribe` on a 60 s file, as a share of the audio's
# duration (target: under 5% with the 2x320 LSTM). Model loading included.
# Usage: bench/transcribe_cpu.sh [MODEL...]   (default: every pretrained/*.gguf)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x build/asr ]] || bash scripts/build.sh build
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 60 s of real speech: the 16 kHz samples end to end, repeated (sox joins
# files of one rate only).
mapfile -t parts < <(for i in $(seq 1 5); do ls samples/so762_*.wav samples/cv_*.wav; done)
sox "${parts[@]}" "$tmp/long.wav"
sox "$tmp/long.wav" "$tmp/60s.wav" trim 0 60
seconds=$(soxi -D "$tmp/60s.wav")

models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(pretrained/*.gguf)
printf '%-28s %8s %10s %10s\n' model audio_s cpu_s cpu_share
for m in "${models[@]}"; do
    best=""
    for run in 1 2 3; do # the least of three runs: other load only adds time
        t=$( { /usr/bin/time -f '%U %S' ./build/asr transcribe --model "$m" "$tmp/60s.wav" >/dev/null; } 2>&1 | tail -n 1 | awk '{print $1 + $2}')
        best=$(awk -v a="$t" -v b="$best" 'BEGIN { print (b == "" || a < b) ? a : b }')
    done
    share=$(awk -v c="$best" -v s="$seconds" 'BEGIN { printf "%.2f%%", 100 * c / s }')
    printf '%-28s %8.1f %10.3f %10s\n' "$(basename "$m")" "$seconds" "$best" "$share"
done
