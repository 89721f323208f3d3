#!/usr/bin/env bash
# Hostile input through the `asr` command (issue 14, docs/ROBUSTNESS.md):
# FIFOs and devices, lying headers, endless lines, non-UTF-8 names, models
# replaced or cut short while in use, options that must do what they say.
# Usage: test_hardening.sh PATH/TO/asr   (run by ctest)
set -uo pipefail
ASR=$1
source "$(dirname "$0")/cli_harness.sh"
export ASR_LM= ASR_DICT= # no defaults unless a check asks for them
unset ASR_MODEL ASR_LIVE_TEST_RECORD
WAV=samples/fsdd_3_theo_2.wav
LSTM=pretrained/en-lstm.gguf
# Memory caps (ulimit -v) mean nothing under AddressSanitizer's shadow memory.
sanitized=0
# (Not `ldd | grep -q` under pipefail: grep's early exit can kill ldd with
# SIGPIPE and the pipeline then fails, so a sanitized build looked plain.)
grep -q libasan <<<"$(ldd "$ASR")" && sanitized=1
# The release binary's own virtual size (OpenBLAS buffers, the model and LM
# mapped) stays far below this; a header-driven allocation would not.
CAP_KB=1200000
capped() { # capped EXPECTED_EXIT ARGS...: run under the memory cap, where it applies
    if ((sanitized)); then run "$@"; else (ulimit -v $CAP_KB && run "$@"); fi
}
# hangs_not CHECK...: asr under `timeout`, so a hang is exit 124, which no
# check accepts.
printf '#!/bin/sh\nexec timeout 20 "%s" "$@"\n' "$ASR" >"$tmp/asr-timeout"
chmod +x "$tmp/asr-timeout"
hangs_not() {
    local plain=$ASR rc
    ASR=$tmp/asr-timeout
    "$@"
    rc=$?
    ASR=$plain
    return $rc
}

# ---- Finding 5: FIFOs and devices are refused, never waited on ----------------
mkfifo "$tmp/fifo"
printf 'a\tb\tc\n' >"$tmp/ok.tsv"
check "FIFO --model" hangs_not run 2 transcribe --model "$tmp/fifo" $WAV
check "FIFO --model says so" grep -q "fifo: is a FIFO (named pipe), not a regular file" "$tmp/err"
check "FIFO --lm" hangs_not run 2 transcribe --model $LSTM --lm "$tmp/fifo" $WAV
check "FIFO --lm says so" grep -q "FIFO" "$tmp/err"
check "FIFO --words" hangs_not run 2 transcribe --model $LSTM --words "$tmp/fifo" $WAV
check "FIFO --words says so" grep -q "FIFO" "$tmp/err"
check "FIFO --dict" hangs_not run 2 transcribe --model pretrained/en-lstm-phones.gguf \
    --dict "$tmp/fifo" $WAV
check "FIFO --dict says so" grep -q "FIFO" "$tmp/err"
check "FIFO --pronunciations" hangs_not run 2 transcribe --model pretrained/en-lstm-phones.gguf \
    --dict pretrained/en-cmudict.dict --pronunciations "$tmp/fifo" $WAV
check "FIFO --pronunciations says so" grep -q "FIFO" "$tmp/err"
check "FIFO manifest (eval)" hangs_not run 1 eval --model $LSTM "$tmp/fifo"
check "FIFO manifest says so" grep -q "FIFO" "$tmp/err"
check "FIFO manifest (bench)" hangs_not run 2 bench --model $LSTM --manifest "$tmp/fifo"
check "FIFO bench says so" grep -q "FIFO" "$tmp/err"
check "FIFO lm-ppl text" hangs_not run 1 lm-ppl tests/fixtures/lm_tiny.arpa "$tmp/fifo"
check "FIFO lm-build input" hangs_not run 1 lm-build "$tmp/fifo" "$tmp/out.lmbin"
check "/dev/zero manifest" hangs_not capped 1 eval --model $LSTM /dev/zero
check "/dev/zero named a device" grep -q "/dev/zero: is a character device" "$tmp/err"
check "/dev/zero --words" hangs_not capped 2 transcribe --model $LSTM --words /dev/zero $WAV
check "/dev/zero --lm" hangs_not capped 2 transcribe --model $LSTM --lm /dev/zero $WAV
check "a folder as --model" run 2 transcribe --model samples $WAV
check "a folder named" grep -q "samples: is a directory" "$tmp/err"

# ---- Finding 1: an ARPA header cannot make the reader allocate ----------------
printf '\\data\\\nngram 1=100000000\n\n\\1-grams:\n-1 a\n\n\\end\\\n' >"$tmp/bomb.arpa"
check "10^8-count ARPA header, under the memory cap" capped 2 transcribe --model $LSTM \
    --lm "$tmp/bomb.arpa" $WAV
