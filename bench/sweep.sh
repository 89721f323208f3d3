#!/usr/bin/env bash
# Latency vs cost vs accuracy: `asr bench` over chunk sizes x the shipped
# models, medians of several runs; three decoders (greedy, beam 8, the
# default: the shipped LM with the CLI's beam) at 100 ms; throughput on 1..all
# cores; and (with a manifest) the word error rate of each model and decoder
# from `asr eval`.
#
# Usage: bench/sweep.sh [--manifest M] [--limit N] [--runs R] [--chunks "MS..."]
#                       [--out DIR] [MODEL...]
#   --manifest M   utterances to measure (ID<TAB>AUDIO<TAB>TEXT); without one the
#                  shipped samples are used and accuracy is skipped
#   --limit N      time N utterances spread over the manifest (default 50; 0 = all);
#                  the WER is always over the whole manifest
#   --runs R       runs per point; the medians are kept (default 3)
#   --chunks "..." chunk sizes in ms (default "10 20 50 100 200 500 1000")
#   --out DIR      where the results go (default bench/results)
#   MODEL...       default: whichever of pretrained/en-{rnn,gru,lstm,bilstm}.gguf and
#                  en-{lstm,bilstm}-phones.gguf exist
# Writes DIR/sweep_raw.jsonl, sweep.tsv, sweep_<model>.tsv, decoders.tsv,
# throughput.tsv, wer.tsv, machine.txt and latency.png (bench/sweep.gp).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

manifest="" limit=50 runs=3 chunks="10 20 50 100 200 500 1000" out=bench/results
models=()
while (($#)); do
    case $1 in
    --manifest) manifest=$2; shift 2 ;;
    --limit) limit=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --chunks) chunks=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    -*) echo "sweep.sh: unknown option $1" >&2; exit 2 ;;
    *) models+=("$1"); shift ;;
    esac
done
if ((${#models[@]} == 0)); then
    for name in en-rnn en-gru en-lstm en-bilstm en-lstm-phones en-bilstm-phones; do
        [[ -f pretrained/$name.gguf ]] && models+=("pretrained/$name.gguf")
    done
fi
((${#models[@]})) || { echo "sweep.sh: no model found in pretrained/" >&2; exit 2; }
[[ -z $manifest || -f $manifest ]] || { echo "sweep.sh: $manifest: no such manifest" >&2; exit 2; }

need_packages gnuplot-nox python3 sox
asr=${ASR_BIN:-build/asr} # another build: ASR_BIN=path/to/asr
[[ -x $asr ]] || bash scripts/build.sh build
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
if [[ -n $manifest ]]; then
    subset "$manifest" "$limit" "$tmp/set.tsv"
    label="$manifest ($(wc -l <"$tmp/set.tsv") utterances)"
else
    samples_manifest "$tmp/set.tsv"
    label="samples/*.wav ($(wc -l <"$tmp/set.tsv") files)"
fi
machine >"$out/machine.txt"
echo "inputs: $label" >>"$out/machine.txt"
echo "sweep: ${#models[@]} models x chunks $chunks x $runs runs on $label" >&2

: >"$out/wer.tsv"
# Decoders compared at 100 ms: NAME and the options that make it ("default"
# is what `asr transcribe` does: the shipped LM with a wide beam when there
# is one). The chunk-size sweep uses the default.
decoders=("greedy|--no-lm --beam 1" "beam8|--no-lm --beam 8" "default|")
if [[ -n $manifest ]]; then
    # Accuracy on the whole manifest: it costs little and is steadier than on
    # the timing subset (the final result does not depend on the chunk size).
    for m in "${models[@]}"; do
        for d in "${decoders[@]}"; do
            read -ra flags <<<"${d#*|}"
            echo "  WER  $(basename "$m")  ${d%%|*}" >&2
            # a file asr cannot read exits 1 but is still scored; the WER is valid
            "$asr" eval --json --model "$m" "${flags[@]}" "$manifest" >"$tmp/eval.json" ||
                [[ $? -eq 1 ]]
            python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%s\t%s\t%.2f\t%d" % (sys.argv[2], sys.argv[3], r["wer"], r["utterances"]))' \
                "$tmp/eval.json" "$m" "${d%%|*}" >>"$out/wer.tsv"
        done
    done
fi

# Runs outermost, so that a slow spell of the machine spreads over all points.
: >"$out/sweep_raw.jsonl"
: >"$out/throughput_raw.jsonl"
: >"$out/decoders_raw.jsonl"
for ((r = 1; r <= runs; r++)); do
    for m in "${models[@]}"; do
        for c in $chunks; do
            echo "  run $r/$runs  $(basename "$m")  ${c} ms" >&2
            "$asr" bench --json -j 0 --chunk-ms "$c" --model "$m" --manifest "$tmp/set.tsv" \
                >>"$out/sweep_raw.jsonl"
        done
        for d in "${decoders[@]}"; do
            read -ra flags <<<"${d#*|}"
            echo "  run $r/$runs  $(basename "$m")  decoder ${d%%|*}" >&2
            "$asr" bench --json -j 0 --model "$m" "${flags[@]}" --manifest "$tmp/set.tsv" |
                sed "s/^{/{\"decoder\":\"${d%%|*}\",/" >>"$out/decoders_raw.jsonl"
        done
        "$asr" bench --json -j "$(nproc)" --model "$m" --manifest "$tmp/set.tsv" \
            >>"$out/throughput_raw.jsonl"
    done
done
python3 bench/summarise.py sweep "$out"
gnuplot -e "dir='$out'" bench/sweep.gp
cat "$out/sweep.tsv"
echo "sweep: results in $out (plot: $out/latency.png)" >&2
