#!/usr/bin/env bash
# Every option a command's --help shows does what it says (issue 14,
# finding 12: `live --beam` did nothing with an LM): for each option, a run
# with it must differ from a run without it (output or messages, timings
# masked), or the option's bad value must be refused naming it. An option
# in a help text with no check here fails the test, so a new option needs one.
# Usage: test_options.sh PATH/TO/asr   (run by ctest)
set -uo pipefail
ASR=$1
source "$(dirname "$0")/cli_harness.sh"
export ASR_LM= ASR_DICT= # nothing found by default: each check says what it uses
unset ASR_MODEL
M=pretrained/en-lstm.gguf LM=pretrained/en-3gram.lmbin PH=pretrained/en-lstm-phones.gguf
D=pretrained/en-cmudict.dict W=samples/so762_000240031.wav W2=samples/fsdd_3_theo_2.wav
MAN=$tmp/m.tsv
printf 'x\t%s/%s\twe have climbed one step up the ladder\ny\t%s/%s\tthree\n' "$ROOT" $W \
    "$ROOT" $W2 >"$MAN"
# The phone model's words for $W (without an LM: "oui halve kime ..."), made unsayable.
printf 'oui Z OY1 Z\nhalve Z OY1 Z\nkime Z OY1 Z\n' >"$tmp/prons.txt"
sox $W -t raw -r 16000 -e signed -b 16 -c 1 "$tmp/w.raw"
printf 'seven\n' >"$tmp/seven.txt"

tested=() # "COMMAND OPTION" pairs with a check
# masked FILE: the output with timings masked (bench --json: its timing
# fields dropped; elsewhere decimals, the CPU seconds of eval)
masked() {
    /usr/bin/python3 -c '
import json, re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
try:
    d = json.loads(text)
    timing = ("_ms", "seconds", "rtf", "rss", "throughput")
    print({k: v for k, v in d.items() if k == "chunk_ms" or not any(t in k for t in timing)})
except ValueError:
    print(re.sub(r"[0-9]+[.][0-9]+", "N", text))
' "$1"
}
output() { # output ARGS...: stdout and stderr of asr, masked, into $tmp/got
    "$ASR" "$@" >"$tmp/o" 2>&1 <"${STDIN:-/dev/null}"
    masked "$tmp/o" >"$tmp/got"
}
# changes COMMAND OPTION "BASE ARGS" "VARIANT ARGS": the variant's output differs
changes() {
    local cmd=$1 opt=$2
    tested+=("$cmd $opt")
    # shellcheck disable=SC2086
    output $cmd $3 && cp "$tmp/got" "$tmp/base"
    # shellcheck disable=SC2086
    output $cmd $4
    if cmp -s "$tmp/got" "$tmp/base"; then
        echo "FAIL: asr $cmd $opt: '$4' gives the same as '$3'" >&2
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
}
# refused COMMAND OPTION "ARGS": exit 2 and a message naming the option
refused() {
    local cmd=$1 opt=$2
    tested+=("$cmd $opt")
    # shellcheck disable=SC2086
    "$ASR" $cmd $3 >"$tmp/o" 2>"$tmp/e" </dev/null
    local rc=$?
    if [[ $rc -eq 2 ]] && grep -qF -- "$opt" "$tmp/e"; then
        passed=$((passed + 1))
    else
        echo "FAIL: asr $cmd $3: exit $rc, message '$(cat "$tmp/e")' (expected 2 naming $opt)" >&2
        failed=$((failed + 1))
    fi
}
# quiet COMMAND "ARGS": on a terminal a progress line shows, and -q and
# --quiet remove it (script from bsdutils gives the pseudo-terminal)
quiet() {
    local cmd=$1
    tested+=("$cmd -q" "$cmd --quiet")
    script -qec "cd '$ROOT' && '$ASR' $cmd $2 >/dev/null" /dev/null >"$tmp/tty" 2>&1
    check "asr $cmd shows progress on a terminal" test -s "$tmp/tty"
    for q in -q --quiet; do
        script -qec "cd '$ROOT' && '$ASR' $cmd $q $2 >/dev/null" /dev/null >"$tmp/tty" 2>&1
        check "asr $cmd $q: no progress" test ! -s "$tmp/tty"
    done
}
helps() { # helps COMMAND: -h and --help print the usage
    tested+=("$1 -h" "$1 --help")
    check "$1 -h" bash -c "'$ASR' $1 -h | grep -q '^Usage: asr $1'"
    check "$1 --help" bash -c "'$ASR' $1 --help | grep -q '^Usage: asr $1'"
}
# The LM options, the same in transcribe, eval, live and bench (BASE: the
# command's arguments before them; AFTER: its input).
lm_options() {
    local cmd=$1 base=$2 after=$3
    changes "$cmd" --beam "$base --lm $LM $after" "$base --lm $LM --beam 1 $after"
    changes "$cmd" --lm "$base $after" "$base --lm $LM $after"
    changes "$cmd" --no-lm "$base --lm $LM $after" "$base --lm $LM --no-lm $after"
    changes "$cmd" --alpha "$base --lm $LM $after" "$base --lm $LM --alpha 4 $after"
    refused "$cmd" --alpha "$base --lm $LM --alpha x $after"
    changes "$cmd" --beta "$base --lm $LM $after" "$base --lm $LM --beta 8 $after"
    changes "$cmd" --blank-penalty "$base --lm $LM $after" "$base --lm $LM --blank-penalty 6 $after"
    refused "$cmd" --blank-penalty "$base --blank-penalty 21 $after"
    changes "$cmd" --beam-prune "$base --lm $LM $after" "$base --lm $LM --beam-prune 0 $after"
    refused "$cmd" --beam-prune "$base --beam-prune 1 $after"
    changes "$cmd" --words "$base $after" "$base --words pretrained/digits.txt $after"
    changes "$cmd" --hotword "$base $after" "$base --hotword seven:30 $after"
    # Phone models: the dictionary and the user's pronunciations.
    changes "$cmd" --dict "${base/$M/$PH} $after" "${base/$M/$PH} --dict $D $after"
    changes "$cmd" --pronunciations "${base/$M/$PH} --dict $D $after" \
        "${base/$M/$PH} --dict $D --pronunciations $tmp/prons.txt $after"
}

