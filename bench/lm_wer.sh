#!/usr/bin/env bash
# Word error rate with and without the LM, same acoustic model: greedy
# decoding against the beam search with pretrained/en-3gram.lmbin (beam
# $BEAM, default 64 as in the CLI; the default alpha and beta), on the
# held-out test sets, and the relative reduction.
# Usage: bench/lm_wer.sh [MODEL...]   (default: pretrained/en-lstm.gguf
#        pretrained/en-bilstm.gguf); extra asr options in $LM_OPTS, e.g.
#        LM_OPTS="--alpha 0.6 --beta 2" bench/lm_wer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x build/asr ]] || bash scripts/build.sh build
sets=(training/work/real/test_speechocean.tsv training/work/real/test_synth.tsv)
models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(pretrained/en-lstm.gguf pretrained/en-bilstm.gguf)
jobs=$(nproc)
wer() { ./build/asr eval --json -j "$jobs" --model "$@" | sed -E 's/.*"wer":([0-9.]+).*/\1/'; }
beam=${BEAM:-64}
printf '%-18s %-24s %10s %10s %10s\n' model "test set" greedy "beam$beam+LM" reduction
for m in "${models[@]}"; do
    for s in "${sets[@]}"; do
        g=$(wer "$m" --beam 1 --no-lm "$s")
        # shellcheck disable=SC2086
        l=$(wer "$m" --beam "$beam" --lm pretrained/en-3gram.lmbin ${LM_OPTS:-} "$s")
        printf '%-18s %-24s %9.2f%% %9.2f%% %9.1f%%\n' "$(basename "$m")" "$(basename "$s")" \
            "$g" "$l" "$(awk -v g="$g" -v l="$l" 'BEGIN { print (g > 0 ? 100 * (1 - l / g) : 0) }')"
    done
done
