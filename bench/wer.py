#!/usr/bin/env python3
"""Word error rate of hypotheses against a manifest, scored exactly as
`asr eval` scores (cli/wer.c): lower case, a-z and apostrophes kept, any
other character a word break; Levenshtein alignment over words.

Usage: wer.py MANIFEST HYPS.tsv   ->  prints "WER ERRORS WORDS"
MANIFEST: ID<TAB>AUDIO<TAB>TRANSCRIPT.  HYPS.tsv: ID<TAB>HYPOTHESIS; an ID
missing from HYPS.tsv is scored as an empty hypothesis."""
import sys


def normalise(text):
    # Byte by byte with ASCII case folding, as C's tolower() in cli/wer.c.
    out = []
    for b in text.encode("utf-8"):
        c = chr(b).lower() if b < 128 else " "
        out.append(c if ("a" <= c <= "z") or c == "'" else " ")
    return "".join(out).split()


def edits(ref, hyp):
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            cur = min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
            prev, row[j] = row[j], cur
    return row[-1]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    hyps = {}
    for line in open(sys.argv[2], encoding="utf-8", errors="replace"):
        key, _, text = line.rstrip("\n").partition("\t")
        hyps[key] = text
    errors = words = 0
    for line in open(sys.argv[1], encoding="utf-8"):
        if not line.strip():
            continue
        key, _, text = line.rstrip("\r\n").split("\t", 2)
        ref = normalise(text)
        errors += edits(ref, normalise(hyps.get(key, "")))
        words += len(ref)
    print("%.4f %d %d" % (100.0 * errors / words if words else 0.0, errors, words))


if __name__ == "__main__":
    main()
