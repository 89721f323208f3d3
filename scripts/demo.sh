#!/usr/bin/env bash
# The main job in one command: set up, build, transcribe the shipped samples
# with the shipped model and compare with their reference transcripts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh build
echo "== asr transcribe samples/*.wav" >&2
./build/asr transcribe samples/*.wav
if [[ -f samples/transcripts.tsv ]]; then
  echo "== reference transcripts (samples/transcripts.tsv)" >&2
  cat samples/transcripts.tsv
fi
