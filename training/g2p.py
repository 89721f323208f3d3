"""Grapheme-to-phoneme model: a small bidirectional LSTM with CTC over phones.

    /usr/bin/python3 training/g2p.py --work training/work     # train, report PER

Each letter of a word is one-hot coded and fed REPEAT times (CTC needs at
least as many steps as phones: "x" is K S); the network is the acoustic
model's (AcousticModel: same cells, same C inference code), so the engine
runs it with model/recurrent.c and decodes it greedily. Trained on the main
pronunciation of every a-z/apostrophe word of CMUdict but a held-out 2%
(crc32(word) % 50 == 0), on which the phone error rate is reported against
the nearest of a word's pronunciations. Resumable: work/g2p/g2p.pt after each
epoch; the result is work/g2p/g2p.best.pt (lowest held-out PER).
"""
import argparse
import math
import os
import sys
import time
import zlib

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pronounce  # noqa: E402
from model import AcousticModel  # noqa: E402
from train import edit_distance  # noqa: E402

REPEAT = 2
INPUT_DIM = len(pronounce.LETTERS) + REPEAT  # one-hot letter + one-hot copy index
MAX_LETTERS = 40  # longer spellings are not words the decoder will meet


def log(msg):
    print(time.strftime("%H:%M:%S ") + msg, file=sys.stderr, flush=True)


def encode(word):
    """[len(word) * REPEAT, INPUT_DIM] float32 input; the C engine builds the same."""
    x = np.zeros((len(word) * REPEAT, INPUT_DIM), np.float32)
    for i, ch in enumerate(word):
        for r in range(REPEAT):
            x[i * REPEAT + r, pronounce.LETTERS.index(ch)] = 1
            x[i * REPEAT + r, len(pronounce.LETTERS) + r] = 1
    return x


def held_out(word):
    return zlib.crc32(word.encode()) % 50 == 0


def greedy(logp, length):
    path = logp[:length].argmax(-1).tolist()
    return [c for j, c in enumerate(path) if c and (j == 0 or c != path[j - 1])]


class G2P:
    """A trained model: pronounce(words) -> lists of phone names."""

    def __init__(self, model):
        self.model = model.eval()

    @classmethod
    def load(cls, path):
        """From a checkpoint of this script, or from the G2P inside a
        dictionary file of build_dict.py (pretrained/en-cmudict.dict)."""
        if path.endswith(".dict"):
            return cls(_model_from_dict(path))
        ckpt = torch.load(path, map_location="cpu")
        model = AcousticModel(**ckpt["model_config"])
        model.load_state_dict(ckpt["state_dict"])
        return cls(model)

    @torch.no_grad()
    def pronounce(self, words):
        out = []
        for w in words:
            logp = self.model(torch.from_numpy(encode(w)).unsqueeze(0))[0]
            out.append([pronounce.VOCAB[c] for c in greedy(logp, len(logp))])
        return out


def _model_from_dict(path):
    """The reverse of build_dict.py's G2P tensors."""
    from gguf_reader import read
    from model import rnn_tensor_names
    meta, t = read(path)
    if meta.get("general.architecture") != "asr-dict" or "g2p.out.weight" not in t:
        raise SystemExit(f"{path}: not a dictionary file with a G2P model")
    if meta["g2p.letters"] != pronounce.LETTERS or meta["g2p.repeat"] != REPEAT:
        raise SystemExit(f"{path}: G2P letters or repeat differ from this script's")
    model = AcousticModel(input_dim=INPUT_DIM, hidden_size=meta["g2p.hidden_size"],
                          num_layers=meta["g2p.num_layers"], cell="lstm", bidirectional=True,
                          vocab=pronounce.VOCAB)
    state = {"input_mean": t["g2p.input.mean"], "input_inv_std": t["g2p.input.inv_std"],
             "out.weight": t["g2p.out.weight"], "out.bias": t["g2p.out.bias"]}
    for ours, theirs in rnn_tensor_names(model):
        state["rnn." + theirs] = t["g2p." + ours]
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    return model