# ---- transcribe ----
helps transcribe
changes transcribe --model "--model $M $W" "--model pretrained/en-rnn.gguf $W"
lm_options transcribe "--model $M" "$W"
changes transcribe --json "--model $M $W" "--model $M --json $W"
refused transcribe -j "--model $M -j 0 $W $W2" # -j 2 = -j 1 in output: tests/test_cli.sh
STDIN=$tmp/w.raw changes transcribe --rate "--model $M - --rate 16000" "--model $M - --rate 8000"
changes transcribe --srt "--model $M $W" "--model $M --srt $W"
changes transcribe --text "--model $M --json $W" "--model $M --json --text $W"
changes transcribe -o "--model $M $W" "--model $M -o $tmp/o.txt $W"
changes transcribe --output-dir "--model $M $W" "--model $M --output-dir $tmp/out $W"
quiet transcribe "--model $M $W"
sox $W -r 16000 -c 1 "$tmp/gap.wav" pad 0 0.5 # a 0.5 s pause, then more speech:
sox "$tmp/gap.wav" $W "$tmp/two.wav"             # one utterance at 800 ms, two at 100
changes transcribe --endpoint-silence-ms "--model $M --json $tmp/two.wav" \
    "--model $M --json --endpoint-silence-ms 100 $tmp/two.wav"
changes transcribe --max-utterance-ms "--model $M --json $W" \
    "--model $M --json --max-utterance-ms 500 $W"
changes transcribe --segment-model "--model pretrained/en-bilstm.gguf --json $W" \
    "--model pretrained/en-bilstm.gguf --segment-model pretrained/en-rnn.gguf --json $W"
