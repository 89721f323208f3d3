#!/usr/bin/env bash
# End-to-end tests of `asr live`: files, standard input and a microphone
# (PortAudio capturing from ALSA devices that play a shipped recording, see
# tests/live/asound.conf.in), each compared with `asr transcribe` of the same
# samples with the same model. Needs no sound hardware and no sound server.
# Usage: test_live.sh PATH/TO/asr   (run by ctest)
set -uo pipefail
ASR=$1
source "$(dirname "$0")/cli_harness.sh"

# Only the devices defined here: no user configuration, no JACK or
# PulseAudio server, the ALSA configuration replaced by the test's.
unset ASR_MODEL PULSE_SERVER ASR_LIVE_TEST_STALL_MS ASR_LIVE_TEST_LOSE_MS ASR_LIVE_TEST_RECORD
export HOME=$tmp JACK_DEFAULT_SERVER=asr_test_no_such_server JACK_NO_START_SERVER=1
export ALSA_CONFIG_PATH=$tmp/asound.conf
MODEL=pretrained/en-lstm-phones.gguf # the default streaming model
SAMPLE=samples/so762_000030116.wav # 16 kHz, 3.45 s
SHORT=samples/fsdd_7_jackson_0.wav # 8 kHz, 0.43 s
# One utterance for the whole input: an endpoint resets the model, after
# which the text may legitimately differ from a single offline pass.
NO_ENDPOINTS=(--endpoint-silence-ms 0 --max-utterance-ms 0)

# offline FILE...: the transcript `asr transcribe` gives with the live model
offline() { "$ASR" transcribe --model "$MODEL" "$@" 2>/dev/null; }
same_as() { # same_as FILE EXPECTED_TEXT: FILE holds exactly that line
    local got
    got=$(cat "$1")
    [[ "$got" == "$2" ]] || {
        echo "got:      '$got'" >&2
        echo "expected: '$2'" >&2
        return 1
    }
}
no_chatter() { ! grep -qiE 'ALSA lib|jack|Expression .* failed|cannot connect' "$tmp/err"; }
stderr_has() { grep -qE -- "$1" "$tmp/err"; }
float_raw() { sox "$1" -t raw -e floating-point -b 32 -c 1 -L "$2"; } # exact: 16-bit / 32768
seconds_of() { /usr/bin/python3 -c "print('%.6f' % ($1 / $2))"; }

# JSON lines: partials only extend their stable prefix, finals are not
# empty and start with it, times run forward, and the finals joined give the
# text expected (argv[2], '-' to skip).
json_ok() {
    /usr/bin/python3 - "$tmp/out" "$1" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines and lines[-1]["type"] == "stats", "no stats line at the end"
stats = lines[-1]
finals = [l for l in lines if l["type"] == "final"]
utt, stable, last_time, last_end = 1, "", -1.0, -1.0
for l in lines[:-1]:
    assert l["utterance"] == utt, l
    if l["type"] == "partial":
        assert l["stable"].startswith(stable), "stable prefix rewritten: %r -> %r" % (stable, l["stable"])
        assert l["time"] >= last_time, l
        stable, last_time = l["stable"], l["time"]
    else:
        assert l["type"] == "final", l
        assert l["text"] and l["words"], "empty final"
        assert l["text"].startswith(stable), "final %r drops stable %r" % (l["text"], stable)
        assert " ".join(w["word"] for w in l["words"]) == l["text"], l
        assert last_end <= l["start"] <= l["end"] <= stats["audio_seconds"] + 0.05, l
        for w in l["words"]:
            assert l["start"] <= w["start"] <= w["end"] <= l["end"] and 0 <= w["confidence"] <= 1, w
        utt, stable, last_end = utt + 1, "", l["end"]
assert stats["utterances"] == len(finals), stats
assert stats["overruns"] == 0 and stats["dropped_samples"] == 0, stats
if sys.argv[2] != "-":
    got = " ".join(f["text"] for f in finals)
    assert got == sys.argv[2], "live %r != offline %r" % (got, sys.argv[2])
PY
}

