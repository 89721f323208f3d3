"""WER and CER of every shipped model on every held-out test set, as the
Markdown table of pretrained/MODEL_CARD.md. Runs `build/asr eval --json`.

    /usr/bin/python3 training/evaluate.py [--work training/work] [--models en-lstm X.gguf ...]
        [--pocketsphinx]

Phone models find the shipped pronunciation dictionary as the CLI does; for
them "greedy, no LM" is the beam-1 search through the whole dictionary.
--pocketsphinx adds PocketSphinx (batch mode, Debian's en-us model) on the
same files (bench/pocketsphinx_eval.py).
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST_SETS = [
    ("test_speechocean.tsv", "speechocean762, 25 held-out speakers"),
    ("test_fsdd.tsv", "FSDD test split (digits)"),
    ("test_extra.tsv", "Common Voice, 3 held-out speakers"),
    ("test_synth.tsv", "4 held-out synthetic voices"),
]
# (label, options, test sets it applies to; None = all). The LM is the CLI's default
# pretrained/en-3gram.lmbin, with the CLI's default beam (128; 256 for bidirectional models);
# the digit word list is the grammar a digit-entry app would use.
DECODERS = [
    ("greedy, no LM", ["--no-lm", "--beam", "1"], None),
    ("default beam + LM", [], None),
    ("default beam + digits", ["--words", os.path.join(ROOT, "pretrained", "digits.txt")],
     {"test_fsdd.tsv"}),
]


def evaluate(model, manifest, extra, jobs):
    cmd = [os.path.join(ROOT, "build", "asr"), "eval", "--json", "-j", str(jobs),
           "--model", model, manifest] + extra
    out = subprocess.run(cmd, capture_output=True, text=True)
    if not out.stdout.strip():
        sys.exit(f"{' '.join(cmd)} failed: {out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1]), " ".join(cmd).replace(ROOT + "/", "")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=os.path.join(ROOT, "training", "work"))
    ap.add_argument("--models", nargs="+", default=["en-lstm", "en-bilstm", "en-gru", "en-rnn"],
                    help="names in pretrained/ or paths of .gguf files")
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--pocketsphinx", action="store_true")
    args = ap.parse_args()
    print("| model | decoder | test set | utterances | WER % | CER % | word accuracy % |")
    print("|---|---|---|---:|---:|---:|---:|")
    commands = []
    if args.pocketsphinx:
        for file, desc in TEST_SETS:
            cmd = ["/usr/bin/python3", os.path.join(ROOT, "bench", "pocketsphinx_eval.py"),
                   os.path.join(args.work, "real", file)]
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode:
                sys.exit(f"{' '.join(cmd)} failed: {out.stderr.strip()}")
            r = json.loads(out.stdout.strip().splitlines()[-1])
            commands.append(" ".join(cmd).replace(ROOT + "/", ""))
            print(f"| PocketSphinx | batch, en-us | {desc} | {r['utterances']} | {r['wer']:.2f} | "
                  f"{r['cer']:.2f} | {100 - r['wer']:.2f} |", flush=True)
    for name in args.models:
        model = name if name.endswith(".gguf") else os.path.join(ROOT, "pretrained", name + ".gguf")
        name = os.path.basename(model)[:-len(".gguf")]
        for label, extra, only in DECODERS:
            for file, desc in TEST_SETS:
                if only and file not in only:
                    continue
                r, cmd = evaluate(model, os.path.join(args.work, "real", file), extra, args.j)
                commands.append(cmd)
                print(f"| {name} | {label} | {desc} | {r['utterances']} | {r['wer']:.2f} | {r['cer']:.2f} "
                      f"| {100 - r['wer']:.2f} |", flush=True)
    print("\nCommands (from the repository root, after `bash training/run.sh` made the test manifests):\n")
    for c in commands:
        print(f"    {c}")


if __name__ == "__main__":
    main()
