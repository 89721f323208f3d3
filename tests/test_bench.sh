#!/usr/bin/env bash
# End-to-end tests of `asr bench`: every figure printed, valid and consistent
# JSON, bad input. No timing thresholds: speeds are for the benchmark scripts.
# Usage: test_bench.sh PATH/TO/asr   (run by ctest)
set -uo pipefail
ASR=$1
source "$(dirname "$0")/cli_harness.sh"

LSTM=pretrained/en-lstm.gguf
BILSTM=pretrained/en-bilstm.gguf
A=samples/so762_000030116.wav
B=samples/fsdd_3_theo_2.wav

# Help and bad options: exit 2 with a message
check "help" run 0 bench --help
check "help explains the figures" grep -q "word emission" "$tmp/out"
check "listed in asr --help" bash -c "'$ASR' --help | grep -q bench"
check "no files" run 2 bench --model $LSTM
check "chunk 0" run 2 bench --chunk-ms 0 $A
check "chunk text" run 2 bench --chunk-ms ten $A
check "negative jobs" run 2 bench -j -1 $A
check "unknown option" run 2 bench --frob $A
check "files and manifest" run 2 bench --manifest "$tmp/m.tsv" $A
check "missing manifest" run 2 bench --manifest "$tmp/none.tsv"
check "missing manifest message" one_line_error_naming "$tmp/none.tsv"
check "missing model" run 2 bench --model "$tmp/none.gguf" $A
check "missing model message" grep -qF "$tmp/none.gguf" "$tmp/err"

# The table: every figure, both thread counts, nothing on stderr (not a tty)
check "table" run 0 bench --model $LSTM -j 2 $A $B
for label in "model load" "decoder" "RTF" "chunk time" "chunk CPU time" "first partial latency" \
    "final latency" "word emission latency" "peak RSS" "offline check"; do
    check "table has $label" grep -q "^$label" "$tmp/out"
done
check "table has -j 1 and -j 2" bash -c "grep -Eq '^1 +[0-9]' '$tmp/out' && grep -Eq '^2 +[0-9]' '$tmp/out'"
check "no progress bar off a terminal" test ! -s "$tmp/err"
check "unidirectional: no whole-utterance note" bash -c "! grep -q bidirectional '$tmp/out' || grep -q unidirectional '$tmp/out'"

# JSON: parses, has every figure, and the figures agree with the input
check "json" run 0 bench --json --model $LSTM --chunk-ms 30 -j 2 $A $B
cp "$tmp/out" "$tmp/lstm.json"
samples_a=$(soxi -s $A) samples_b=$(soxi -s $B) rate_a=$(soxi -r $A) rate_b=$(soxi -r $B)
check "json figures consistent" /usr/bin/python3 - "$tmp/lstm.json" "$samples_a" "$rate_a" \
    "$samples_b" "$rate_b" <<'PY'
import json, math, sys
r = json.load(open(sys.argv[1]))
files = [(int(sys.argv[2]), int(sys.argv[3])), (int(sys.argv[4]), int(sys.argv[5]))]
assert r["files"] == 2 and r["failed_files"] == 0 and r["chunk_ms"] == 30 and not r["bidirectional"]
assert abs(r["audio_seconds"] - sum(n / sr for n, sr in files)) < 1e-3
# one timed call per 30 ms chunk, the last one short
assert r["chunk_time_ms"]["count"] == sum(math.ceil(n / (sr * 30 // 1000)) for n, sr in files)
assert r["final_latency_ms"]["count"] == 2 and r["first_partial_latency_ms"]["count"] <= 2
for k in ("chunk_time_ms", "chunk_cpu_ms", "first_partial_latency_ms", "final_latency_ms",
          "word_emission_latency_ms"):
    s = r[k]
    assert s["p50"] <= s["p90"] <= s["p99"] <= s["max"], k
assert r["chunk_cpu_ms"]["count"] == r["chunk_time_ms"]["count"]
assert r["chunk_time_ms"]["p50"] > 0 and r["final_latency_ms"]["p50"] >= 0
assert r["cpu_seconds"] > 0 and abs(r["rtf"] - r["cpu_seconds"] / r["audio_seconds"]) < 1e-4
assert r["load_ms"] > 0 and r["peak_rss_mib"] >= r["rss_before_load_mib"] > 0
# chunked feeding gives the same final result as one call with the whole file
assert r["same_as_offline"] == 2
assert [t["threads"] for t in r["throughput"]] == [1, 2]
assert all(t["x_realtime"] > 0 and t["rtf"] > 0 for t in r["throughput"])
assert r["note"] == ""
assert r["blas_kernels"]  # the OpenBLAS kernel set the figures were measured with
PY

# Bidirectional: said in both outputs; nothing shows before the final result,
# so the first partial comes no earlier than the final one.
check "bilstm table" run 0 bench --model $BILSTM -j 0 $A
check "bilstm note" grep -q "^note .*bidirectional.*whole-utterance" "$tmp/out"
check "bilstm json" run 0 bench --json --model $BILSTM -j 0 $A
check "bilstm json figures" /usr/bin/python3 - "$tmp/out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["bidirectional"] and "whole-utterance" in r["note"] and r["throughput"] == []
assert r["same_as_offline"] == 1
PY

# Decoders: the LM options of transcribe, said in the output
check "greedy" run 0 bench --json --no-lm --beam 1 -j 0 --model $LSTM $B
check "greedy json" /usr/bin/python3 -c \
    'import json,sys; r=json.load(open(sys.argv[1])); assert r["beam"] == 1 and not r["lm"]' "$tmp/out"
check "greedy table" run 0 bench --no-lm --beam 1 -j 0 --model $LSTM $B
check "greedy said" grep -q "^decoder .*greedy, no LM" "$tmp/out"
check "missing LM" run 2 bench --lm "$tmp/none.lmbin" --model $LSTM $B
if [[ -f pretrained/en-3gram.lmbin ]]; then
    check "with the LM" run 0 bench --json --lm pretrained/en-3gram.lmbin -j 0 --model $LSTM $B
    check "with the LM json" /usr/bin/python3 -c \
        'import json,sys; r=json.load(open(sys.argv[1])); assert r["lm"] and r["beam"] == 128 and r["lm_load_ms"] > 0' \
        "$tmp/out"
fi

# A manifest, --limit, and a bad file among good ones
printf 'a\t%s\tSO BILLY\nb\t%s\tTHREE\nc\t%s\tSEVEN\n' "$ROOT/$A" "$ROOT/$B" \
    "$ROOT/samples/fsdd_7_jackson_0.wav" >"$tmp/m.tsv"
check "manifest limit" run 0 bench --json -j 0 --model $LSTM --manifest "$tmp/m.tsv" --limit 2
check "manifest limit counts" /usr/bin/python3 -c \
    'import json,sys; r=json.load(open(sys.argv[1])); assert r["files"] == 2' "$tmp/out"
printf 'no tabs here\n' >"$tmp/bad.tsv"
check "bad manifest" run 2 bench --manifest "$tmp/bad.tsv"
check "bad manifest message" one_line_error_naming "$tmp/bad.tsv:1"
echo "this is not audio" >"$tmp/text.wav"
check "bad file among good" run 1 bench --json -j 1 --model $LSTM $A "$tmp/text.wav"
check "bad file message" one_line_error_naming "$tmp/text.wav"
check "good file still measured" /usr/bin/python3 -c \
    'import json,sys; r=json.load(open(sys.argv[1])); assert r["files"] == 1 and r["failed_files"] == 1' \
    "$tmp/out"
check "only bad files" run 1 bench --model $LSTM "$tmp/text.wav"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
