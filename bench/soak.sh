#!/usr/bin/env bash
# Soak: a long stream through the default streaming model (`asr live --input`,
# as fast as recognition goes) and a long file through the default file model
# (`asr transcribe`), RSS sampled every second. Prints RSS once the model is
# loaded, its peak and its growth, and the real-time factor (wall seconds per audio
# second) at the start and the end. Not a CI test: it runs for minutes.
#
#   bash bench/soak.sh [STREAM_MINUTES] [FILE_MINUTES]   (default 60 and 180)
#
# The audio is the shipped samples, each followed by 1 s of silence, repeated
# to the length: speech and pauses, so endpointing and segmenting run as they
# do on a real recording. Work files go to ${WORK:-/tmp/asr_soak} (the 3-hour
# WAV takes 350 MB). Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
stream_min=${1:-60}
file_min=${2:-180}
ASR=${ASR:-./build/asr}
work=${WORK:-/tmp/asr_soak}
mkdir -p "$work"
[[ -x $ASR ]] || bash scripts/build.sh build
export OPENBLAS_NUM_THREADS=1
echo "machine: $(machine)"

# One round of the samples with pauses, then repeated to each length.
sox -n -r 16000 -c 1 -b 16 "$work/pause.wav" trim 0 1
round=()
for f in samples/*.wav; do
    sox "$f" -r 16000 -c 1 -b 16 "$work/$(basename "$f")"
    round+=("$work/$(basename "$f")" "$work/pause.wav")
done
sox "${round[@]}" "$work/round.wav"
long_wav() { # long_wav MINUTES OUT: the round repeated, cut to MINUTES
    python3 - "$work/round.wav" "$1" "$2" <<'PY'
import sys, wave
src, minutes, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with wave.open(src) as w:
    params, frames = w.getparams(), w.readframes(w.getnframes())
left = minutes * 60 * params.framerate * params.sampwidth
with wave.open(out, "wb") as o:
    o.setparams(params)
    while left > 0:
        o.writeframes(frames[:left])
        left -= len(frames)
PY
}

# run_sampled LABEL AUDIO_SECONDS CMD...: runs CMD with its stdout lines time
# stamped (for the stream's RTF) and its RSS sampled each second; prints the figures.
run_sampled() {
    local label=$1 secs=$2
    shift 2
    python3 - "$label" "$secs" "$@" <<'PY'
import json, subprocess, sys, threading, time
label, secs, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
t0 = time.monotonic()
p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
rss = []  # (wall s, MiB)
def sample():
    while p.poll() is None:
        try:
            with open("/proc/%d/status" % p.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss.append((time.monotonic() - t0, int(line.split()[1]) / 1024))
        except OSError:
            pass
        time.sleep(1)
threading.Thread(target=sample, daemon=True).start()
marks = []  # (wall s, audio s) of each final of the stream
for line in p.stdout:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("type") == "final":
        marks.append((time.monotonic() - t0, m["end"]))
rc = p.wait()
wall = time.monotonic() - t0
if rc != 0:
    sys.exit("%s: exit %d" % (label, rc))
def rtf_between(a0, a1):  # wall per audio second between the marks nearest audio a0 and a1
    pts = [(0.0, 0.0)] + marks
    w0, s0 = min(pts, key=lambda m: abs(m[1] - a0))
    w1, s1 = min(pts, key=lambda m: abs(m[1] - a1))
    return (w1 - w0) / (s1 - s0) if s1 > s0 else float("nan")
# The baseline: once the model is loaded and the first minute (a tenth of a short run) decoded.
settle = min(60.0, wall / 10)
last = rss[-1][1] if rss else float("nan")
first = next((r for t, r in rss if t >= settle), last)
peak = max((r for _, r in rss), default=float("nan"))
print("%-7s %6.0f s audio in %6.1f s wall: RTF %.4f overall" % (label, secs, wall, wall / secs))
if marks:
    w = min(600.0, secs / 6)
    print("        RTF first %.0f s of audio %.4f, last %.0f s %.4f (%d finals)"
          % (w, rtf_between(0, w), w, rtf_between(secs - w, secs), len(marks)))
print("        RSS after %.0f s %.1f MiB, peak %.1f MiB, at the end %.1f MiB: growth %+.1f MiB"
      % (settle, first, peak, last, last - first))
PY
}

long_wav "$stream_min" "$work/stream.wav"
run_sampled stream "$((stream_min * 60))" "$ASR" live --input "$work/stream.wav" --json
rm -f "$work/stream.wav"

# The file model gives no output until the end: its RTF at the start is that
# of the file's first 10 minutes run alone ("start"), its overall RTF covers the end.
long_wav "$file_min" "$work/file.wav"
start_s=$((file_min * 60 < 600 ? file_min * 60 : 600))
sox "$work/file.wav" "$work/file_start.wav" trim 0 "$start_s"
run_sampled "start" "$start_s" "$ASR" transcribe --quiet --json "$work/file_start.wav"
run_sampled file "$((file_min * 60))" "$ASR" transcribe --quiet --json "$work/file.wav"
rm -f "$work/file.wav" "$work/file_start.wav"
