"""PyTorch vs the C engine on real utterances, for shipped models.

    /usr/bin/python3 training/parity_check.py CHECKPOINT MODEL.gguf [--manifest M] [-n 20]
        [--fixture tests/fixtures/shipped_NAME_logprobs.f32 --fixture-audio samples/X.wav]

Features come from the C front end (as in training); the PyTorch model (from
the checkpoint) and the C engine (from the exported file, through the whole
stream: resampling, features, model) score the same audio, and the largest
absolute log-probability difference is printed. With --fixture, PyTorch's
log-probs for one sample are written for the C test tests/test_shipped_models.c.
A file with float16 weights (export.py --weights f16) is compared with the
PyTorch model rounded the same way: the engine must compute what the file holds.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import asr_lib  # noqa: E402
import gguf_reader  # noqa: E402
import pronounce  # noqa: E402
from export import round_to_stored  # noqa: E402
from model import load_checkpoint  # noqa: E402
from prepare import load_16k, read_manifest  # noqa: E402


def torch_logprobs(model, ckpt, wave16k):
    cfg = asr_lib.default_config()
    for k, v in ckpt["feature_config"].items():
        setattr(cfg, k, v)
    feats = asr_lib.features(wave16k, cfg, ckpt["cmvn_mean"].numpy())
    with torch.no_grad():
        return model(torch.from_numpy(feats).unsqueeze(0))[0].numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("gguf")
    ap.add_argument("--manifest", action="append", default=[])
    ap.add_argument("-n", type=int, default=20, help="utterances per manifest")
    ap.add_argument("--fixture")
    ap.add_argument("--fixture-audio")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, ckpt = load_checkpoint(args.checkpoint)
    _, stored = gguf_reader.read(args.gguf)
    if any(t.dtype == np.float16 for t in stored.values()):
        round_to_stored(model)  # compare with the network the file holds
        print(f"{os.path.basename(args.gguf)}: float16 weights; PyTorch runs them rounded alike")
    vocab = len(model.vocab)
    # Phone models make streams only with their dictionary.
    dict_path = (os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pretrained",
                              "en-cmudict.dict") if model.vocab == pronounce.VOCAB else None)
    worst = 0.0
    for manifest in args.manifest:
        rows = read_manifest(manifest)
        for utt, path, _ in rows[:: max(1, len(rows) // args.n)][: args.n]:
            wave = load_16k(path)
            ref = torch_logprobs(model, ckpt, wave)
            got = asr_lib.engine_logprobs(args.gguf, wave, 16000, vocab, dict_path)
            if got.shape != ref.shape:
                sys.exit(f"{utt}: shape {got.shape} vs PyTorch {ref.shape}")
            worst = max(worst, float(np.abs(got - ref).max()))
        print(f"{os.path.basename(args.gguf)} {os.path.basename(manifest)}: max abs diff so far {worst:.2e}")
    if args.fixture:
        wave, rate = asr_lib.read_audio(args.fixture_audio)
        ref = torch_logprobs(model, ckpt, asr_lib.resample(wave, rate, 16000))
        ref.astype("<f4").tofile(args.fixture)
        print(f"wrote {args.fixture}: {ref.shape[0]} steps x {ref.shape[1]}")
    print(f"max abs diff PyTorch vs C: {worst:.2e} ({'ok' if worst <= 1e-4 else 'TOO LARGE'})")
    sys.exit(0 if worst <= 1e-4 else 1)


if __name__ == "__main__":
    main()
