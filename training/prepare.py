"""Turns manifests of audio into feature arrays for training, with the C front end.

    /usr/bin/python3 training/prepare.py --work training/work

Reads work/real/{train,dev}/manifest.tsv and work/real/train/manifest_synth.tsv
(made by training/data/), writes work/features/<set>.npy (float16 steps,
concatenated) and <set>.npz (lengths, character labels, ids) plus the CMVN
prior (cmvn_mean.npy) and the feature settings (feature_config.json). Real
speech is used twice, clean and augmented; synthetic speech once, augmented at
random. Then <set>.phones.npz: the same utterances' phone labels (CMUdict's
main pronunciation, the G2P model of work/g2p/, else the one inside
pretrained/en-cmudict.dict, for words it lacks). Skips sets already written.
"""
import argparse
import json
import multiprocessing as mp
import os
import sys
import time
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import asr_lib  # noqa: E402
import pronounce  # noqa: E402
import text  # noqa: E402
from data import augment  # noqa: E402

CMVN_PRIOR_FRAMES = 200.0  # ~2 s: short clips lean on the training mean


def read_manifest(path):
    base = os.path.dirname(os.path.abspath(path))
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3 and text.normalise(parts[2]):
                audio = parts[1] if os.path.isabs(parts[1]) else os.path.join(base, parts[1])
                rows.append((parts[0], audio, parts[2]))
    return rows


def feature_config():
    cfg = asr_lib.default_config()
    cfg.cmvn_prior_frames = CMVN_PRIOR_FRAMES
    return cfg


def load_16k(path):
    wave, rate = asr_lib.read_audio(path)
    return asr_lib.resample(wave, rate, 16000)


_cmvn_mean = None


def _init(cmvn_mean):
    global _cmvn_mean
    _cmvn_mean = cmvn_mean
    augment.tune_malloc()


def _featurise(job):
    """(id, path, transcript, augment?, seed) -> (id, float16 features, labels)."""
    utt, path, transcript, do_augment, seed = job
    try:
        wave = load_16k(path)
        if do_augment:
            wave = augment.augment(wave, np.random.default_rng(seed)).astype(np.float32)
        feats = asr_lib.features(wave, feature_config(), _cmvn_mean)
    except Exception as e:  # a bad file should not stop hours of preparation
        print(f"skipping {path}: {e}", file=sys.stderr)
        return utt, None, None
    return utt, feats.astype(np.float16), np.array(text.encode(transcript), np.int16)


def raw_mfcc_mean(rows, n=400, seed=0):
    """Mean of plain MFCCs over a sample of the training audio: the CMVN prior."""
    cfg = asr_lib.default_config()
    cfg.delta_order, cfg.stack = 0, 1
    pick = np.random.default_rng(seed).choice(len(rows), size=min(n, len(rows)), replace=False)
    sums, count = 0.0, 0
    for i in pick:
        f = asr_lib.features(load_16k(rows[i][1]), cfg)
        sums = sums + f.sum(0, dtype=np.float64)
        count += len(f)
    return (sums / count).astype(np.float32)


def write_set(name, jobs, out_dir, cmvn_mean, processes):
    if os.path.exists(os.path.join(out_dir, name + ".npz")):
        print(f"{name}: already prepared", file=sys.stderr)
        return
    start = time.time()
    feats, labels, ids = [], [], []
    with mp.Pool(processes, initializer=_init, initargs=(cmvn_mean,)) as pool:
        for k, (utt, f, lab) in enumerate(pool.imap(_featurise, jobs, chunksize=8)):
            if f is not None and len(f) >= len(lab) > 0:  # CTC needs a step per label
                feats.append(f)
                labels.append(lab)
                ids.append(utt)
            if k % 500 == 0:
                print(f"\r{name}: {k}/{len(jobs)} utterances, {time.time() - start:.0f} s",
                      end="", file=sys.stderr)
    lengths = np.array([len(f) for f in feats], np.int64)
    np.save(os.path.join(out_dir, name + ".npy"), np.concatenate(feats))
    np.savez(os.path.join(out_dir, name + ".npz"), lengths=lengths,
             label_lengths=np.array([len(x) for x in labels], np.int64),
             labels=np.concatenate(labels), ids=np.array(ids))
    hours = lengths.sum() * feature_config().frame_shift_ms * feature_config().stack / 3.6e6
    print(f"\r{name}: {len(feats)} utterances, {hours:.2f} h, {time.time() - start:.0f} s",
          file=sys.stderr)