# ---- Options and refusals
check "help" run 0 live --help
check "help documents the endpoint options" grep -q -- "--endpoint-silence-ms MS" "$tmp/out"
check "asr --help names live" run 0 --help
check "asr --help names live (text)" grep -q "^  live " "$tmp/out"
check "unknown option" run 2 live --frob
check "--realtime needs a file" run 2 live --realtime
check "--rate with a file" run 2 live --input "$SAMPLE" --rate 8000
check "--device with a file" run 2 live --input "$SAMPLE" --device 0
check "negative silence" run 2 live --input "$SAMPLE" --endpoint-silence-ms -1
check "zero duration" run 2 live --input "$SAMPLE" --duration 0
check "tiny buffer" run 2 live --input "$SAMPLE" --buffer-ms 1
check "bidirectional model refused" run 2 live --model tests/fixtures/parity_bilstm.gguf --input "$SAMPLE"
check "bidirectional message" stderr_has "bidirectional.*streaming model"
check "missing file" run 1 live --input "$tmp/nope.wav"
check "missing file: one line naming it" \
    bash -c "[[ \$(wc -l <'$tmp/err') -eq 1 ]] && grep -qF '$tmp/nope.wav' '$tmp/err'"

# ---- Files: the same text as `asr transcribe`, whatever the rate
for f in "$SAMPLE" "$SHORT" samples/cv_common_voice_en_52.wav; do
    check "file $f" run 0 live --input "$f" "${NO_ENDPOINTS[@]}"
    check "file $f: same text as transcribe" same_as "$tmp/out" "$(offline "$f")"
done
check "file at real-time pace" run 0 live --input "$SHORT" --realtime "${NO_ENDPOINTS[@]}"
check "real-time pace: same text" same_as "$tmp/out" "$(offline "$SHORT")"
check "default model is en-lstm-phones" run 0 live --input "$SHORT" --json
check "default model is en-lstm-phones (stats)" grep -q '"model":"[^"]*en-lstm-phones.gguf"' "$tmp/out"
check "json: stable prefixes, finals, offline text" \
    run 0 live --input "$SAMPLE" --json "${NO_ENDPOINTS[@]}"
check "json checks" json_ok "$(offline "$SAMPLE")"
check "--duration cuts a file" run 0 live --input "$SAMPLE" --duration 1 --json
check "--duration: 1 s heard" grep -q '"audio_seconds":1.00,' "$tmp/out"

# Default endpointing on speech, a long pause and speech again: whatever the
# model hears, no empty finals and consistent JSON.
sox "$SAMPLE" "$tmp/gap.wav" pad 0 2.5 && sox "$tmp/gap.wav" "$SAMPLE" "$tmp/two.wav"
check "default endpointing" run 0 live --input "$tmp/two.wav" --json
check "default endpointing: json" json_ok -
check "default endpointing, text" run 0 live --input "$tmp/two.wav"
check "no empty final lines" bash -c "! grep -q '^\$' '$tmp/out'"
# Digital silence: never an empty final.
sox -R -n -r 16000 -c 1 -b 16 "$tmp/silence.wav" trim 0 3
check "silence" run 0 live --input "$tmp/silence.wav" --json
check "silence: json" json_ok -

# ---- Standard input
sox "$SAMPLE" -t raw -e signed -b 16 -c 1 -L "$tmp/s16.raw"
sox "$SHORT" -t raw -e signed -b 16 -c 1 -L "$tmp/short8k.raw"
check "stdin" bash -c "'$ASR' live - --rate 16000 ${NO_ENDPOINTS[*]} <'$tmp/s16.raw' >'$tmp/out' 2>'$tmp/err'"
check "stdin: same text as transcribe" same_as "$tmp/out" "$(offline "$SAMPLE")"
check "stdin 8 kHz" bash -c "'$ASR' live --input - --rate 8000 ${NO_ENDPOINTS[*]} <'$tmp/short8k.raw' >'$tmp/out' 2>'$tmp/err'"
check "stdin 8 kHz: same text" same_as "$tmp/out" "$(offline "$SHORT")"
check "stdin names its rate" stderr_has "standard input at 8000 Hz"

