#!/usr/bin/python3
"""Writes the PyTorch-vs-C parity fixtures of tests/test_layers.c.

    /usr/bin/python3 training/make_parity_fixtures.py [--out tests/fixtures]
        [--kinds KIND...] [--input tests/fixtures/parity_input.f32]

For each kind (lstm, bilstm, gru, rnn, and bilstm_f16: the BiLSTM with float16
weight matrices): a small seeded random model (2 layers, hidden 24, input 180,
vocab 29) exported as parity_<kind>.gguf, and PyTorch's log-probabilities for
parity_input.f32 as parity_<kind>_logprobs.f32.

parity_input.f32 holds realistic features of real speech (speechocean762
utterance 000030119, 4.0 s): torchaudio's Kaldi MFCC (20 ceps), utterance
mean removed, deltas and delta-deltas (window 2), stacked by 3: T x 180
float32, little-endian, row-major. Everything is deterministic.
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import torch
import torchaudio

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import export, round_to_stored  # noqa: E402
from model import AcousticModel  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLIP = "data/speechocean762/audio/SPEAKER0003/000030119.ogg"

FEATURES = dict(sample_rate=16000, frame_length_ms=25.0, frame_shift_ms=10.0, num_mel_bins=40,
                num_ceps=20, low_freq=20.0, high_freq=-400.0, preemph=0.97,
                cepstral_lifter=22.0, delta_order=2, delta_window=2, stack=3,
                cmvn_prior_frames=200.0)

KINDS = {  # name: (cell, bidirectional, seed, weights)
    "lstm": ("lstm", False, 11, "f32"),
    "bilstm": ("lstm", True, 12, "f32"),
    "gru": ("gru", False, 13, "f32"),
    "rnn": ("rnn", False, 14, "f32"),
    # The BiLSTM with its weight matrices stored as float16 (export.py
    # --weights f16); PyTorch runs them rounded the same way.
    "bilstm_f16": ("lstm", True, 12, "f16"),
}


def speech_features(shared):
    raw = subprocess.run(["sox", "-D", os.path.join(shared, CLIP), "-t", "raw", "-e", "signed",
                          "-b", "16", "-c", "1", "-r", "16000", "-"],
                         check=True, capture_output=True).stdout
    wave = torch.from_numpy(np.frombuffer(raw, dtype="<i2").astype(np.float32))[None]
    f = FEATURES
    ceps = torchaudio.compliance.kaldi.mfcc(
        wave, sample_frequency=f["sample_rate"], frame_length=f["frame_length_ms"],
        frame_shift=f["frame_shift_ms"], num_mel_bins=f["num_mel_bins"], num_ceps=f["num_ceps"],
        low_freq=f["low_freq"], high_freq=f["high_freq"], preemphasis_coefficient=f["preemph"],
        cepstral_lifter=f["cepstral_lifter"], dither=0.0, use_energy=False)
    cmvn_mean = ceps.mean(0)
    ceps = ceps - cmvn_mean
    d1 = torchaudio.functional.compute_deltas(ceps.T, win_length=2 * f["delta_window"] + 1)
    d2 = torchaudio.functional.compute_deltas(d1, win_length=2 * f["delta_window"] + 1)
    frames = torch.cat([ceps.T, d1, d2]).T  # [frames, 60]
    steps = frames.shape[0] // f["stack"]
    x = frames[: steps * f["stack"]].reshape(steps, -1).contiguous()
    return x, cmvn_mean


def make_model(cell, bidirectional, seed, x):
    torch.manual_seed(seed)
    model = AcousticModel(input_dim=x.shape[1], hidden_size=24, num_layers=2, cell=cell,
                          bidirectional=bidirectional)
    with torch.no_grad():
        # Statistics of the clip, slightly off, as a training set's would be.
        mean = x.mean(0) + 0.1 * torch.randn(x.shape[1])
        std = x.std(0) * (1 + 0.2 * torch.rand(x.shape[1]))
        model.set_input_stats(mean, 1.0 / std)
        # Non-zero biases everywhere and a peaked output, so that every term
        # of the equations matters.
        for name, p in model.rnn.named_parameters():
            if "bias" in name:
                p.uniform_(-0.5, 0.5)
        model.out.weight.mul_(8.0)
    model.eval()
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "fixtures"))
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(REPO), "shared"))
    ap.add_argument("--kinds", nargs="+", choices=list(KINDS), default=list(KINDS))
    ap.add_argument("--input", help="features to use instead of the clip's, e.g. the committed "
                    "parity_input.f32: the clip's differ by about 1e-5 across sox and torch "
                    "versions, so new kinds are made against the committed input")
    args = ap.parse_args()
    torch.set_num_threads(1)

    x, cmvn_mean = speech_features(args.shared)
    if args.input:
        x = torch.from_numpy(np.fromfile(args.input, "<f4").reshape(-1, x.shape[1]))
    else:
        x.numpy().astype("<f4").tofile(os.path.join(args.out, "parity_input.f32"))
    print("parity_input.f32: %d x %d" % tuple(x.shape))
    for kind in args.kinds:
        cell, bidirectional, seed, weights = KINDS[kind]
        model = make_model(cell, bidirectional, seed, x)
        if weights == "f16":
            round_to_stored(model)
        export(model, FEATURES, cmvn_mean.numpy(), os.path.join(args.out, "parity_%s.gguf" % kind),
               "parity-" + kind, weights=weights)
        with torch.no_grad():
            logprobs = model(x[None])[0]
        logprobs.numpy().astype("<f4").tofile(
            os.path.join(args.out, "parity_%s_logprobs.f32" % kind))
        print("parity_%s: %d parameters, log-probs %.2f..%.2f" % (
            kind, sum(p.numel() for p in model.parameters()), logprobs.min(), logprobs.max()))


if __name__ == "__main__":
    main()
