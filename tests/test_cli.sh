#!/usr/bin/env bash
# End-to-end tests of the `asr` command: real samples, bad input, exit codes.
# Usage: test_cli.sh PATH/TO/asr   (run by ctest)
set -uo pipefail
ASR=$1
source "$(dirname "$0")/cli_harness.sh"

# Help and options
check "help" run 0 --help
check "help names transcribe" grep -q transcribe "$tmp/out"
check "transcribe help" run 0 transcribe --help
check "no command" run 2
check "version" run 0 --version
check "version names the BLAS kernels" grep -q "^asr [0-9.]* (OpenBLAS kernels for [A-Za-z0-9]*)$" "$tmp/out"
# The user's choice of OpenBLAS kernels stands (asr only restarts itself
# with faster ones where OpenBLAS fell back to Prescott's).
check "OPENBLAS_CORETYPE kept" bash -c "OPENBLAS_CORETYPE=Prescott '$ASR' --version | grep -q 'for Prescott)$'"
check "unknown command" run 2 frobnicate
check "unknown option" run 2 transcribe --frob samples/fsdd_3_theo_2.wav
check "beam 0" run 2 transcribe --beam 0 samples/fsdd_3_theo_2.wav
check "beam text" run 2 transcribe --beam abc samples/fsdd_3_theo_2.wav
# A negative alpha would mean "the model's" to the library: refused here.
check "negative alpha" run 2 transcribe --alpha -0.5 samples/fsdd_3_theo_2.wav
check "jobs 0" run 2 transcribe -j 0 samples/fsdd_3_theo_2.wav
check "missing value" run 2 transcribe samples/fsdd_3_theo_2.wav --model
check "no files" run 2 transcribe

# The shipped samples
check "samples" run 0 transcribe samples/*.wav
n_samples=$(ls samples/*.wav | wc -l)
check "one line per sample" test "$(wc -l <"$tmp/out")" -eq "$n_samples"
cp "$tmp/out" "$tmp/serial"
check "samples -j 2" run 0 transcribe -j 2 samples/*.wav
check "-j 2 same as -j 1" cmp -s "$tmp/out" "$tmp/serial"
check "json" run 0 transcribe --json samples/so762_000030116.wav
check "json parses" /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["file"].endswith(".wav") and r["duration"] > 3
for w in r["words"]:
    assert 0 <= w["start"] <= w["end"] <= r["duration"] + 0.1 and 0 <= w["confidence"] <= 1
assert " ".join(w["word"] for w in r["words"]) == r["text"]
' "$tmp/out"
run 0 transcribe samples/so762_000030116.wav && cp "$tmp/out" "$tmp/file_text"
sox samples/so762_000030116.wav -t raw -e signed -b 16 -c 1 -L "$tmp/pcm.raw"
check "stdin pcm" bash -c "'$ASR' transcribe - --rate 16000 <'$tmp/pcm.raw' >'$tmp/out'"
check "stdin same as file" cmp -s "$tmp/out" "$tmp/file_text"

# Bad audio: one-line error naming the file, exit 1, other files still done
: >"$tmp/empty.wav"
echo "this is not audio" >"$tmp/text.wav"
head -c 30000 samples/so762_000030116.wav >"$tmp/truncated.wav"
sox -n -r 16000 -c 1 -b 16 "$tmp/zero_frames.wav" trim 0 0
/usr/bin/python3 - "$tmp" <<'PY'
import struct, sys, math
d = sys.argv[1]
def wav(path, rate, channels, fmt, bits, data):
    hdr = struct.pack('<4sI4s4sIHHIIHH4sI', b'RIFF', 36 + len(data), b'WAVE', b'fmt ', 16, fmt,
                      channels, rate, rate * channels * bits // 8, channels * bits // 8, bits,
                      b'data', len(data))
    open(path, 'wb').write(hdr + data)
samples = [0.1 * math.sin(i / 10) for i in range(16000)]
samples[500] = float('nan')
wav(d + '/nan.wav', 16000, 1, 3, 32, struct.pack('<%df' % len(samples), *samples))
samples[500] = float('inf')
wav(d + '/inf.wav', 16000, 1, 3, 32, struct.pack('<%df' % len(samples), *samples))
pcm = struct.pack('<%dh' % 16000, *([0] * 16000))
wav(d + '/rate0.wav', 0, 1, 1, 16, pcm)
wav(d + '/rate_huge.wav', 50000000, 1, 1, 16, pcm)
wav(d + '/channels.wav', 16000, 1000, 1, 16, pcm * 100)
PY
for bad in empty text truncated zero_frames nan inf rate0 rate_huge channels; do
    check "bad audio $bad" run 1 transcribe "$tmp/$bad.wav"
    check "bad audio $bad message" one_line_error_naming "$tmp/$bad.wav"
done
check "missing file" run 1 transcribe "$tmp/nope.wav"
check "missing file message" one_line_error_naming "$tmp/nope.wav"
check "batch with a bad file" run 1 transcribe samples/fsdd_3_theo_2.wav "$tmp/text.wav" samples/fsdd_7_jackson_0.wav
check "batch still transcribes the good files" test "$(wc -l <"$tmp/out")" -eq 2
check "odd pcm bytes" bash -c "printf 'abc' | '$ASR' transcribe - 2>/dev/null; test \$? -eq 1"

# Bad models: exit 2 with the model's name
check "missing model" run 2 transcribe --model "$tmp/none.gguf" samples/fsdd_3_theo_2.wav
check "missing model message" grep -qF "$tmp/none.gguf" "$tmp/err"
check "text model" run 2 transcribe --model "$tmp/text.wav" samples/fsdd_3_theo_2.wav
head -c 5000 pretrained/en-lstm.gguf >"$tmp/truncated.gguf"
check "truncated model" run 2 transcribe --model "$tmp/truncated.gguf" samples/fsdd_3_theo_2.wav
check "truncated model message" grep -qF "$tmp/truncated.gguf" "$tmp/err"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
