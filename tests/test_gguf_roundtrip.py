#!/usr/bin/python3
"""Training's model-file reader and writer are exact inverses: each shipped
model, read back into PyTorch (model.load_gguf, as `train.py --init` does)
and exported again, gives the same bytes; so does a file with float16
weights. A corrupt file is refused."""
import os
import sys
import tempfile

import torch

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(root, "training"))
from export import export  # noqa: E402
from model import load_gguf  # noqa: E402

torch.set_num_threads(1)
failures = 0
with tempfile.TemporaryDirectory() as tmp:
    for name in ("en-lstm", "en-bilstm", "en-gru", "en-rnn"):
        src = os.path.join(root, "pretrained", name + ".gguf")
        model, config, cmvn = load_gguf(src)
        out = os.path.join(tmp, name + ".gguf")
        export(model, config, cmvn, out, name)
        same = open(src, "rb").read() == open(out, "rb").read()
        print("%s: %s" % (name, "identical" if same else "DIFFERENT"))
        failures += not same
    # float16 weights read back (widened) and written again as float16.
    src = os.path.join(root, "tests", "fixtures", "parity_bilstm_f16.gguf")
    model, config, cmvn = load_gguf(src)
    out = os.path.join(tmp, "f16.gguf")
    export(model, config, cmvn, out, "parity-bilstm_f16", weights="f16")
    same = open(src, "rb").read() == open(out, "rb").read()
    print("parity_bilstm_f16 (float16 weights): %s" % ("identical" if same else "DIFFERENT"))
    failures += not same
    truncated = os.path.join(tmp, "truncated.gguf")
    with open(truncated, "wb") as f:
        f.write(open(os.path.join(root, "pretrained", "en-rnn.gguf"), "rb").read()[:100000])
    try:
        load_gguf(truncated)
        print("truncated file: accepted")
        failures += 1
    except ValueError as e:
        print("truncated file refused:", e)
sys.exit(1 if failures else 0)