def phone_error_rate(g2p, words, lex):
    """Edits against the nearest pronunciation / its length, over words; and
    the share of words with at least one error."""
    errors = total = wrong = 0
    for w, hyp in zip(words, g2p.pronounce(words)):
        best = min(lex[w], key=lambda ref: edit_distance(hyp, list(ref)))
        e = edit_distance(hyp, list(best))
        errors += e
        total += len(best)
        wrong += e > 0
    return errors / total, wrong / len(words)


def batches(items, max_steps, rng):
    order = sorted(range(len(items)), key=lambda i: len(items[i][0]))
    out, cur = [], []
    for i in order:
        if cur and (len(cur) + 1) * len(items[i][0]) * REPEAT > max_steps:
            out.append(cur)
            cur = []
        cur.append(i)
    if cur:
        out.append(cur)
    rng.shuffle(out)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "work"))
    ap.add_argument("--dict", default=pronounce.CMUDICT)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--batch-steps", type=int, default=4000)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    out_dir = os.path.join(args.work, "g2p")
    os.makedirs(out_dir, exist_ok=True)
    ckpt_path, best_path = os.path.join(out_dir, "g2p.pt"), os.path.join(out_dir, "g2p.best.pt")

    lex = pronounce.read_dict(args.dict)
    words = sorted(w for w in lex if pronounce.WORD_RE.match(w) and len(w) <= MAX_LETTERS)
    train = [(w, lex[w][0]) for w in words if not held_out(w) and len(lex[w][0]) <= REPEAT * len(w)]
    test = [w for w in words if held_out(w)]
    log(f"{len(train)} training words, {len(test)} held out")

    model = AcousticModel(input_dim=INPUT_DIM, hidden_size=args.hidden, num_layers=args.layers,
                          cell="lstm", bidirectional=True, vocab=pronounce.VOCAB, dropout=0.1)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    state = {"epoch": 0, "best_per": math.inf, "history": []}
    if os.path.exists(ckpt_path):
        saved = torch.load(ckpt_path)
        model.load_state_dict(saved["state_dict"])
        opt.load_state_dict(saved["opt"])
        state = saved["state"]
        log(f"resuming at epoch {state['epoch']}")

    def save(path):
        torch.save({"model_config": model.config(), "state_dict": model.state_dict(),
                    "opt": opt.state_dict(), "state": state, "repeat": REPEAT}, path + ".tmp")
        os.replace(path + ".tmp", path)

    total_steps = args.epochs * len(batches(train, args.batch_steps, np.random.default_rng(0)))
    step = state["epoch"] * (total_steps // args.epochs)
    while state["epoch"] < args.epochs:
        rng = np.random.default_rng(100 + state["epoch"])
        model.train()
        start, losses = time.time(), []
        for ids in batches(train, args.batch_steps, rng):
            for g in opt.param_groups:
                g["lr"] = args.lr * min(1.0, (step + 1) / 200) * 0.5 * (1 + math.cos(math.pi * step / total_steps))
            xs = [encode(train[i][0]) for i in ids]
            lengths = torch.tensor([len(x) for x in xs])
            x = torch.zeros(len(xs), int(lengths.max()), INPUT_DIM)
            for k, v in enumerate(xs):
                x[k, : len(v)] = torch.from_numpy(v)
            targets = torch.tensor([pronounce.PHONE_ID[p] for i in ids for p in train[i][1]])
            target_lengths = torch.tensor([len(train[i][1]) for i in ids])
            logp = model(x, lengths)
            loss = ctc(logp.transpose(0, 1), targets, lengths, target_lengths)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            step += 1
            losses.append(loss.item())
        state["epoch"] += 1
        per, wer = phone_error_rate(G2P(model), test, lex)
        state["history"].append({"epoch": state["epoch"], "loss": float(np.mean(losses)), "per": per,
                                 "word_error": wer, "seconds": time.time() - start})
        log(f"epoch {state['epoch']}: loss {np.mean(losses):.3f}, held-out PER {100 * per:.2f}%, "
            f"words wrong {100 * wer:.1f}%, {time.time() - start:.0f} s")
        if per < state["best_per"]:
            state["best_per"] = per
            save(best_path)
        save(ckpt_path)
    log(f"best held-out PER {100 * state['best_per']:.2f}% ({len(test)} words)")


if __name__ == "__main__":
    main()
