#!/usr/bin/python3
"""Train/dev/test manifests over the shared real speech (and the synthetic set).

Writes under <out>/real/ (audio paths relative to each manifest, or absolute
with --absolute; transcripts upper case as in ../shared):
    train/manifest.tsv        real speech for training
    train/manifest_synth.tsv  synth/train minus the synthetic dev part
    train/manifest_all.tsv    both: what a trainer reads
    dev/manifest.tsv          5 speechocean speakers + 2% of synth/train
    test_speechocean.tsv  test_fsdd.tsv  test_extra.tsv  test_synth.tsv
Held-out choices are fixed constants below so every run gives the same split.
"""
import argparse
import os
import re
import subprocess
import sys
import zlib

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SO_TEST_SPEAKERS = 25   # first N speakers (sorted) of speechocean's test split
SO_DEV_SPEAKERS = 5     # the next N: dev
EXTRA_TEST_SPEAKERS = {"cv_4acac04722777824", "cv_6f8426eb924f7172", "cv_c22c452a1374e12e"}
SYNTH_DEV_MODULUS = 50  # crc32(id) % 50 == 0: 2% of synth train, stable as it grows


def read_manifest(path):
    """[(id, absolute audio path, transcript)]"""
    base = os.path.dirname(os.path.abspath(path))
    rows = []
    for line in open(path, encoding="utf-8"):
        uid, audio, text = line.rstrip("\n").split("\t")
        text = " ".join(text.split())
        if not re.fullmatch(r"[A-Z' ]+", text):
            sys.exit(f"{path}: {uid}: transcript outside A-Z, apostrophe, space: {text!r}")
        rows.append((uid, os.path.normpath(os.path.join(base, audio)), text))
    return rows


def read_utt2spk(path):
    return dict(line.rstrip("\n").split("\t") for line in open(path, encoding="utf-8"))


def write_manifest(path, rows, absolute):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    base = os.path.dirname(os.path.abspath(path))
    ids = set()
    with open(path, "w", encoding="utf-8") as f:
        for uid, audio, text in rows:
            if uid in ids:
                sys.exit(f"{path}: duplicate id {uid}")
            ids.add(uid)
            f.write(f"{uid}\t{audio if absolute else os.path.relpath(audio, base)}\t{text}\n")


def hours(rows):
    """Total duration via soxi, many files per call (one process per file is slow)."""
    total = 0.0
    paths = [r[1] for r in rows]
    for i in range(0, len(paths), 500):
        out = subprocess.run(["soxi", "-D"] + paths[i:i + 500], capture_output=True,
                             text=True).stdout
        total += sum(float(x) for x in out.split())
    return total / 3600


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, "training", "work"))
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(REPO), "shared"))
    ap.add_argument("--absolute", action="store_true", help="absolute audio paths")
    ap.add_argument("--no-hours", action="store_true", help="skip the soxi duration summary")
    args = ap.parse_args()
    data = os.path.join(os.path.abspath(args.shared), "data")
    real = os.path.join(args.out, "real")

    # speechocean762: the corpus' test split has 125 speakers; 25 become our test,
    # 5 our dev, and the other 95 join the corpus' train split for training.
    so = os.path.join(data, "speechocean762")
    spk = read_utt2spk(os.path.join(so, "utt2spk.tsv"))
    so_train = read_manifest(os.path.join(so, "manifest_train.tsv"))
    so_testsplit = read_manifest(os.path.join(so, "manifest_test.tsv"))
    speakers = sorted({spk[r[0]] for r in so_testsplit})
    test_spk = set(speakers[:SO_TEST_SPEAKERS])
    dev_spk = set(speakers[SO_TEST_SPEAKERS:SO_TEST_SPEAKERS + SO_DEV_SPEAKERS])
    so_test = [r for r in so_testsplit if spk[r[0]] in test_spk]
    so_dev = [r for r in so_testsplit if spk[r[0]] in dev_spk]
    so_train += [r for r in so_testsplit if spk[r[0]] not in test_spk | dev_spk]

    # FSDD: the split its users use (recording index 0-4 is test); same 6 speakers.
    fsdd = os.path.join(data, "fsdd")
    fsdd_train = read_manifest(os.path.join(fsdd, "manifest_train.tsv"))
    fsdd_test = read_manifest(os.path.join(fsdd, "manifest_test.tsv"))

    ex = os.path.join(data, "extra-real")
    ex_spk = read_utt2spk(os.path.join(ex, "utt2spk.tsv"))
    ex_all = read_manifest(os.path.join(ex, "manifest.tsv"))
    ex_test = [r for r in ex_all if ex_spk[r[0]] in EXTRA_TEST_SPEAKERS]
    ex_train = [r for r in ex_all if ex_spk[r[0]] not in EXTRA_TEST_SPEAKERS]

    synth = os.path.join(args.out, "synth")
    st_train = read_manifest(os.path.join(synth, "train", "manifest.tsv"))
    st_test = read_manifest(os.path.join(synth, "test", "manifest.tsv"))
    is_dev = lambda r: zlib.crc32(r[0].encode()) % SYNTH_DEV_MODULUS == 0
    st_dev = [r for r in st_train if is_dev(r)]
    st_train = [r for r in st_train if not is_dev(r)]

    real_train = so_train + fsdd_train + ex_train
    sets = {
        "train/manifest.tsv": real_train,
        "train/manifest_synth.tsv": st_train,
        "train/manifest_all.tsv": real_train + st_train,
        "dev/manifest.tsv": so_dev + st_dev,
        "test_speechocean.tsv": so_test,
        "test_fsdd.tsv": fsdd_test,
        "test_extra.tsv": ex_test,
        "test_synth.tsv": st_test,
    }
    missing = [r[1] for rows in sets.values() for r in rows if not os.path.exists(r[1])]
    if missing:
        sys.exit(f"{len(missing)} audio files missing, e.g. {missing[0]}")
    for name, rows in sets.items():
        write_manifest(os.path.join(real, name), rows, args.absolute)
        h = "" if args.no_hours else f"{hours(rows):7.2f} h"
        print(f"{name:26s} {len(rows):6d} utts {h}", file=sys.stderr)
    print(f"speechocean test speakers: {' '.join(sorted(test_spk))}", file=sys.stderr)
    print(f"speechocean dev speakers:  {' '.join(sorted(dev_spk))}", file=sys.stderr)


if __name__ == "__main__":
    main()
