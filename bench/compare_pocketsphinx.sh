#!/usr/bin/env bash
# asr against PocketSphinx (Debian's pocketsphinx + pocketsphinx-en-us) on the
# same files, in one run that alternates the engines (A B A B ...), reporting
# medians over the runs of: WER, RTF, final latency and peak RSS.
#
# Usage: bench/compare_pocketsphinx.sh [--manifest M] [--limit N] [--runs R]
#                                      [--model FILE] [--out DIR]
#   --manifest M   utterances (ID<TAB>AUDIO<TAB>TEXT); default
#                  training/work/real/test_speechocean.tsv, else the shipped samples
#   --limit N      N utterances spread over the manifest (default 50; 0 = all)
#   --runs R       runs of each engine, at least 3 (default 3)
#   --model FILE   asr's model (default pretrained/en-lstm-phones.gguf, the streaming default)
#   --out DIR      where the results go (default bench/results)
#
# How each figure is measured, the same way for both engines:
#   WER           each file transcribed by the engine's own command-line tool
#                 (asr transcribe / pocketsphinx_continuous -infile), one process
#                 per file, scored by bench/wer.py (the normalisation of asr eval)
#   RTF           CPU seconds (user + system, /usr/bin/time) of those processes,
#                 less a start-up cost per process (the same tool on 0.2 s of
#                 silence), per second of audio
#   peak RSS      the largest maximum resident set size of those processes
#   final latency from the last sample fed to the final result, 100 ms chunks fed
#                 as fast as possible with a partial after each and replayed on a
#                 real-time clock: `asr bench`, and bench/ps_latency.c (the same
#                 harness around libpocketsphinx)
# All files are first converted to 16 kHz 16-bit mono WAV (sox), which both read.
# Writes DIR/compare_runs.tsv, compare.tsv and compare_info.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

manifest="" limit=50 runs=3 model=pretrained/en-lstm-phones.gguf out=bench/results
while (($#)); do
    case $1 in
    --manifest) manifest=$2; shift 2 ;;
    --limit) limit=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "compare_pocketsphinx.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
((runs >= 3)) || { echo "compare_pocketsphinx.sh: --runs must be at least 3" >&2; exit 2; }
[[ -f $model ]] || { echo "compare_pocketsphinx.sh: $model: no such model" >&2; exit 2; }
if [[ -z $manifest && -f training/work/real/test_speechocean.tsv ]]; then
    manifest=training/work/real/test_speechocean.tsv
fi

need_packages pocketsphinx pocketsphinx-en-us libpocketsphinx-dev libsphinxbase-dev sox \
    libsox-fmt-all time python3 pkg-config build-essential
asr=${ASR_BIN:-build/asr} # another build: ASR_BIN=path/to/asr
[[ -x $asr ]] || bash scripts/build.sh build
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out" "$tmp/wav"
cc -O2 -std=c11 -D_GNU_SOURCE bench/ps_latency.c $(pkg-config --cflags --libs pocketsphinx) -lm \
    -o "$tmp/ps_latency"

if [[ -n $manifest ]]; then
    subset "$manifest" "$limit" "$tmp/set.tsv"
    label="$manifest ($(wc -l <"$tmp/set.tsv") utterances)"
else
    samples_manifest "$tmp/set.tsv"
    label="samples/*.wav ($(wc -l <"$tmp/set.tsv") files)"
fi
# The same 16 kHz 16-bit mono WAV files for both engines; u0001.wav ... keep
# IDs with odd characters out of file names.
: >"$tmp/wav.tsv"
i=0
while IFS=$'\t' read -r id audio text; do
    i=$((i + 1))
    wav=$(printf '%s/wav/u%04d.wav' "$tmp" "$i")
    sox "$audio" -r 16000 -b 16 -c 1 -e signed-integer "$wav"
    printf '%s\t%s\t%s\n' "$id" "$wav" "$text" >>"$tmp/wav.tsv"