check "ARPA header: the count named" grep -q "bomb.arpa:7: 1 1-grams, but .data. declares 100000000" "$tmp/err"
head -c 3000000 /dev/zero | tr '\0' 'x' >"$tmp/long.arpa"
check "an endless ARPA line" capped 2 transcribe --model $LSTM --lm "$tmp/long.arpa" $WAV
check "an endless ARPA line named" grep -q "long.arpa:1: line longer than 64 KiB" "$tmp/err"

# ---- Finding 2: no input length takes memory (docs/ROBUSTNESS.md's bound) -------
# Endless zeros on stdin and a 3-hour file are read in blocks: peak RSS stays
# far below the documented 256 MB beyond the model and LM, under the cap. The
# tiny test model keeps it quick; the reader, resampler and segmenter are the
# default's. (Release build only: RSS means nothing under ASan, and it is slow.)
TINY=tests/fixtures/parity_rnn.gguf
peak_rss_kb() { # peak_rss_kb STDIN ARGS...: runs asr, prints its peak RSS in KiB; fails unless exit 0
    local input=$1
    shift
    python3 -c '
import resource, subprocess, sys
with open(sys.argv[1], "rb") as stdin:
    rc = subprocess.run(sys.argv[2:], stdin=stdin, stdout=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$input" "$ASR" "$@"
}
under_bound() { # under_bound NAME STDIN ARGS...: exit 0 and peak RSS below 256 MB, under the cap
    local name=$1 kb
    shift
    kb=$( (ulimit -v $CAP_KB && peak_rss_kb "$@")) || { echo "$name: asr failed" >&2; return 1; }
    echo "$name: peak RSS $((kb / 1024)) MiB" >&2
    ((kb < 256 * 1024))
}
if ((sanitized)); then
    echo "skipped under a sanitizer: the peak-RSS checks of endless and 3-hour inputs" >&2
else
    head -c 200000000 /dev/zero >"$tmp/zeros.raw" # 4.3 min at 384 kHz: a 4.2 GB buffer before
    check "/dev/zero's bytes on stdin at 384 kHz: bounded" \
        under_bound "zeros on stdin" "$tmp/zeros.raw" transcribe -q --model $TINY --no-lm --rate 384000 -
    rm -f "$tmp/zeros.raw"
    # -D: no dither, so the FLAC of silence is small (it decodes to 691 MB of floats).
    sox -D -n -r 16000 -c 1 -b 16 "$tmp/three_hours.flac" trim 0 10800
    check "a 3-hour file: bounded" \
        under_bound "3-hour FLAC" /dev/null transcribe -q --model $TINY --no-lm "$tmp/three_hours.flac"
    # live --input held the whole file (691 MB here) before its first sample; its first hour:
    check "live --input of a 3-hour file: bounded" \
        under_bound "live, 3-hour FLAC" /dev/null live --model $TINY --no-lm --duration 3600 \
        --input "$tmp/three_hours.flac"
    rm -f "$tmp/three_hours.flac"
fi

# ---- Finding 6: lines of text files are capped --------------------------------
cp "$tmp/long.arpa" "$tmp/long.txt"
check "endless manifest line (eval)" capped 1 eval --model $LSTM "$tmp/long.txt"
check "eval names file and line" grep -q "long.txt:1: line longer than 1024 KiB" "$tmp/err"
check "endless manifest line (bench)" capped 2 bench --model $LSTM --manifest "$tmp/long.txt"
check "bench names file and line" grep -q "long.txt:1: line longer than 1024 KiB" "$tmp/err"
check "endless word-list line" capped 2 transcribe --model $LSTM --words "$tmp/long.txt" $WAV
check "--words names file and line" grep -q "long.txt:1: line longer than 1024 KiB" "$tmp/err"
check "endless lm-ppl line" capped 1 lm-ppl tests/fixtures/lm_tiny.arpa "$tmp/long.txt"
check "lm-ppl names file and line" grep -q "long.txt:1: line longer than 1024 KiB" "$tmp/err"

# ---- Finding 7: --json is valid UTF-8 whatever the names ------------------------
bad_name=$(printf '%s/caf\xe9 \xff.wav' "$tmp")
cp $WAV "$bad_name"
json_parses() { # every line of $tmp/out is JSON; the name's bad bytes became U+FFFD
    /usr/bin/python3 -c '
import json, sys
lines = open(sys.argv[1], "rb").read().decode("utf-8").splitlines()
assert lines, "no output"
parsed = [json.dumps(json.loads(line), ensure_ascii=False) for line in lines]
assert "\ufffd" in "".join(parsed), "no replacement character"
' "$tmp/out"
}
check "transcribe --json, non-UTF-8 name" run 0 transcribe --model $LSTM --json "$bad_name"
check "transcribe JSON parses" json_parses
check "live --json, non-UTF-8 name" run 0 live --model $LSTM --json --input "$bad_name"
check "live JSON parses" json_parses
printf 'x\t%s\tthree\n' "$(basename "$bad_name")" >"$tmp/caf$(printf '\xe9').tsv"
check "eval --json, non-UTF-8 manifest name" run 0 eval --model $LSTM --json "$tmp/caf"*.tsv
check "eval JSON parses" json_parses

# ---- Finding 8: messages name the option or the file -----------------------------
check "--alpha 1e39" run 2 transcribe --model $LSTM --lm tests/fixtures/lm_tiny.arpa --alpha 1e39 $WAV
check "--alpha named" one_line_error_naming "--alpha 1e39 is out of range"
check "--beta -1e39" run 2 transcribe --model $LSTM --beta -1e39 $WAV
check "--beta named" one_line_error_naming "--beta -1e39 is out of range"
head -c 2000 $LSTM >"$tmp/cut.gguf"
check "truncated GGUF" run 2 transcribe --model "$tmp/cut.gguf" $WAV
check "truncated GGUF says so" one_line_error_naming "cut.gguf: truncated or corrupt"

# ---- Finding 10: lm-build's temporary file; no test hooks in the shipped asr -------
echo precious >"$tmp/victim"
ln -s "$tmp/victim" "$tmp/new.lmbin.tmp"
check "lm-build" run 0 lm-build tests/fixtures/lm_tiny.arpa "$tmp/new.lmbin"
check "lm-build did not follow a planted symlink" grep -qx precious "$tmp/victim"
check "lm-build left only its output" test "$(ls "$tmp" | grep -c '^new\.lmbin')" -eq 2
check "the built LM loads" run 0 lm-ppl "$tmp/new.lmbin" "$tmp/ok.tsv"
sox $WAV -t raw -r 16000 -e signed -b 16 -c 1 "$tmp/theo.raw"
ASR_LIVE_TEST_RECORD="$tmp/recorded" "$ASR" live --model $LSTM - <"$tmp/theo.raw" >/dev/null 2>&1
check "ASR_LIVE_TEST_RECORD does nothing in the shipped asr" test ! -e "$tmp/recorded"
check "the shipped asr has no test hooks" bash -c "! grep -q ASR_LIVE_TEST '$ASR'"

# ---- Finding 12: live --beam works with an LM (it was always 64) ------------------
LIVE_WAV=samples/so762_000240031.wav
check "live, LM beam" run 0 live --model $LSTM --lm pretrained/en-3gram.lmbin --input $LIVE_WAV
cp "$tmp/out" "$tmp/beam-default"
check "live --beam 1 with an LM" run 0 live --model $LSTM --lm pretrained/en-3gram.lmbin \
    --beam 1 --input $LIVE_WAV
check "live --beam 1 changes the result" bash -c "! cmp -s '$tmp/out' '$tmp/beam-default'"
check "live --beam 128 is the LM default" run 0 live --model $LSTM --lm pretrained/en-3gram.lmbin \
    --beam 128 --input $LIVE_WAV
check "live --beam 128 = default" cmp -s "$tmp/out" "$tmp/beam-default"
check "live help: the LM beam" bash -c "'$ASR' live --help | grep -q 'default 8, 128 with an LM'"

# ---- Finding 4: replacing a model in use ------------------------------------------
# A long-running process (live, from a pipe) whose model file is replaced
# mid-stream: renamed over (the documented way) it goes on unharmed; cut
# short in place it ends with a message, not "Bus error".
sox $LIVE_WAV -t raw -r 16000 -e signed -b 16 -c 1 "$tmp/speech.raw"
"$ASR" live --no-lm --model $LSTM - <"$tmp/speech.raw" >"$tmp/reference" 2>/dev/null
half=$(($(stat -c %s "$tmp/speech.raw") / 4 * 2))
live_while() { # live_while ACTION: live on a copy of the model; ACTION between the halves
    cp $LSTM "$tmp/model.gguf"
    rm -f "$tmp/pipe" && mkfifo "$tmp/pipe"
    "$ASR" live --no-lm --model "$tmp/model.gguf" - <"$tmp/pipe" >"$tmp/out" 2>"$tmp/err" &
    local pid=$!
    exec 3>"$tmp/pipe"
    for _ in $(seq 100); do grep -q "reading 16-bit PCM" "$tmp/err" && break; sleep 0.1; done
    head -c $half "$tmp/speech.raw" >&3
    sleep 0.5
    eval "$1"
    tail -c +$((half + 1)) "$tmp/speech.raw" >&3
    exec 3>&-
    wait $pid
}
live_while 'cp pretrained/en-rnn.gguf "$tmp/new.gguf" && mv "$tmp/new.gguf" "$tmp/model.gguf"'
check "model renamed over in use: exit 0" test $? -eq 0
check "model renamed over in use: same text" cmp -s "$tmp/out" "$tmp/reference"
live_while ': >"$tmp/model.gguf"'
rc=$?
check "model cut short in use: exit 1, not a signal" test $rc -eq 1
check "model cut short in use: said in words" grep -q "cut short or overwritten in place" "$tmp/err"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
