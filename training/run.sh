#!/usr/bin/env bash
# The whole recipe in one command: data, features, training of the four
# shipped models, export, parity check and evaluation. Every stage skips
# work already on disk, and training resumes from its checkpoints, so the
# command can be run again after an interruption.
#
#   bash training/run.sh            # everything (about 95 min on 2 cores)
#   WORK=/big/disk bash training/run.sh
#
# Measured wall times on the 2-core development VM: data 6 min (synthesis
# 350 s), features 95 s, training 68 min (two models at a time: LSTM then
# RNN beside BiLSTM then GRU), export + parity + eval 6 min.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-training/work}
PY=/usr/bin/python3                     # Debian's torch lives only there
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1  # 1 thread per job is fastest here
mkdir -p "$WORK/logs"

bash scripts/setup.sh --all
bash scripts/build.sh build

echo "== data" >&2
$PY training/data/text_corpus.py --out "$WORK"
$PY training/data/synth.py --out "$WORK"
$PY training/data/real.py --out "$WORK"
echo "== features" >&2
$PY training/prepare.py --work "$WORK"

echo "== training (logs in $WORK/logs)" >&2
train() { $PY training/train.py --work "$WORK" --batch-steps 6000 "$@" >>"$WORK/logs/$2.log" 2>&1; }
( train --name en-lstm --cell lstm --hidden 320 --epochs 8
  train --name en-rnn --cell rnn --hidden 320 --epochs 8 ) &
( train --name en-bilstm --cell lstm --bidirectional --hidden 192 --epochs 7
  train --name en-gru --cell gru --hidden 320 --epochs 8 ) &
wait

echo "== export, parity, evaluation" >&2
for name in en-lstm en-bilstm en-gru en-rnn; do
    $PY training/export.py "$WORK/ckpt/$name.best.pt" "pretrained/$name.gguf" --name "$name"
    $PY training/parity_check.py "$WORK/ckpt/$name.best.pt" "pretrained/$name.gguf" \
        --manifest "$WORK/real/test_speechocean.tsv" --manifest "$WORK/real/test_fsdd.tsv" -n 10 \
        --fixture "tests/fixtures/shipped_${name}_logprobs.f32" --fixture-audio samples/so762_000030116.wav
done
$PY training/evaluate.py --work "$WORK" | tee "$WORK/eval.md"
