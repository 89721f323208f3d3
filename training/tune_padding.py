#!/usr/bin/python3
"""What a recording cut at its last word should be padded with (cli/segmenter.c).

Decodes every dev utterance whole, cuts it at the end of its last word (as the
whole decode timed it), and decodes the cut again: unpadded, padded with
300 ms of zeros, and padded with 300 ms of white noise at each --levels RMS.
Prints the WER of each, through the Python binding over the built library
(the library pads nothing itself, so this measures the padding alone).

    /usr/bin/python3 training/tune_padding.py --model pretrained/en-bilstm-phones.gguf

The 2026-12-04 run of the four shipped models is in pretrained/MODEL_CARD.md.
"""
import argparse
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import asr  # noqa: E402
from wer import edits, normalise  # noqa: E402  scored as `asr eval` scores

RATE = 16000
PAD_S = 0.3


def read_16k(path):
    raw = subprocess.run(["sox", path, "-t", "f32", "-r", str(RATE), "-c", "1", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--dev", default=os.path.join(ROOT, "training/work/real/dev/manifest.tsv"))
    ap.add_argument("--levels", default="1e-5,1e-4,3e-4,1e-3",
                    help="noise RMS, full scale 1 (1e-4 = -80 dBFS)")
    args = ap.parse_args()
    if "test" in os.path.basename(args.dev):
        sys.exit("tune_padding.py: choices are made on the dev set, not on %s" % args.dev)
    levels = [float(x) for x in args.levels.split(",")]
    configs = [("uncut", None), ("cut", None), ("zeros", 0.0)] + \
        [("noise %g" % a, a) for a in levels]
    totals = {name: [0, 0] for name, _ in configs}
    model, lm, d = asr.Model(args.model), asr.LM(), asr.Dict()
    stream = asr.Stream(model, lm=lm, dict=d)
    rng = np.random.default_rng(1)
    base = os.path.dirname(args.dev)
    for line in open(args.dev):
        _, path, ref = line.rstrip("\n").split("\t")
        ref = normalise(ref)
        x = read_16k(os.path.join(base, path))
        stream.reset()
        stream.accept_waveform(RATE, x)
        whole = stream.finish()
        end_s = whole.words[-1].end if whole.words else len(x) / RATE
        cut = x[:int(max(0.1, end_s) * RATE)]
        noise = rng.standard_normal(int(PAD_S * RATE)).astype(np.float32)
        for name, level in configs:
            audio = x if name == "uncut" else cut if level is None else \
                np.concatenate([cut, level * noise])
            stream.reset()
            stream.accept_waveform(RATE, audio)
            totals[name][0] += edits(ref, normalise(stream.finish().text))
            totals[name][1] += len(ref)
    print(os.path.basename(args.model))
    for name, (e, n) in totals.items():
        print("  %-12s WER %6.2f%%" % (name, 100.0 * e / n))


if __name__ == "__main__":
    main()
