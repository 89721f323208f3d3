#!/usr/bin/env bash
# `asr transcribe` on long recordings and the inputs people have: segments,
# JSON, SRT/VTT parsed back, -o/--output-dir, progress only on a terminal,
# MP3, raw PCM in every --format, and bad inputs.
# Usage: test_transcribe_long.sh PATH/TO/asr   (run by ctest)
set -uo pipefail
ASR=$1
source "$(dirname "$0")/cli_harness.sh"
A=samples/so762_000030116.wav B=samples/so762_000240031.wav C=samples/cv_common_voice_en_52.wav

# A long recording: three utterances with pauses, and a minute of silence.
# The pauses are whole model steps (30 ms), so that each utterance starts on
# the frame grid it has in its own file (A and B are whole steps long). The
# silence is sox's dither (+-1 step of 16 bits), the same every run with -R:
# at random it made the words, and so this test, differ between runs.
sox -R -n -r 16000 -c 1 -b 16 "$tmp/pause.wav" trim 0 1.98
sox -R -n -r 16000 -c 1 -b 16 "$tmp/minute.wav" trim 0 60
sox "$A" "$tmp/pause.wav" "$B" "$tmp/minute.wav" "$C" "$tmp/pause.wav" "$tmp/long.wav"
long_s=$(soxi -D "$tmp/long.wav")
# Each alone as the long file has it: after the silence (B, C), which moves
# the running CMVN and so, on hard audio, the words.
sox "$tmp/pause.wav" "$B" "$tmp/B.wav"
sox "$tmp/pause.wav" "$C" "$tmp/C.wav"
for f in "$A" "$tmp/B.wav" "$tmp/C.wav"; do "$ASR" transcribe -q "$f"; done >"$tmp/alone.txt"

check "long text" run 0 transcribe "$tmp/long.wav"
check "one line per utterance" test "$(wc -l <"$tmp/out")" -eq 3
cp "$tmp/out" "$tmp/long.txt"
check "no progress when stderr is not a terminal" test ! -s "$tmp/err"
check "long json" run 0 transcribe --json "$tmp/long.wav"
check "json segments" /usr/bin/python3 - "$tmp/out" "$tmp/long.txt" "$long_s" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
lines = open(sys.argv[2]).read().splitlines()
segs = r["segments"]
assert abs(r["duration"] - float(sys.argv[3])) < 0.01, r["duration"]
assert [s["text"] for s in segs] == lines, (segs, lines)
assert r["text"] == " ".join(lines)
last = 0.0
for s in segs:
    assert s["text"] and s["words"], "empty segment"
    assert " ".join(w["word"] for w in s["words"]) == s["text"]
    assert s["start"] == s["words"][0]["start"] and s["end"] == s["words"][-1]["end"]
    for w in s["words"]:
        assert last <= w["start"] <= w["end"] <= r["duration"], (last, w)
        assert 0 <= w["confidence"] <= 1
        last = w["start"]
assert [w for s in segs for w in s["words"]] == r["words"]
# absolute times: the third utterance starts after the minute of silence
assert segs[2]["start"] > 3.45 + 1.98 + 3.48 + 60, segs[2]
PY
# Each utterance is decoded on its own, much as it is alone (the span
# decoded is the detector's words and a margin, not the whole file).
check "segments match the utterances alone" /usr/bin/python3 - "$tmp/long.txt" "$tmp/alone.txt" <<'PY'
import difflib, sys
a, b = (open(p).read().split() for p in sys.argv[1:])
assert difflib.SequenceMatcher(None, a, b).ratio() >= 0.8, (a, b)
PY

