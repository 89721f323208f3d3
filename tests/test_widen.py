#!/usr/bin/python3
"""train.py --init of a unidirectional model into a bidirectional one
(widen_to_bidirectional): the widened model computes what the shipped
streaming phone model computes, on ragged batches."""
import os
import sys

import torch

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(root, "training"))
from model import AcousticModel, load_gguf  # noqa: E402
from train import widen_to_bidirectional  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(0)
uni, _, _ = load_gguf(os.path.join(root, "pretrained", "en-lstm-phones.gguf"))
config = dict(uni.config(), bidirectional=True)
bi = AcousticModel(**config)
bi.load_state_dict(widen_to_bidirectional(uni.state_dict(), bi.num_layers))
bi.eval()
x = torch.randn(3, 120, uni.input_dim) * 3
lengths = torch.tensor([120, 90, 40])
with torch.no_grad():
    a, b = uni(x, lengths), bi(x, lengths)
diff = max((a[i, :n] - b[i, :n]).abs().max().item() for i, n in enumerate(lengths.tolist()))
print("max abs difference, widened against streaming: %.3g" % diff)
sys.exit(0 if diff <= 1e-5 else 1)