# Ctrl-C flushes the last words: the whole recording goes down a pipe that
# stays open; once all of it has been recognised, SIGINT must bring out the
# final text and exit 0.
mkfifo "$tmp/fifo"
(
    cat "$tmp/s16.raw"
    exec sleep 120
) >"$tmp/fifo" &
bg_pids+=($!)
ASR_LIVE_TEST_RECORD=$tmp/heard.f32 "$ASR" live - --rate 16000 "${NO_ENDPOINTS[@]}" \
    <"$tmp/fifo" >"$tmp/out" 2>"$tmp/err" &
live_pid=$!
bg_pids+=($live_pid)
# The recognizer takes 20 ms (320 samples) at a time; the last part-piece
# waits for more audio or the end.
want_bytes=$(($(stat -c %s "$tmp/s16.raw") / 2 / 320 * 320 * 4))
for _ in $(seq 300); do
    [[ -f "$tmp/heard.f32" && $(stat -c %s "$tmp/heard.f32") -ge $want_bytes ]] && break
    sleep 0.1
done
kill -INT "$live_pid"
wait "$live_pid"
check "Ctrl-C exits 0" test $? -eq 0
check "Ctrl-C flushes the last words" same_as "$tmp/out" "$(offline "$SAMPLE")"

# ---- A microphone: PortAudio capturing from ALSA devices that play files
sed "s|@DIR@|$tmp|g" tests/live/asound.conf.in >"$tmp/asound.conf"
# After its file ends the ALSA file plugin repeats stale data: two seconds of
# zeros follow the recording, and --duration stops at its last sample.
head -c 256000 /dev/zero >"$tmp/zeros"
float_raw "$SAMPLE" "$tmp/sample16k.f32"
cat "$tmp/sample16k.f32" "$tmp/zeros" >"$tmp/capture16k.f32"
n16=$(($(stat -c %s "$tmp/sample16k.f32") / 4))
cp "$tmp/zeros" "$tmp/capture44k.f32" # made below, at the rate the device reports

check "list devices" run 0 live --list-devices
cp "$tmp/out" "$tmp/devices"
check "list names the test devices" grep -qE '^ *[0-9]+ +asr_test_16k +ALSA ' "$tmp/devices"
check "list marks the default" grep -qE '^ *[0-9]+\* +default +ALSA ' "$tmp/devices"
check "no ALSA or JACK chatter while listing" no_chatter
rate44=$(awk '$2 == "asr_test_44k" { print $4 }' "$tmp/devices")
index16=$(awk '$2 == "asr_test_16k" { print $1 }' "$tmp/devices")
check "the 44k device reports its own rate" test "${rate44:-0}" -ge 22050

# Capture at 16 kHz: exactly the recording's samples, hence its text.
check "microphone 16 kHz" env ASR_LIVE_TEST_RECORD="$tmp/heard16.f32" \
    "$ASR" live --device asr_test_16k --rate 16000 --duration "$(seconds_of "$n16" 16000)" \
    "${NO_ENDPOINTS[@]}" >"$tmp/out" 2>"$tmp/err"
check "microphone: same text as transcribe" same_as "$tmp/out" "$(offline "$SAMPLE")"
check "microphone: captured exactly the recording" cmp -s "$tmp/heard16.f32" "$tmp/sample16k.f32"
check "microphone: names device, host API and rate" \
    stderr_has "device $index16 \"asr_test_16k\" \\(ALSA\\), 16000 Hz"
check "microphone: no ALSA or JACK chatter" no_chatter

# The default device at its own rate (44.1 kHz): resampled by the stream.
sox "$SAMPLE" -r "$rate44" -e floating-point -b 32 "$tmp/sample44k.wav"
float_raw "$tmp/sample44k.wav" "$tmp/sample44k.f32"
cat "$tmp/sample44k.f32" "$tmp/zeros" "$tmp/zeros" >"$tmp/capture44k.f32"
n44=$(($(stat -c %s "$tmp/sample44k.f32") / 4))
check "default microphone at its own rate" run 0 live --duration "$(seconds_of "$n44" "$rate44")" \
    "${NO_ENDPOINTS[@]}"