def write_phone_labels(name, rows, out_dir, pronouncer):
    """<set>.phones.npz: labels and label_lengths in the order of <set>.npz."""
    path = os.path.join(out_dir, name + ".phones.npz")
    if os.path.exists(path):
        print(f"{name}: phone labels already written", file=sys.stderr)
        return
    transcripts = {u: text.normalise(t) for u, _, t in rows}
    ids = np.load(os.path.join(out_dir, name + ".npz"))["ids"]
    labels = [np.array(pronouncer.sentence(transcripts[u]), np.int16) for u in ids]
    np.savez(path + ".tmp.npz", labels=np.concatenate(labels),
             label_lengths=np.array([len(x) for x in labels], np.int64))
    os.replace(path + ".tmp.npz", path)
    print(f"{name}: phone labels for {len(ids)} utterances, {len(pronouncer.guessed)} words "
          "so far from the G2P model", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=os.path.join(os.path.dirname(__file__), "work"))
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--real-copies", type=int, default=2, help="clean + augmented copies of real speech")
    ap.add_argument("--variants", type=int, default=1,
                    help="training sets with independent augmentation draws (train, train.v1, ...): "
                    "train.py --variants N trains epoch e on variant e mod N, so epochs hear new variants")
    ap.add_argument("--g2p", help="G2P for words CMUdict lacks: a checkpoint of training/g2p.py "
                    "or a dictionary file holding one (default: work/g2p/g2p.best.pt if "
                    "trained, else pretrained/en-cmudict.dict)")
    args = ap.parse_args()
    out_dir = os.path.join(args.work, "features")
    os.makedirs(out_dir, exist_ok=True)

    real = read_manifest(os.path.join(args.work, "real/train/manifest.tsv"))
    synth = read_manifest(os.path.join(args.work, "real/train/manifest_synth.tsv"))  # minus dev
    dev = read_manifest(os.path.join(args.work, "real/dev/manifest.tsv"))

    mean_path = os.path.join(out_dir, "cmvn_mean.npy")
    if not os.path.exists(mean_path):
        np.save(mean_path, raw_mfcc_mean(real + synth))
    cmvn_mean = np.load(mean_path)
    with open(os.path.join(out_dir, "feature_config.json"), "w") as f:
        json.dump(feature_config().as_dict(), f, indent=1)

    def seed(*key):  # stable across runs, unlike hash()
        return zlib.crc32(repr(key).encode())

    sets = ["train"] + [f"train.v{k}" for k in range(1, args.variants)]
    for k, name in enumerate(sets):
        # Variant k: the same utterances, other augmentation draws (k = 0 keeps
        # the seeds of the first data sets, so they stay reproducible).
        salt = () if k == 0 else (k,)
        jobs = [(u, p, t, copy > 0, seed(u, copy, *salt)) for copy in range(args.real_copies)
                for u, p, t in real]
        jobs += [(u, p, t, True, seed(u, "synth", *salt)) for u, p, t in synth]
        jobs.sort(key=lambda j: j[4])  # mix sources so the pool's chunks cost alike
        write_set(name, jobs, out_dir, cmvn_mean, args.processes)
    write_set("dev", [(u, p, t, False, 0) for u, p, t in dev], out_dir, cmvn_mean, args.processes)

    from g2p import G2P
    g2p_path = args.g2p or os.path.join(args.work, "g2p", "g2p.best.pt")
    if not args.g2p and not os.path.exists(g2p_path):
        g2p_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pretrained",
                                "en-cmudict.dict")
    if not os.path.exists(g2p_path):
        raise SystemExit(f"{g2p_path} is missing: run training/g2p.py first")
    pronouncer = pronounce.Pronouncer(pronounce.read_dict(), G2P.load(g2p_path))
    for name in sets:
        write_phone_labels(name, real + synth, out_dir, pronouncer)
    write_phone_labels("dev", dev, out_dir, pronouncer)
    with open(os.path.join(out_dir, "g2p_words.tsv"), "w") as f:
        for w, phones in sorted(pronouncer.guessed.items()):
            f.write(w + "\t" + " ".join(phones) + "\n")


if __name__ == "__main__":
    main()
