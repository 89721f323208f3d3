#!/usr/bin/python3
"""train.py's dev WER after each epoch: the model exported to a temporary file
and decoded by `asr eval`, the dev set's real speech and synthetic voices
scored apart. The shipped streaming phone model, exported again (its float16
weights are exact in float32) with its own LM weight, must score exactly what
`asr eval` gives the shipped file on the same two parts.

    test_dev_wer.py ASR_EXECUTABLE"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import torch

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(root, "training"))
import gguf_reader  # noqa: E402
from model import load_gguf  # noqa: E402
from train import dev_wer  # noqa: E402

torch.set_num_threads(1)
asr = sys.argv[1]
shipped = os.path.join(root, "pretrained", "en-lstm-phones.gguf")
samples = os.path.join(root, "samples")
with open(os.path.join(samples, "manifest.tsv"), encoding="utf-8") as f:
    rows = [line.rstrip("\n").split("\t") for line in f]

failed = 0
with tempfile.TemporaryDirectory() as work:
    # A work folder as training/data/real.py lays it out: the synthetic
    # voices' audio under work/synth/, the real speech elsewhere.
    os.makedirs(os.path.join(work, "real", "dev"))
    os.makedirs(os.path.join(work, "synth", "train", "wav"))
    parts = {"real": [], "synthetic": []}
    for k, (uid, audio, transcript) in enumerate(rows):
        src = os.path.join(samples, audio)
        if k % 2:  # every other sample plays a synthetic utterance
            dst = os.path.join(work, "synth", "train", "wav", audio)
            shutil.copy(src, dst)
            parts["synthetic"].append((uid, dst, transcript))
        else:
            parts["real"].append((uid, src, transcript))
    manifest = os.path.join(work, "real", "dev", "manifest.tsv")
    with open(manifest, "w", encoding="utf-8") as f:
        for uid, audio, transcript in parts["real"] + parts["synthetic"]:
            rel = os.path.relpath(audio, os.path.dirname(manifest))
            f.write(f"{uid}\t{rel}\t{transcript}\n")

    expected = {}
    for name, part in parts.items():
        path = os.path.join(work, name + ".tsv")
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(f"{u}\t{a}\t{t}\n" for u, a, t in part)
        out = subprocess.run([asr, "eval", "--json", "--model", shipped, path],
                             check=True, capture_output=True, text=True).stdout
        expected[name] = float(json.loads(out.strip().splitlines()[-1])["wer"])

    model, config, cmvn = load_gguf(shipped)
    meta = gguf_reader.read(shipped)[0]  # the shipped file's LM weight and blank penalty
    alpha, penalty = meta["asr.lm_alpha"], meta.get("asr.blank_penalty")
    got = dev_wer(model, config, cmvn, asr, work, lm_alpha=alpha, blank_penalty=penalty)
    print(f"dev_wer: {got}; asr eval on the shipped file: {expected}")
    failed += got != expected
    # Without the engine there is no dev WER, and training goes on.
    missing = dev_wer(model, config, cmvn, os.path.join(work, "no-asr"), work, lm_alpha=alpha)
    print(f"without the engine: {missing}")
    failed += missing is not None
    # An engine that fails gives no figure either (and training goes on).
    broken = dev_wer(model, config, cmvn, "/bin/false", work, lm_alpha=alpha)
    print(f"with an engine that fails: {broken}")
    failed += broken is not None
sys.exit(1 if failed else 0)