check "own rate: same text as transcribe" same_as "$tmp/out" "$(offline "$tmp/sample44k.wav")"
check "own rate: named" stderr_has "\"default\" \\(ALSA\\), $rate44 Hz"

check "device by index" run 0 live --device "$index16" --rate 16000 --duration 0.5
check "device by part of its name" run 0 live --device 16K --rate 16000 --duration 0.5
check "part of its name: the right one" stderr_has "\"asr_test_16k\""
check "ambiguous device" run 1 live --device asr_test
check "ambiguous device message" stderr_has "matches several input devices"
check "unknown device" run 1 live --device nosuch
check "unknown device message" stderr_has "no input device's name contains 'nosuch'"

# Overruns: recognition stalls once while capture runs on into a 100 ms
# buffer; the dropped audio is counted, reported, and nothing blocks.
check "overrun" env ASR_LIVE_TEST_STALL_MS=300 "$ASR" live --device asr_test_16k --rate 16000 \
    --duration 3 --buffer-ms 100 --json >"$tmp/out" 2>"$tmp/err"
check "overrun reported on stderr" stderr_has " [1-9][0-9]* overruns? \\([0-9.]+ s of audio dropped"
check "overrun in json" grep -qE '"overruns":[1-9][0-9]*,"dropped_samples":[1-9]' "$tmp/out"
check "file at real-time pace overruns too" env ASR_LIVE_TEST_STALL_MS=1000 "$ASR" live \
    --input "$SHORT" --realtime --buffer-ms 100 >"$tmp/out" 2>"$tmp/err"
check "real-time overrun reported" stderr_has " [1-9][0-9]* overruns? "

# A device lost mid-stream: what was heard is written, then exit 1.
ASR_LIVE_TEST_LOSE_MS=1000 "$ASR" live --device asr_test_16k --rate 16000 --json \
    "${NO_ENDPOINTS[@]}" >"$tmp/out" 2>"$tmp/err"
check "device lost: exit 1" test $? -eq 1
check "device lost: message" stderr_has "lost the audio device \"asr_test_16k\" after 1\\.[0-9]"
check "device lost: stats still written" grep -qE '"type":"stats".*"audio_seconds":1\.[0-9]' "$tmp/out"

# Ctrl-C on a microphone: stops capture, exits 0.
"$ASR" live --device asr_test_16k --rate 16000 >"$tmp/out" 2>"$tmp/err" &
live_pid=$!
bg_pids+=($live_pid)
for _ in $(seq 100); do
    grep -q "listening to device" "$tmp/err" && break
    sleep 0.1
done
sleep 0.3
kill -INT "$live_pid"
wait "$live_pid"
check "microphone Ctrl-C exits 0" test $? -eq 0
check "microphone Ctrl-C: summary" stderr_has "s of audio, [0-9]+ utterances?"

# No input device at all.
ALSA_CONFIG_PATH=$ROOT/tests/live/no_devices.conf check "no device" run 1 live
check "no device message" same_as "$tmp/err" \
    "asr live: no audio input device found; try --list-devices, or --input FILE / '-'"

# ---- A terminal: the partial is redrawn in place, the final is a line
if script -qec true /dev/null >/dev/null 2>&1; then
    script -qec "'$ASR' live --input '$SAMPLE' ${NO_ENDPOINTS[*]} 2>/dev/null" /dev/null \
        >"$tmp/tty" </dev/null
    check "terminal: redraws in place" grep -q $'\r\e\\[K' "$tmp/tty"
    # Lines as they end up on the screen: after the last \r, escapes removed.
    sed -e 's/\r$//' -e 's/.*\r//' -e 's/\x1b\[[0-9;]*[A-Za-z]//g' "$tmp/tty" >"$tmp/screen"
    check "terminal: the final line" grep -qxF "$(offline "$SAMPLE")" "$tmp/screen"
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