# Subtitles, parsed back and validated
check "srt" run 0 transcribe --srt "$tmp/long.wav"
cp "$tmp/out" "$tmp/long.srt"
check "vtt" run 0 transcribe --vtt "$tmp/long.wav"
cp "$tmp/out" "$tmp/long.vtt"
validate_subtitles() { # FILE srt|vtt DURATION TRANSCRIPT
    /usr/bin/python3 - "$@" <<'PY'
import re, sys
path, kind, duration, words = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
text = open(path).read()
sep = "," if kind == "srt" else "."
if kind == "vtt":
    assert text.startswith("WEBVTT\n\n"), "no WEBVTT header"
    text = text[len("WEBVTT\n\n"):]
assert text == "" or text.endswith("\n\n"), "cues must end with a blank line"
stamp = r"(\d\d):(\d\d):(\d\d)" + re.escape(sep) + r"(\d\d\d)"
def seconds(m, k):
    h, mi, s, ms = (int(m.group(k + i)) for i in range(4))
    assert mi < 60 and s < 60
    return h * 3600 + mi * 60 + s + ms / 1000
blocks = [b for b in text.split("\n\n") if b]
assert blocks, "no cues"
prev_end, seen = 0.0, []
for n, block in enumerate(blocks, 1):
    lines = block.split("\n")
    if kind == "srt":
        assert lines[0] == str(n), ("cue number", lines[0], n)
        lines = lines[1:]
    m = re.fullmatch(stamp + " --> " + stamp, lines[0])
    assert m, ("timing line", lines[0])
    start, end = seconds(m, 1), seconds(m, 5)
    assert prev_end <= start < end <= duration + 1, (prev_end, start, end)
    prev_end = end
    body = lines[1:]
    assert 1 <= len(body) <= 2, body
    for line in body:
        assert line and len(line) <= 42 or " " not in line, ("line too long", line)
    seen += " ".join(body).split()
assert seen == words.split(), (seen, words)
PY
}
words=$(tr '\n' ' ' <"$tmp/long.txt")
check "srt valid" validate_subtitles "$tmp/long.srt" srt "$long_s" "$words"
check "vtt valid" validate_subtitles "$tmp/long.vtt" vtt "$long_s" "$words"

# Silence only: no segments, no cues
check "silence" run 0 transcribe "$tmp/minute.wav"
check "silence: one empty line" test "$(cat "$tmp/out")" = ""
check "silence json" run 0 transcribe --json "$tmp/minute.wav"
check "silence json: no segments" /usr/bin/python3 -c '
import json, sys; r = json.load(open(sys.argv[1])); assert r["segments"] == [] and r["text"] == ""' "$tmp/out"
check "silence srt is empty" run 0 transcribe --srt "$tmp/minute.wav"
check "silence srt: no cues" test ! -s "$tmp/out"
check "silence vtt: header only" run 0 transcribe --vtt "$tmp/minute.wav"
check "silence vtt: header only (content)" test "$(cat "$tmp/out")" = "WEBVTT"

# -o and --output-dir
mkdir "$tmp/in"
cp "$A" "$tmp/in/a.wav"
sox "$B" "$tmp/in/b.flac"
check "-o" run 0 transcribe --srt -o "$tmp/one.srt" "$tmp/long.wav"
check "-o nothing on stdout" test ! -s "$tmp/out"
check "-o wrote the srt" cmp -s "$tmp/one.srt" "$tmp/long.srt"
check "--output-dir" run 0 transcribe --text --json --srt --vtt --output-dir "$tmp/subs" "$tmp/in/a.wav" "$tmp/in/b.flac"
for f in a.txt a.json a.srt a.vtt b.txt b.json b.srt b.vtt; do
    check "--output-dir wrote $f" test -s "$tmp/subs/$f"
done
check "--output-dir no temporary files" test "$(ls "$tmp/subs" | wc -l)" -eq 8
"$ASR" transcribe -q "$A" >"$tmp/a_stdout.txt"
check "--output-dir text as on stdout" cmp -s "$tmp/subs/a.txt" "$tmp/a_stdout.txt"
cp "$tmp/in/a.wav" "$tmp/a_copy.wav"
check "-o refuses to overwrite its input" run 1 transcribe -o "$tmp/in/a.wav" "$tmp/in/a.wav"
check "-o overwrite message" one_line_error_naming "would overwrite the input"
check "-o input intact" cmp -s "$tmp/in/a.wav" "$tmp/a_copy.wav"
cp "$tmp/in/a.wav" "$tmp/in/a.txt"
check "--output-dir refuses to overwrite an input" run 1 transcribe --output-dir "$tmp/in" "$tmp/in/a.txt" "$tmp/in/b.flac"
check "--output-dir overwrite message" grep -qF "would overwrite the input" "$tmp/err"
check "--output-dir the other input still done" test -s "$tmp/in/b.txt"
mkdir -p "$tmp/in2"
cp "$A" "$tmp/in2/a.wav"
check "two inputs, one output name" run 1 transcribe --output-dir "$tmp/same" "$tmp/in/a.wav" "$tmp/in2/a.wav"
check "two inputs message" grep -qF "two inputs would write the same output" "$tmp/err"
check "two inputs: the first still written" test -s "$tmp/same/a.txt"
mkdir -p "$tmp/blocked/b.srt" # a directory where the output should go
check "unwritable output" run 1 transcribe --srt --output-dir "$tmp/blocked" "$tmp/in/a.wav" "$tmp/in/b.flac"
check "unwritable output message" one_line_error_naming "$tmp/blocked/b.srt: cannot write"
check "unwritable output: the other file done" test -s "$tmp/blocked/a.srt"
check "-o into a missing folder" run 1 transcribe -o "$tmp/nowhere/x.txt" "$A"
check "-o missing folder message" one_line_error_naming "$tmp/nowhere/x.txt"
check "--output-dir is a file" run 2 transcribe --output-dir "$tmp/one.srt" "$A"
check "-o with two inputs" run 2 transcribe -o "$tmp/x.txt" "$A" "$B"
check "two formats to stdout" run 2 transcribe --srt --vtt "$A"
check "-o with --output-dir" run 2 transcribe -o "$tmp/x.txt" --output-dir "$tmp/subs" "$A"

