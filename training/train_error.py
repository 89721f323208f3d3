"""Greedy error rate of checkpoints on a random sample of the real training
utterances (clean and augmented copies), beside the dev set's: a model whose
training error is as high as its dev error is underfitted.

    /usr/bin/python3 training/train_error.py CKPT... [--work training/work] [-n 300]
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import load_checkpoint  # noqa: E402
from train import FeatureSet, greedy_cer  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--work", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "work"))
    ap.add_argument("-n", type=int, default=300, help="training utterances sampled (seed 0)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    feats = os.path.join(args.work, "features")
    with open(os.path.join(args.work, "real", "train", "manifest_synth.tsv")) as f:
        synthetic = {line.split("\t", 1)[0] for line in f}
    for path in args.checkpoints:
        model, _ = load_checkpoint(path)
        unit = "characters" if model.vocab[1] == " " else "phones"
        train, dev = FeatureSet(feats, "train", unit), FeatureSet(feats, "dev", unit)
        real = np.flatnonzero([i not in synthetic for i in train.ids])
        pick = np.random.default_rng(0).choice(real, min(args.n, len(real)), replace=False)
        train.keep_only(np.isin(np.arange(len(train.lengths)), pick))
        rate = "CER" if unit == "characters" else "PER"
        on_train = greedy_cer(model, train, 8000)
        model.eval()  # greedy_cer leaves the model in training mode
        on_dev = greedy_cer(model, dev, 8000)
        print(f"{path}: greedy {rate} {100 * on_train:.2f}% on {len(pick)} real training utterances, "
              f"{100 * on_dev:.2f}% on dev", flush=True)


if __name__ == "__main__":
    main()
