#!/usr/bin/env bash
# Cost of the word LM: load time of the binary LM, and the CPU share of
# streaming transcription of 60 s of speech with the streaming model,
# greedy and without LM against beam 16 with the LM (targets: load <= 50 ms,
# total RTF <= 0.05 on one core). Model and LM loading are included.
# Usage: bench/lm_speed.sh [MODEL [LM]]
#   (default pretrained/en-lstm.gguf and pretrained/en-3gram.lmbin)
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-pretrained/en-lstm.gguf}
lm=${2:-pretrained/en-3gram.lmbin}
[[ -x build/asr ]] || bash scripts/build.sh build
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== LM load ($lm, $(du -h "$lm" | cut -f1)): median of 9 runs"
echo "sentence" >"$tmp/one.txt"
for i in $(seq 1 9); do
    ./build/asr lm-ppl "$lm" "$tmp/one.txt" | head -n 1 | sed -E 's/.*loaded in ([0-9.]+) ms \(([0-9.]+) ms CPU\)/\1 \2/'
done >"$tmp/load"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "wall $(cut -d' ' -f1 "$tmp/load" | median) ms, CPU $(cut -d' ' -f2 "$tmp/load" | median) ms"

# 60 s of real speech: the 16 kHz samples end to end, repeated.
mapfile -t parts < <(for i in $(seq 1 5); do ls samples/so762_*.wav samples/cv_*.wav; done)
sox "${parts[@]}" "$tmp/long.wav"
sox "$tmp/long.wav" "$tmp/60s.wav" trim 0 60
seconds=$(soxi -D "$tmp/60s.wav")

echo "== streaming transcription of $(printf %.0f "$seconds") s with $model (least CPU of 3 runs)"
printf '%-34s %10s %8s\n' decoding cpu_s RTF
bench() { # NAME ARGS...
    local name=$1 best=""; shift
    for run in 1 2 3; do
        t=$( { /usr/bin/time -f '%U %S' ./build/asr transcribe --model "$model" "$@" "$tmp/60s.wav" >/dev/null; } 2>&1 | tail -n 1 | awk '{print $1 + $2}')
        best=$(awk -v a="$t" -v b="$best" 'BEGIN { print (b == "" || a < b) ? a : b }')
    done
    printf '%-34s %10.3f %8.4f\n' "$name" "$best" "$(awk -v c="$best" -v s="$seconds" 'BEGIN { print c / s }')"
}
bench "greedy, no LM" --beam 1 --no-lm
bench "beam 16, no LM" --beam 16 --no-lm
bench "beam 16, LM" --beam 16 --lm "$lm"
bench "beam 64, LM" --beam 64 --lm "$lm"
bench "beam 128, LM (the CLI default)" --beam 128 --lm "$lm"