# Progress: only on a terminal, never with --quiet
if script -qec true /dev/null >/dev/null 2>&1; then
    script -qec "'$ASR' transcribe '$tmp/long.wav' >'$tmp/tty_out'" /dev/null >"$tmp/tty" 2>&1
    check "progress on a terminal" grep -q "% .* of .* audio .*x real time" "$tmp/tty"
    check "progress redrawn in place" grep -q $'\r' "$tmp/tty"
    check "progress leaves stdout alone" cmp -s "$tmp/tty_out" "$tmp/long.txt"
    script -qec "'$ASR' transcribe --quiet '$tmp/long.wav' >/dev/null" /dev/null >"$tmp/tty" 2>&1
    check "no progress with --quiet" test ! -s "$tmp/tty"
    printf 'a\t%s\tx\nb\t%s\tx\n' "$ROOT/$A" "$ROOT/$B" >"$tmp/m.tsv"
    script -qec "'$ASR' eval '$tmp/m.tsv' >/dev/null" /dev/null >"$tmp/tty" 2>&1
    check "eval progress on a terminal" grep -q "files\]" "$tmp/tty"
    script -qec "'$ASR' eval -q '$tmp/m.tsv' >/dev/null" /dev/null >"$tmp/tty" 2>&1
    check "eval --quiet" test ! -s "$tmp/tty"
    script -qec "'$ASR' bench -j 0 '$A' '$B' >/dev/null" /dev/null >"$tmp/tty" 2>&1
    check "bench progress on a terminal" grep -q "streaming .* 1/2  50%" "$tmp/tty"
    script -qec "'$ASR' bench -q -j 0 '$A' '$B' >/dev/null" /dev/null >"$tmp/tty" 2>&1
    check "bench --quiet" test ! -s "$tmp/tty"
else
    echo "SKIP: no pseudo-terminal (script from bsdutils)" >&2
fi

# MP3 at 44.1 kHz stereo: libsndfile only estimates its length
sox "$A" -r 44100 -c 2 "$tmp/a.mp3"
check "mp3 44.1 kHz stereo" run 0 transcribe "$tmp/a.mp3"
check "mp3: no warning, no false truncation" test ! -s "$tmp/err"
check "mp3: words" test -n "$(cat "$tmp/out")"
check "mp3 json duration" run 0 transcribe --json "$tmp/a.mp3"
check "mp3 read to the end" /usr/bin/python3 -c '
import json, sys; r = json.load(open(sys.argv[1])); assert abs(r["duration"] - float(sys.argv[2])) < 0.1, r["duration"]' \
    "$tmp/out" "$(soxi -D "$A")"

# Raw PCM in every format, against the same samples in a WAV file
raw_case() { # FORMAT SOX_ENCODING BITS RATE CHANNELS
    local f=$1 enc=$2 bits=$3 rate=$4 ch=$5
    sox "$A" -r "$rate" -c "$ch" -e "$enc" -b "$bits" -L -t raw "$tmp/$f.raw"
    sox -r "$rate" -c "$ch" -e "$enc" -b "$bits" -L -t raw "$tmp/$f.raw" "$tmp/$f.wav"
    "$ASR" transcribe -q "$tmp/$f.wav" >"$tmp/$f.want"
    check "raw $f" bash -c "'$ASR' transcribe --format $f --rate $rate --channels $ch - <'$tmp/$f.raw' >'$tmp/$f.got'"
    check "raw $f same as its WAV" cmp -s "$tmp/$f.got" "$tmp/$f.want"
}
raw_case s16 signed-integer 16 16000 1
raw_case s32 signed-integer 32 22050 2
raw_case f32 floating-point 32 48000 2
raw_case u8 unsigned-integer 8 8000 1
check "bad --format" run 2 transcribe --format s24 -
check "bad --channels" run 2 transcribe --channels 0 -
check "WAV on a raw pipe" bash -c "'$ASR' transcribe - <'$A' >/dev/null 2>'$tmp/err'; test \$? -eq 1"
check "WAV on a raw pipe message" one_line_error_naming "WAV (RIFF) header"
check "raw ends mid-frame" bash -c "head -c 4003 '$tmp/f32.raw' | '$ASR' transcribe --format f32 --channels 2 - >/dev/null 2>'$tmp/err'; test \$? -eq 1"
check "raw mid-frame message" one_line_error_naming "ends mid-frame"
check "stdin twice" run 2 transcribe - -

