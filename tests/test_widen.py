#!/usr/bin/python3
"""train.py --init's two ways of growing a trained model, each of which must
compute exactly what it started from:
- widen_to_bidirectional: a unidirectional model into a bidirectional one,
  from the shipped streaming phone model;
- widen_hidden: more units per layer, for every cell, uni- and bidirectional.
On ragged batches, as training feeds them."""
import os
import sys

import torch

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(root, "training"))
from model import AcousticModel, load_gguf  # noqa: E402
from train import widen_hidden, widen_to_bidirectional  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(0)
lengths = torch.tensor([120, 90, 40])


def max_diff(a, b, x):
    with torch.no_grad():
        ya, yb = a(x, lengths), b(x, lengths)
    return max((ya[i, :n] - yb[i, :n]).abs().max().item() for i, n in enumerate(lengths.tolist()))


failed = 0
uni, _, _ = load_gguf(os.path.join(root, "pretrained", "en-lstm-phones.gguf"))
bi = AcousticModel(**dict(uni.config(), bidirectional=True))
bi.load_state_dict(widen_to_bidirectional(uni.state_dict(), bi.num_layers))
bi.eval()
x = torch.randn(3, 120, uni.input_dim) * 3
diff = max_diff(uni, bi, x)
print("widen_to_bidirectional, shipped streaming phone model: max abs difference %.3g" % diff)
# Exact in arithmetic; float32 rounding over 120 steps of 448 units depends on
# OpenBLAS's kernels (0 with SkylakeX's, 1.3e-5 with Cooperlake's on an AMD
# EPYC): the parity bar of the shipped models.
failed += diff > 1e-4

for cell in ("lstm", "gru", "rnn"):
    for bidirectional in (False, True):
        small = AcousticModel(input_dim=12, hidden_size=16, num_layers=3, cell=cell,
                              bidirectional=bidirectional, vocab=["", "a", "b", "c"])
        small.set_input_stats(torch.randn(12), torch.rand(12) + 0.5)
        small.eval()
        big = AcousticModel(**dict(small.config(), hidden_size=24))
        big.load_state_dict(widen_hidden(small.state_dict(), big))
        big.eval()
        x = torch.randn(3, 120, 12) * 3
        diff = max_diff(small, big, x)
        # The new units must be live: their incoming weights are not all zero.
        live = big.rnn.weight_hh_l0[16:24].abs().sum().item() > 0
        print("widen_hidden %s%s 16 -> 24 units: max abs difference %.3g, new units %s"
              % ("bi" if bidirectional else "", cell, diff, "live" if live else "DEAD"))
        failed += diff > 1e-5 or not live
sys.exit(1 if failed else 0)
