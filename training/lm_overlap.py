"""How much of a test set's text the LM and the training transcripts have seen.

    /usr/bin/python3 training/lm_overlap.py training/work/real/test_speechocean.tsv \
        [--arpa ../shared/lm/en-us-3gram.arpa.gz] [--train training/work/real/train/manifest.tsv]

The LM's training text is not available, only its n-grams, so a prompt counts
as "covered by the LM" when every trigram of "<s> prompt </s>" is one of the
LM's trigrams (necessary for the sentence to have been in its text, so an upper
bound). Also counts prompts that are exactly a training transcript.
"""
import argparse
import gzip
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import text  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def prompts(path):
    with open(path, encoding="utf-8") as f:
        return [text.normalise(line.rstrip("\n").split("\t")[2]) for line in f if line.count("\t") >= 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("test")
    ap.add_argument("--arpa", default=os.path.join(ROOT, "..", "shared", "lm", "en-us-3gram.arpa.gz"))
    ap.add_argument("--train", default=os.path.join(ROOT, "training", "work", "real", "train", "manifest.tsv"))
    args = ap.parse_args()
    test = prompts(args.test)
    wanted = set()
    for p in test:
        w = ["<s>"] + p.split() + ["</s>"]
        wanted.update(" ".join(w[i:i + 3]) for i in range(len(w) - 2))
    seen, section = set(), None
    with gzip.open(args.arpa, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("\\"):
                section = line.strip()
                continue
            if section == "\\3-grams:":
                parts = line.split()
                if len(parts) >= 4:
                    g = " ".join(parts[1:4])
                    if g in wanted:
                        seen.add(g)
    covered = 0
    for p in test:
        w = ["<s>"] + p.split() + ["</s>"]
        covered += all(" ".join(w[i:i + 3]) in seen for i in range(len(w) - 2))
    train = set(prompts(args.train))
    in_train = sum(p in train for p in test)
    distinct = len(set(test))
    print(f"{args.test}: {len(test)} prompts ({distinct} distinct); every trigram in the LM: {covered} "
          f"({100 * covered / len(test):.1f}%); exactly a training transcript: {in_train} "
          f"({100 * in_train / len(test):.1f}%)")


if __name__ == "__main__":
    main()
