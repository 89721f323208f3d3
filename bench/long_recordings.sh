#!/usr/bin/env bash
# Long recordings: accuracy of `asr transcribe` on one long file against the
# same utterances one by one, and its peak memory and CPU time on files from
# one minute to three hours. Not a CI test (it runs for tens of minutes).
#
#   bash bench/long_recordings.sh [N_UTTERANCES] [PAUSE_S]
#
# The recording: N (default 430, about 30 minutes with the pauses)
# utterances of the 25 held-out speechocean762 test speakers (training never saw them),
# spread over its speakers, joined with sox with PAUSE_S (default 1.0) s of
# silence after each. Word error rates, all with `asr eval`:
#   one by one         the utterances as separate files
#   joined, on grid    the joined file against the joined transcripts, each
#                      utterance starting a whole number of model steps
#                      (30 ms) into the file: frames fall as in its own file
#   joined, off grid   the same with the utterances where they fall
#   one by one +10 ms  the files without their first 10 ms: one frame off
# The last two measure the shipped models' sensitivity to where the frame
# grid falls; the first two what segmenting costs.
# Peak RSS and CPU time: `/usr/bin/time -v asr transcribe` of 1 minute, the
# joined file and 3 hours (the joined file six times).
# Default model and LM, as a user gets them. Work files go to
# ${WORK:-/tmp/asr_long}; the 3-hour WAV takes 350 MB there while it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
n=${1:-430}
pause=${2:-1.0}
ASR=${ASR:-./build/asr}
work=${WORK:-/tmp/asr_long}
mkdir -p "$work"
[[ -x $ASR ]] || bash scripts/build.sh build
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 2; }

echo "machine: $(machine)"
# Speakers training never saw: the corpus' test split has 125 speakers, and
# training/data/real.py trains on all but the first 25 (sorted; 5 more are
# dev), so only those 25 are held out.
so=../shared/data/speechocean762
python3 - "$so" "$work/held_out.tsv" <<'PY'
import os, sys
so, out = sys.argv[1], sys.argv[2]
spk = dict(l.rstrip("\n").split("\t")[:2] for l in open(os.path.join(so, "utt2spk.tsv")) if l.strip())
rows = [l for l in open(os.path.join(so, "manifest_test.tsv")) if l.strip()]
held = set(sorted({spk[r.split("\t")[0]] for r in rows})[:25])
with open(out, "w") as f:
    for r in rows:
        i, audio, text = r.rstrip("\n").split("\t")[:3]
        if spk[i] in held:
            f.write("\t".join([i, os.path.abspath(os.path.join(so, audio)), text]) + "\n")
PY
subset "$work/held_out.tsv" "$n" "$work/utts.tsv"
echo "utterances: $(wc -l <"$work/utts.tsv") of speechocean762's 25 held-out test speakers, joined with ${pause} s pauses"

# The utterances as 16-bit WAV: as they are, padded to whole 30 ms steps,
# and without their first 10 ms.
mkdir -p "$work/wav" "$work/grid" "$work/shift"
step=480 # samples of one model step at 16 kHz
pause_n=$(python3 -c "print(round($pause * 16000 / $step) * $step)")
sox -n -r 16000 -c 1 -b 16 "$work/pause.wav" trim 0 "${pause_n}s"
: >"$work/shifted.tsv"
off=() on=()
while IFS=$'\t' read -r id audio text; do
    sox "$audio" -b 16 "$work/wav/$id.wav"
    n=$(soxi -s "$work/wav/$id.wav")
    sox "$work/wav/$id.wav" "$work/grid/$id.wav" pad 0 "$(((step - n % step) % step))s"
    sox "$work/wav/$id.wav" "$work/shift/$id.wav" trim 160s
    printf '%s\t%s\t%s\n' "$id" "$work/shift/$id.wav" "$text" >>"$work/shifted.tsv"
    off+=("$work/wav/$id.wav" "$work/pause.wav")
    on+=("$work/grid/$id.wav" "$work/pause.wav")
done <"$work/utts.tsv"
sox "${off[@]}" "$work/joined_off.wav"
sox "${on[@]}" "$work/joined.wav"
ref=$(cut -f3 "$work/utts.tsv" | tr '\n' ' ')
printf 'joined\t%s\t%s\n' "$work/joined.wav" "$ref" >"$work/joined.tsv"
printf 'joined\t%s\t%s\n' "$work/joined_off.wav" "$ref" >"$work/joined_off.tsv"
echo "joined file: $(soxi -D "$work/joined.wav") s"

wer_of() { # wer_of MANIFEST: WER (%) from asr eval --json
    "$ASR" eval --quiet --json "$1" | python3 -c 'import json,sys; print("%.2f" % json.load(sys.stdin)["wer"])'
}
one=$(wer_of "$work/utts.tsv")
joined=$(wer_of "$work/joined.tsv")
echo "WER one by one:          $one %"
echo "WER joined, on grid:     $joined %  ($(python3 -c "print('%+.2f' % ($joined - $one))") points)"
echo "WER joined, off grid:    $(wer_of "$work/joined_off.tsv") %"
echo "WER one by one, +10 ms:  $(wer_of "$work/shifted.tsv") %"

# Memory and CPU time against length.
sox "$work/joined.wav" "$work/minute.wav" trim 0 60
sox "$work/joined.wav" "$work/joined.wav" "$work/joined.wav" "$work/joined.wav" \
    "$work/joined.wav" "$work/joined.wav" "$work/three_hours.wav"
measure() { # measure FILE: audio seconds, peak RSS (MiB), CPU seconds, segments
    local secs lines
    secs=$(soxi -D "$1")
    /usr/bin/time -v "$ASR" transcribe --quiet "$1" >"$work/out.txt" 2>"$work/time.txt"
    lines=$(grep -c . "$work/out.txt" || true)
    awk -v secs="$secs" -v lines="$lines" -F': ' '
        /Maximum resident set size/ { rss = $2 / 1024 }
        /User time/ { cpu += $2 } /System time/ { cpu += $2 }
        END { printf "%9.0f s audio  peak RSS %6.1f MiB  CPU %7.1f s  (%.4f CPU s per audio s)  %d segments\n", secs, rss, cpu, cpu / secs, lines }' \
        "$work/time.txt"
}
echo "1 minute:  $(measure "$work/minute.wav")"
echo "joined:    $(measure "$work/joined.wav")"
echo "3 hours:   $(measure "$work/three_hours.wav")"
rm -rf "$work/three_hours.wav" "$work/wav" "$work/grid" "$work/shift"
