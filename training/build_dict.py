"""Writes the pronunciation dictionary file the engine memory-maps
(docs/DICTIONARY.md): CMUdict with every variant plus the G2P model.

    /usr/bin/python3 training/build_dict.py --g2p training/work/g2p/g2p.best.pt \\
        pretrained/en-cmudict.dict

Words are lower-cased as the models write them; variants keep CMUdict's
order (the first is the main one). The CMUdict licence notice travels in the
file (general.license) as its BSD-style licence asks.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import g2p  # noqa: E402
import pronounce  # noqa: E402
from gguf_writer import GGUFWriter  # noqa: E402
from model import rnn_tensor_names  # noqa: E402

FORMAT_VERSION = 1
NOTICE = ("CMUdict (cmudict-en-us.dict of Debian's pocketsphinx-en-us): Copyright 1995-2014 "
          "Carnegie Mellon University, 2014-2015 Alpha Cephei Inc. All rights reserved. "
          "BSD-2 licence: redistributions must retain this notice and the disclaimer in "
          "/usr/share/doc/pocketsphinx-en-us/copyright (THIS SOFTWARE IS PROVIDED AS IS, "
          "WITHOUT ANY EXPRESS OR IMPLIED WARRANTIES). The G2P network in this file is trained "
          "on that dictionary by the asr project's training/g2p.py.")


def build(lex, g2p_ckpt, path):
    words = sorted(lex, key=lambda w: w.encode("utf-8"))
    text, word_start, word_pron, pron_start, phones = bytearray(), [0], [0], [0], []
    for w in words:
        text += w.encode("utf-8") + b"\0"
        word_start.append(len(text))
        for p in lex[w]:
            phones += [pronounce.PHONE_ID[x] for x in p]
            pron_start.append(len(phones))
        word_pron.append(len(pron_start) - 1)

    ckpt = torch.load(g2p_ckpt, map_location="cpu")
    model = g2p.AcousticModel(**ckpt["model_config"])
    model.load_state_dict(ckpt["state_dict"])
    if model.vocab != pronounce.VOCAB or not model.bidirectional or model.cell != "lstm":
        raise SystemExit(f"{g2p_ckpt}: not a G2P model of training/g2p.py")

    w = GGUFWriter(alignment=32)
    w.add_string("general.architecture", "asr-dict")
    w.add_string("general.name", "en-cmudict")
    w.add_string("general.license", NOTICE)
    w.add_u32("asr.format_version", FORMAT_VERSION)
    w.add_string_array("asr.phones", pronounce.PHONES)
    w.add_string("g2p.letters", pronounce.LETTERS)
    w.add_u32("g2p.repeat", ckpt.get("repeat", g2p.REPEAT))
    w.add_u32("g2p.num_layers", model.num_layers)
    w.add_u32("g2p.hidden_size", model.hidden_size)
    w.add_tensor("dict.text", np.frombuffer(bytes(text), np.int8), "|i1")
    w.add_tensor("dict.word_start", np.array(word_start), "<i4")
    w.add_tensor("dict.word_pron", np.array(word_pron), "<i4")
    w.add_tensor("dict.pron_start", np.array(pron_start), "<i4")
    w.add_tensor("dict.pron_phones", np.array(phones), "|i1")
    w.add_tensor("g2p.input.mean", model.input_mean.numpy())
    w.add_tensor("g2p.input.inv_std", model.input_inv_std.numpy())
    params = dict(model.rnn.named_parameters())
    for ours, theirs in rnn_tensor_names(model):
        w.add_tensor("g2p." + ours, params[theirs].detach().numpy())
    w.add_tensor("g2p.out.weight", model.out.weight.detach().numpy())
    w.add_tensor("g2p.out.bias", model.out.bias.detach().numpy())
    w.write(path)
    return len(words), len(pron_start) - 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--dict", default=pronounce.CMUDICT)
    ap.add_argument("--g2p", required=True, help="checkpoint of training/g2p.py")
    args = ap.parse_args()
    n_words, n_prons = build(pronounce.read_dict(args.dict), args.g2p, args.out)
    print(f"{args.out}: {n_words} words, {n_prons} pronunciations, "
          f"{os.path.getsize(args.out) / 1e6:.1f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