done <"$tmp/set.tsv"
cut -f2 "$tmp/wav.tsv" >"$tmp/wavs.txt"
mapfile -t wavs <"$tmp/wavs.txt"
sox -n -r 16000 -b 16 -c 1 -e signed-integer "$tmp/silence.wav" trim 0 0.2
audio_s=$(python3 -c 'import sys, wave
print(sum(wave.open(p).getnframes() / 16000 for p in sys.argv[1:]))' "${wavs[@]}")
machine >"$out/machine_compare.txt"
echo "compare: asr ($model) vs PocketSphinx, $runs interleaved runs on $label" >&2

# run_tool ENGINE WAV: transcribes one file in a process of its own, the text
# to $tmp/hyp and "user system maxrss_kib" to $tmp/time.
run_tool() {
    local rc=0
    if [[ $1 == asr ]]; then
        /usr/bin/time -f '%U %S %M' -o "$tmp/time" "$asr" transcribe --model "$model" "$2" \
            >"$tmp/hyp" 2>"$tmp/err" || rc=$?
    else
        /usr/bin/time -f '%U %S %M' -o "$tmp/time" pocketsphinx_continuous -infile "$2" \
            -logfn /dev/null >"$tmp/hyp" 2>"$tmp/err" || rc=$?
    fi
    # a failed file is scored as an empty hypothesis, but said
    if ((rc)); then echo "$1 failed on $2: $(head -n 1 "$tmp/err")" >&2; fi
}

# one_engine ENGINE RUN: every file through the engine's tool, then its
# start-up cost, WER and the latency harness; appends a row to compare_runs.tsv.
one_engine() {
    local name=$1 run=$2 cpu=0 rss=0 u s m id wav text st=() startup wer
    : >"$tmp/hyp.tsv"
    while IFS=$'\t' read -r id wav text; do
        run_tool "$name" "$wav"
        read -r u s m < <(tail -n 1 "$tmp/time")
        cpu=$(awk -v a="$cpu" -v u="$u" -v s="$s" 'BEGIN { print a + u + s }')
        ((m > rss)) && rss=$m
        printf '%s\t%s\n' "$id" "$(tr '\n\t' '  ' <"$tmp/hyp")" >>"$tmp/hyp.tsv"
    done <"$tmp/wav.tsv"
    cp "$tmp/hyp.tsv" "$out/hyp_${name}_run$run.tsv"
    for k in 1 2 3; do # start-up cost: median of 3 runs on 0.2 s of silence
        run_tool "$name" "$tmp/silence.wav"
        st+=("$(tail -n 1 "$tmp/time" | awk '{ print $1 + $2 }')")
    done
    startup=$(printf '%s\n' "${st[@]}" | sort -g | sed -n 2p)
    wer=$(python3 bench/wer.py "$tmp/wav.tsv" "$tmp/hyp.tsv" | cut -d' ' -f1)
    # final latency and chunk times in the shared harness
    if [[ $name == asr ]]; then
        "$asr" bench --json -j 0 --chunk-ms 100 --model "$model" --manifest "$tmp/wav.tsv" \
            >"$tmp/lat.json"
        cp "$tmp/lat.json" "$tmp/lat_asr.json"
    else
        "$tmp/ps_latency" 100 "${wavs[@]}" >"$tmp/lat.json" 2>/dev/null
    fi
    python3 - "$tmp/lat.json" "$name" "$run" "$wer" "$cpu" "$startup" "$audio_s" "$rss" \
        "${#wavs[@]}" >>"$out/compare_runs.tsv" <<'PY'
import json, sys
lat = json.load(open(sys.argv[1]))
name, run, wer, cpu, startup, audio, rss_kib, n = sys.argv[2:]
cpu, startup, audio, n = float(cpu), float(startup), float(audio), int(n)
decode = max(cpu - n * startup, 0.0)
print("\t".join([name, run, wer, "%.3f" % cpu, "%.4f" % startup, "%.3f" % decode, "%.3f" % audio,
                 "%.5f" % (decode / audio), "%.2f" % (int(rss_kib) / 1024),
                 "%.2f" % lat["final_latency_ms"]["p50"], "%.2f" % lat["final_latency_ms"]["p90"],
                 "%.3f" % lat["chunk_time_ms"]["p99"], "%.3f" % lat["chunk_cpu_ms"]["p99"],
                 "%.5f" % lat["rtf"]]))
PY
}

printf 'engine\trun\twer\tcpu_s\tstartup_cpu_s\tdecode_cpu_s\taudio_s\trtf\tpeak_rss_mib\tfinal_p50_ms\tfinal_p90_ms\tchunk_p99_ms\tchunk_cpu_p99_ms\tharness_rtf\n' \
    >"$out/compare_runs.tsv"
for ((r = 1; r <= runs; r++)); do
    echo "  run $r/$runs: asr" >&2
    one_engine asr "$r"
    echo "  run $r/$runs: pocketsphinx" >&2
    one_engine pocketsphinx "$r"
done

# Scoring check: wer.py on asr's hypotheses must agree with `asr eval`.
"$asr" eval --json --model "$model" "$tmp/wav.tsv" >"$tmp/eval.json"
{
    echo "Inputs: $label, converted to 16 kHz 16-bit mono WAV; $(printf '%.1f' "$audio_s") s of audio."
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))
print("asr: %s, %s, the default decoding of `asr transcribe` and `asr live`." % (sys.argv[2],
      "beam %d + word LM" % r["beam"] if r["lm"] else "beam %d, no LM" % r["beam"]))' \
        "$tmp/lat_asr.json" "$model"
    echo "PocketSphinx $(dpkg-query -W -f='${Version}' pocketsphinx) with its default en-us model, trigram LM and dictionary."
    python3 - "$tmp/eval.json" "$out/compare_runs.tsv" <<'PY'
import csv, json, sys
ev = json.load(open(sys.argv[1]))
runs = [r for r in csv.DictReader(open(sys.argv[2]), delimiter="\t") if r["engine"] == "asr"]
mine = float(runs[0]["wer"])
same = abs(mine - ev["wer"]) < 0.01
print("Scoring check: bench/wer.py gives asr %.2f%% WER, `asr eval` %.2f%%: %s." % (
    mine, ev["wer"], "identical" if same else "DIFFERENT"))
PY
} >"$out/compare_info.txt"
python3 bench/summarise.py compare "$out"
cat "$out/compare_info.txt"