sox $W -t raw -r 16000 -e floating-point -b 32 -c 1 "$tmp/w.f32"
STDIN=$tmp/w.f32 changes transcribe --format "--model $M - --rate 16000" \
    "--model $M - --rate 16000 --format f32"
STDIN=$tmp/w.raw changes transcribe --channels "--model $M - --rate 16000" \
    "--model $M - --rate 16000 --channels 2"

# ---- eval ----
helps eval
changes eval --model "--model $M $MAN" "--model pretrained/en-rnn.gguf $MAN"
lm_options eval "--model $M --details" "$MAN" # the hypotheses, not only rates
refused eval -j "--model $M -j 0 $MAN"
changes eval --details "--model $M $MAN" "--model $M --details $MAN"
changes eval --json "--model $M $MAN" "--model $M --json $MAN"
quiet eval "--model $M $MAN"

# ---- live ----
helps live
L="live --input $W"
changes "$L" --model "--model $M" "--model pretrained/en-rnn.gguf"
lm_options "$L" "--model $M" ""
changes "$L" --json "--model $M" "--model $M --json"
changes "$L" --endpoint-silence-ms "--model $M --json" "--model $M --json --endpoint-silence-ms 100"
changes "$L" --max-utterance-ms "--model $M --json" "--model $M --json --max-utterance-ms 500"
changes "$L" --duration "--model $M" "--model $M --duration 1"
changes "$L" --buffer-ms "--model $M --realtime --duration 0.3" \
    "--model $M --realtime --duration 0.3 --buffer-ms 5"
changes "$L" --realtime "--model $M --duration 0.3" "--model $M --duration 0.3 --realtime"
changes live --input "--model $M --input $W2" "--model $M --input $W"
changes live --rate "--model $M - --rate 16000" "--model $M - --rate 8000"
# The microphone options, without a microphone: refused with --input, and
# answered (no device) where there is none.
refused "$L" --device "--model $M --device 0"
export ALSA_CONFIG_PATH=$ROOT/tests/live/no_devices.conf JACK_NO_START_SERVER=1 JACK_DEFAULT_SERVER=none
changes live --list-devices "--model $M --input $W" "--list-devices"
unset ALSA_CONFIG_PATH

# ---- bench (decimals masked: the timings) ----
helps bench
B="bench -j 0 --json"
changes "$B" --model "--model $M $W2" "--model pretrained/en-rnn.gguf $W2"
changes "$B" --manifest "--model $M $W2" "--model $M --manifest $MAN"
changes "$B" --limit "--model $M --manifest $MAN" "--model $M --manifest $MAN --limit 1"
changes "$B" --chunk-ms "--model $M $W2" "--model $M --chunk-ms 40 $W2"
changes bench -j "--model $M -j 0 $W2" "--model $M -j 1 $W2"
changes bench --json "--model $M -j 0 $W2" "--model $M -j 0 --json $W2"
lm_options "$B" "--model $M" "$W2"
quiet bench "--model $M -j 0 $W $W2"

# ---- lm-build, lm-ppl, pronounce ----
helps lm-build
A=tests/fixtures/lm_tiny.arpa
changes lm-build --vocab "$A $tmp/x.lmbin" "--vocab 2 $A $tmp/x.lmbin"
changes lm-build --prune "$A $tmp/x.lmbin" "--prune 0.5 $A $tmp/x.lmbin"
helps lm-ppl
helps pronounce
changes pronounce --dict "--dict $D have" "--dict $PH have"
changes pronounce --pronunciations "--dict $D halve" "--dict $D --pronunciations $tmp/prons.txt halve"

# ---- every option shown is tested ----
for cmd in transcribe eval live bench lm-build lm-ppl pronounce; do
    for opt in $("$ASR" $cmd --help | grep -oE '^ +(-[a-zA-Z], )?--?[a-z][a-z-]*' | tr -d ' ' | tr ',' ' '); do
        found=0
        for t in "${tested[@]}"; do
            [[ ${t%% *} == "$cmd" && ${t##* } == "$opt" ]] && found=1 && break
        done
        check "asr $cmd $opt has a check" test $found -eq 1
    done
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
