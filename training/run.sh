#!/usr/bin/env bash
# The whole recipe in one command: data, features, training of the four
# shipped models, export, parity check and evaluation. Every stage skips
# work already on disk, and training resumes from its checkpoints, so the
# command can be run again after an interruption.
#
#   bash training/run.sh            # everything (about 3 h on 2 cores)
#   WORK=/big/disk bash training/run.sh
#
# Measured wall times on the 2-core development VM: data 8 min (synthesis
# 2-6 min), features 95 s, training stage 1 76 min (two models at a time: LSTM
# then RNN beside BiLSTM then GRU), stage 2 about 75 min (LSTM beside BiLSTM),
# export + parity + eval about 5 min.
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
train() { $PY training/train.py --work "$WORK" "$@" >>"$WORK/logs/$2.log" 2>&1; }
# Stage 1, the same budget for the four cells (the comparison in MODEL_CARD.md).
( train --name en-lstm --cell lstm --hidden 320 --epochs 8 --batch-steps 6000
  train --name en-rnn --cell rnn --hidden 320 --epochs 8 --batch-steps 6000 ) &
( train --name en-bilstm --cell lstm --bidirectional --hidden 192 --epochs 7 --batch-steps 6000
  train --name en-gru --cell gru --hidden 320 --epochs 8 --batch-steps 6000 ) &
wait
# Stage 2 for the two default models: from stage 1's best weights, a new
# schedule with 3x smaller batches (3x more updates per epoch; stage 1 ended
# underfitted, training CER about as high as dev CER). --init also takes a
# model file, e.g. a shipped pretrained/*.gguf, to train further from it.
( train --name en-lstm.s2 --init "$WORK/ckpt/en-lstm.best.pt" --cell lstm --hidden 320 \
      --epochs 8 --batch-steps 2000 --lr 1e-3 ) &
( train --name en-bilstm.s2 --init "$WORK/ckpt/en-bilstm.best.pt" --cell lstm --bidirectional \
      --hidden 192 --epochs 7 --batch-steps 2000 --lr 1e-3 ) &
wait

echo "== export, parity, evaluation" >&2
export_model() { # CHECKPOINT NAME OUT.gguf [FIXTURE]
    $PY training/export.py "$1" "$3" --name "$2"
    $PY training/parity_check.py "$1" "$3" \
        --manifest "$WORK/real/test_speechocean.tsv" --manifest "$WORK/real/test_fsdd.tsv" -n 10 \
        ${4:+--fixture "$4" --fixture-audio samples/so762_000030116.wav}
}
for name in en-lstm en-bilstm; do
    export_model "$WORK/ckpt/$name.s2.best.pt" "$name" "pretrained/$name.gguf" \
        "tests/fixtures/shipped_${name}_logprobs.f32"
    mkdir -p "$WORK/stage1"
    export_model "$WORK/ckpt/$name.best.pt" "$name" "$WORK/stage1/$name.gguf"
done
for name in en-gru en-rnn; do
    export_model "$WORK/ckpt/$name.best.pt" "$name" "pretrained/$name.gguf" \
        "tests/fixtures/shipped_${name}_logprobs.f32"
done
$PY training/evaluate.py --work "$WORK" | tee "$WORK/eval.md"
$PY training/evaluate.py --work "$WORK" --models "$WORK/stage1/en-lstm.gguf" \
    "$WORK/stage1/en-bilstm.gguf" en-gru en-rnn | tee "$WORK/eval_stage1.md"