# Bad inputs: a clear message naming the file, exit 1, the others still done
check "directory" run 1 transcribe "$tmp/in" "$A"
check "directory message" grep -qF "$tmp/in: is a directory" "$tmp/err"
check "directory: the other file done" test "$(wc -l <"$tmp/out")" -eq 1
mkfifo "$tmp/fifo"
check "fifo refused without blocking" bash -c "timeout 20 '$ASR' transcribe '$tmp/fifo' >/dev/null 2>'$tmp/err'; test \$? -eq 1"
check "fifo message" one_line_error_naming "$tmp/fifo: is a FIFO"
printf '\0\0\0\x20ftypM4A \0\0\0\0M4A mp42isom' >"$tmp/talk.m4a"
check "m4a" run 1 transcribe "$tmp/talk.m4a"
check "m4a names a converter" bash -c "grep -qF '$tmp/talk.m4a' '$tmp/err' && grep -q ffmpeg '$tmp/err' && test \$(wc -l <'$tmp/err') -eq 1"
# Still being recorded: the header promises more than the file has
head -c 40000 "$tmp/long.wav" >"$tmp/half.wav"
check "half-written" run 1 transcribe "$tmp/half.wav"
check "half-written message" one_line_error_naming "still being written"
# A recorder that never fixed its header (sizes left at 0xffffffff): read what is there
/usr/bin/python3 - "$A" "$tmp/placeholder.wav" "$tmp/odd.wav" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
data = b.find(b"data")
struct.pack_into("<I", b, 4, 0xFFFFFFFF)
struct.pack_into("<I", b, data + 4, 0xFFFFFFFF)
open(sys.argv[2], "wb").write(b)
# 16-bit stereo promising 1001 frames, cut off in the middle of the last
frames = bytes(4 * 1000) + b"\x01\x02"
hdr = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + 4004, b"WAVE", b"fmt ", 16, 1, 2,
                  16000, 64000, 4, 16, b"data", 4004)
open(sys.argv[3], "wb").write(hdr + frames)
PY
check "placeholder sizes" run 0 transcribe "$tmp/placeholder.wav"
check "placeholder sizes: the whole recording" cmp -s "$tmp/out" "$tmp/a_stdout.txt"
check "mid-frame WAV" run 1 transcribe "$tmp/odd.wav"
check "mid-frame WAV message" one_line_error_naming "$tmp/odd.wav: truncated"
# '--' ends the options: a file named like an option
cp "$A" "$tmp/-dash.wav"
check "-- before -dash.wav" bash -c "cd '$tmp' && '$ASR' transcribe -- -dash.wav >'$tmp/out' 2>'$tmp/err'"
check "-- transcribed" cmp -s "$tmp/out" "$tmp/a_stdout.txt"
check "-dash.wav without --" bash -c "cd '$tmp' && '$ASR' transcribe -dash.wav 2>'$tmp/err'; test \$? -eq 2"
check "-dash.wav hint" grep -qF -- "'--'" "$tmp/err"

# A recording that stops mid-word (A cut inside its last word): decoded as if
# 300 ms of silence followed (the segmenter adds what the recording lacks;
# without it the last word's end was lost, "better" heard as "best"), and no
# word ends after the recording does.
sox "$A" "$tmp/cut.wav" trim 0 2.79
sox "$tmp/cut.wav" "$tmp/cut_silence.wav" pad 0 0.3
check "cut mid-word" run 0 transcribe "$tmp/cut.wav"
cp "$tmp/out" "$tmp/cut.txt"
check "cut + silence" run 0 transcribe "$tmp/cut_silence.wav"
check "cut mid-word: as if silence followed" cmp -s "$tmp/out" "$tmp/cut.txt"
check "cut mid-word json" run 0 transcribe --json "$tmp/cut.wav"
check "cut mid-word: words end by the end" /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["words"] and all(w["start"] <= w["end"] <= r["duration"] for w in r["words"]), r
assert all(s["end"] <= r["duration"] for s in r["segments"]), r' "$tmp/out"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
