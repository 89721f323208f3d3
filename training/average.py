#!/usr/bin/python3
"""Averages the weights of several checkpoints of one network: epochs of a
run, or a stage and the one it started from (a cheap ensemble that costs no
more at inference than one model).

    /usr/bin/python3 training/average.py OUT.pt IN [IN ...]

Each IN is a checkpoint of train.py or a model file (.gguf); all must have the
same architecture, features and CMVN mean. OUT is a checkpoint that
export.py and parity_check.py read.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import load_checkpoint, load_gguf, save_checkpoint  # noqa: E402


def load(path):
    """(model, feature_config, cmvn_mean) of a checkpoint or model file."""
    if path.endswith(".gguf"):
        return load_gguf(path)
    model, ckpt = load_checkpoint(path)
    return model, ckpt["feature_config"], ckpt["cmvn_mean"]


def network(model):
    """What must agree: the shape and the outputs (not training settings such as dropout)."""
    return {k: v for k, v in model.config().items() if k != "dropout"}


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, paths = sys.argv[1], sys.argv[2:]
    models = [load(p) for p in paths]
    first, config, cmvn = models[0]
    for path, (model, other_config, other_cmvn) in zip(paths[1:], models[1:]):
        if network(model) != network(first):
            sys.exit(f"{path}: another network than {paths[0]} ({network(model)})")
        same_features = all(np.isclose(float(other_config[k]), float(v)) for k, v in config.items())
        if not same_features or not np.allclose(np.asarray(other_cmvn), np.asarray(cmvn), atol=0.1):
            sys.exit(f"{path}: other features or CMVN mean than {paths[0]}")
    states = [m.state_dict() for m, _, _ in models]
    first.load_state_dict({k: sum(s[k] for s in states) / len(states) for k in states[0]})
    save_checkpoint(out, first, config, np.asarray(cmvn, dtype=np.float32))
    print(f"wrote {out}: the mean of {len(paths)} networks")


if __name__ == "__main__":
    main()
