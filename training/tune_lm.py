#!/usr/bin/env python3
"""Tunes the LM weight (alpha), word bonus (beta) and blank penalty of `asr` on a dev set.

Runs `asr eval --json` once per (alpha, beta, penalty) of a grid, plus greedy decoding
and the beam without LM as references, and prints the word error rates and
the best setting. Tune on a dev set, never on the test sets (the script refuses
a manifest whose name says "test" unless --allow-test is given).

    python3 training/tune_lm.py                       # the defaults below
    python3 training/tune_lm.py --model pretrained/en-bilstm.gguf --beam 16 -j 2

The best alpha and penalty of one model go into its file (training/export.py
--lm-alpha A --blank-penalty P: the defaults of --alpha and --blank-penalty
for that model); defaults for every model are in asr_stream_default_params()
(engine/stream.c). Or on the command line: asr transcribe --alpha A --beta B
--blank-penalty P. The references (greedy, no LM) use the model's penalty.
"""
import argparse
import itertools
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def floats(text):
    return [float(x) for x in text.split(",") if x]


def run_eval(args, extra):
    cmd = [args.asr, "eval", "--json", "--model", args.model, "-j", str(args.jobs)] + extra
    cmd.append(args.dev)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--asr", default=os.path.join(ROOT, "build", "asr"))
    p.add_argument("--model", default=os.path.join(ROOT, "pretrained", "en-lstm.gguf"))
    p.add_argument("--lm", default=os.path.join(ROOT, "pretrained", "en-3gram.lmbin"))
    p.add_argument("--dev", default=os.path.join(ROOT, "training", "work", "real", "dev",
                                                 "manifest.tsv"))
    p.add_argument("--beam", type=int, default=16)
    p.add_argument("--alphas", type=floats, default=floats("0.3,0.5,0.7,0.9,1.2"))
    p.add_argument("--betas", type=floats, default=floats("0,1,2,3,4"))
    p.add_argument("--penalties", type=floats, default=[None],
                   help="blank penalties, e.g. 0,1,1.5,2 (default: the model's)")
    p.add_argument("-j", "--jobs", type=int, default=1, help="utterances at a time")
    p.add_argument("--allow-test", action="store_true",
                   help="allow a manifest named like a test set")
    args = p.parse_args()
    if "test" in os.path.basename(args.dev).lower() and not args.allow_test:
        sys.exit(f"tune_lm: {args.dev} looks like a test set; tune on a dev set")
    for path in (args.asr, args.model, args.lm, args.dev):
        if not os.path.exists(path):
            sys.exit(f"tune_lm: {path} does not exist")

    print(f"dev set {args.dev}, model {args.model}, LM {args.lm}, beam {args.beam}")
    greedy = run_eval(args, ["--beam", "1", "--no-lm"])
    plain = run_eval(args, ["--beam", str(args.beam), "--no-lm"])
    print(f"greedy, no LM:       WER {greedy['wer']:6.2f}%")
    print(f"beam {args.beam}, no LM:     WER {plain['wer']:6.2f}%")
    results = []
    t0 = time.time()
    for alpha, beta, pen in itertools.product(args.alphas, args.betas, args.penalties):
        extra = [] if pen is None else ["--blank-penalty", str(pen)]
        r = run_eval(args, ["--beam", str(args.beam), "--lm", args.lm,
                            "--alpha", str(alpha), "--beta", str(beta)] + extra)
        setting = f"--alpha {alpha} --beta {beta}" + ("" if pen is None else
                                                       f" --blank-penalty {pen}")
        results.append((r["wer"], setting, r))
        print(f"{setting}: WER {r['wer']:6.2f}%  "
              f"(sub {r['word_sub']}, del {r['word_del']}, ins {r['word_ins']}; "
              f"{time.time() - t0:.0f} s)", flush=True)
    wer, setting, _ = min(results, key=lambda x: x[0])
    print(f"best: {setting}: WER {wer:.2f}% "
          f"(greedy {greedy['wer']:.2f}%, relative {100 * (1 - wer / greedy['wer']):.1f}% lower)"
          if greedy["wer"] > 0 else f"best: {setting}: WER {wer:.2f}%")


if __name__ == "__main__":
    main()
