#!/usr/bin/python3
"""PocketSphinx's WER and CER on a manifest, in batch mode (pocketsphinx_batch
with Debian's pocketsphinx-en-us model, trigram LM and dictionary: its
defaults), scored as `asr eval` scores.

    /usr/bin/python3 bench/pocketsphinx_eval.py MANIFEST [--cache DIR]
    -> one JSON line: {"utterances":..,"wer":..,"cer":..,"seconds":..}

Audio is converted once to 16 kHz 16-bit mono WAV with sox (cached in
--cache, default /tmp/asr_ps_wav), since pocketsphinx_batch reads only that.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wer import edits, normalise  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "training"))
from prepare import read_manifest  # noqa: E402

MODEL = "/usr/share/pocketsphinx/model/en-us"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("manifest")
    ap.add_argument("--cache", default="/tmp/asr_ps_wav")
    args = ap.parse_args()
    rows = read_manifest(args.manifest)
    os.makedirs(args.cache, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        ctl, names = os.path.join(tmp, "ctl"), {}
        with open(ctl, "w") as f:
            for utt, audio, _ in rows:
                name = "%08x" % zlib.crc32(os.path.abspath(audio).encode())
                wav = os.path.join(args.cache, name + ".wav")
                if not os.path.exists(wav):
                    subprocess.run(["sox", audio, "-r", "16000", "-c", "1", "-b", "16", "-e", "signed",
                                    wav + ".tmp.wav"], check=True)
                    os.replace(wav + ".tmp.wav", wav)
                names[name] = utt
                f.write(name + "\n")
        hyp = os.path.join(tmp, "hyp")
        start = time.time()
        subprocess.run(["pocketsphinx_batch", "-adcin", "yes", "-adchdr", "44", "-cepdir", args.cache,
                        "-cepext", ".wav", "-ctl", ctl, "-hmm", os.path.join(MODEL, "en-us"),
                        "-lm", os.path.join(MODEL, "en-us.lm.bin"),
                        "-dict", os.path.join(MODEL, "cmudict-en-us.dict"), "-hyp", hyp,
                        "-logfn", "/dev/null"], check=True)
        seconds = time.time() - start
        got = {}
        with open(hyp, encoding="utf-8", errors="replace") as f:
            for line in f:
                # "words words (utt score)"
                text, _, tail = line.rstrip("\n").rpartition(" (")
                got[names.get(tail.split()[0])] = text  # the hypothesis names the file
    w_err = w_tot = c_err = c_tot = 0
    for utt, _, ref in rows:
        r, h = normalise(ref), normalise(got.get(utt, ""))
        w_err += edits(r, h)
        w_tot += len(r)
        rc, hc = list(" ".join(r)), list(" ".join(h))
        c_err += edits(rc, hc)
        c_tot += len(rc)
    print(json.dumps({"utterances": len(rows), "wer": 100 * w_err / max(w_tot, 1),
                      "cer": 100 * c_err / max(c_tot, 1), "seconds": round(seconds, 1)}))


if __name__ == "__main__":
    main()
