"""Trains one CTC acoustic model on the features made by prepare.py.

    /usr/bin/python3 training/train.py --name en-lstm --cell lstm --hidden 320 --epochs 12
    /usr/bin/python3 training/train.py --name en-lstm --procs 2 ...   # both cores (DDP)

Resumable: the checkpoint work/ckpt/NAME.pt is written after every epoch (and
every --save-minutes), and a new run with the same name goes on from it. The
best model on the dev set by greedy CER (PER for phone models) is kept as
work/ckpt/NAME.best.pt.

Data parallel: --procs N starts N processes (torch.multiprocessing.spawn,
gloo backend; Debian's torchrun fails under Python 3.11) that each take every
N-th batch and average their gradients, so one update sees N batches (the
schedule counts updates). Several machines: the same command on each, with
--nodes M --node-rank R and MASTER_ADDR/MASTER_PORT naming node 0 (defaults
127.0.0.1:29533), and the features at the same --work path on every machine;
rank 0 writes the checkpoints.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.distributed as dist

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pronounce  # noqa: E402
import text  # noqa: E402
from export import export  # noqa: E402
from model import AcousticModel, load_gguf, save_checkpoint  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(msg):
    print(time.strftime("%H:%M:%S ") + msg, file=sys.stderr, flush=True)


class FeatureSet:
    """Utterances of one prepared set, memory-mapped."""

    def __init__(self, features_dir, name, unit="characters"):
        self.x = np.load(os.path.join(features_dir, name + ".npy"), mmap_mode="r")
        idx = np.load(os.path.join(features_dir, name + ".npz"))
        self.lengths = idx["lengths"]
        self.ids = idx["ids"]
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)])
        if unit == "phones":  # same utterances, same order (prepare.py)
            idx = np.load(os.path.join(features_dir, name + ".phones.npz"))
        self.label_lengths = idx["label_lengths"]
        self.label_offsets = np.concatenate([[0], np.cumsum(self.label_lengths)])
        self.labels = idx["labels"]
        self.use = np.arange(len(self.lengths))  # the utterances batches() draws from

    def keep_only(self, mask):
        self.use = np.flatnonzero(mask)

    def __len__(self):
        return len(self.use)

    def batches(self, max_steps, rng=None):
        """Lists of utterance indices of similar length, each under max_steps padded steps."""
        order = self.use[np.argsort(self.lengths[self.use], kind="stable")]
        batches, cur = [], []
        for i in order:
            if cur and (len(cur) + 1) * self.lengths[i] > max_steps:
                batches.append(cur)
                cur = []
            cur.append(i)
        if cur:
            batches.append(cur)
        if rng is not None:
            rng.shuffle(batches)
        return batches

    def collate(self, ids):
        lengths = torch.tensor(self.lengths[ids])
        x = torch.zeros(len(ids), int(lengths.max()), self.x.shape[1])
        for k, i in enumerate(ids):
            x[k, : self.lengths[i]] = torch.from_numpy(
                self.x[self.offsets[i]: self.offsets[i + 1]].astype(np.float32))
        targets = torch.cat([torch.from_numpy(
            self.labels[self.label_offsets[i]: self.label_offsets[i + 1]].astype(np.int64)) for i in ids])
        return x, lengths, targets, torch.tensor(self.label_lengths[ids])

    def input_stats(self, max_steps=300_000):
        x = np.asarray(self.x[:max_steps], dtype=np.float64)
        return x.mean(0), x.std(0) + 1e-5


def time_mask(x, lengths, rng, masks=2, width=6):
    """SpecAugment-style time masks: cheap robustness to dropouts in the audio."""
    for k in range(x.shape[0]):
        for _ in range(masks):
            w = int(rng.integers(0, width + 1))
            if w and lengths[k] > 4 * w:
                t = int(rng.integers(0, int(lengths[k]) - w))
                x[k, t: t + w] = 0.0  # 0 = the training mean after normalisation
    return x


def freq_mask_matrices(num_ceps, num_bins, lifter):
    """(A, B) with cepstra = A @ log-mel and log-mel ~= B @ cepstra, Kaldi's
    DCT-II with the lifter (features/mfcc.c): frequency masks act on log-mel
    bands, where frequency means something, and go back to cepstra."""
    i = np.arange(num_ceps)[:, None]
    j = np.arange(num_bins)[None, :]
    dct = np.sqrt(np.where(i == 0, 1.0, 2.0) / num_bins) * np.cos(np.pi / num_bins * (j + 0.5) * i)
    lift = 1.0 + 0.5 * lifter * np.sin(np.pi * np.arange(num_ceps) / lifter) if lifter else np.ones(num_ceps)
    a = lift[:, None] * dct
    return torch.tensor(a, dtype=torch.float32), torch.tensor(np.linalg.pinv(a), dtype=torch.float32)


def freq_mask(x, mean, rng, to_ceps, to_mel, masks=2, width=6):
    """SpecAugment frequency masks: per utterance, `masks` bands of up to
    `width` mel bins set to the mean in the log-mel domain. x is [B, T, blocks
    x num_ceps] (each block cepstra, deltas or another stacked frame: all
    linear in the cepstra, so one projection serves them all)."""
    num_ceps, num_bins = to_ceps.shape
    B = x.shape[0]
    proj = torch.empty(B, num_ceps, num_ceps)
    for k in range(B):
        keep = torch.ones(num_bins)
        for _ in range(masks):
            w = int(rng.integers(0, width + 1))
            f0 = int(rng.integers(0, num_bins - w + 1))
            keep[f0: f0 + w] = 0
        proj[k] = to_ceps @ (keep[:, None] * to_mel)
    blocks = (x - mean).view(B, x.shape[1], -1, num_ceps)
    return mean + torch.einsum("bij,btkj->btki", proj, blocks).reshape(x.shape)


def greedy_cer(model, data, max_steps):
    """Symbol (character or phone) error rate of greedy decoding on a set (0..1)."""
    model.eval()
    errors = total = 0
    with torch.no_grad():
        for ids in data.batches(max_steps):
            x, lengths, targets, target_lengths = data.collate(ids)
            best = model(x, lengths).argmax(-1)
            at = 0
            for k in range(len(ids)):
                path = best[k, : lengths[k]].tolist()
                hyp = [c for j, c in enumerate(path) if c != 0 and (j == 0 or c != path[j - 1])]
                ref = targets[at: at + target_lengths[k]].tolist()
                at += int(target_lengths[k])
                errors += edit_distance(hyp, ref)
                total += len(ref)
    model.train()
    return errors / max(total, 1)


def dev_wer(model, feature_config, cmvn_mean, asr, work, lm_alpha, blank_penalty=None):
    """Dev WER (%) of the model as users get it, on the dev set's real speech
    and on its synthetic voices apart ({"real": ..., "synthetic": ...}): the
    model exported to a temporary file and decoded by `asr eval` with the
    CLI's default search and LM. Greedy PER says how well the phones are
    heard; this says what the words come to. None where the engine is not
    built or the measurement fails."""
    manifest = os.path.join(work, "real", "dev", "manifest.tsv")
    if not (asr and os.path.exists(asr) and os.path.exists(manifest)):
        return None
    from prepare import read_manifest  # loads the engine's library: only where it is built
    synth_dir = os.path.abspath(os.path.join(work, "synth")) + os.sep
    parts = {"real": [], "synthetic": []}
    for uid, audio, transcript in read_manifest(manifest):
        audio = os.path.normpath(audio)
        parts["synthetic" if audio.startswith(synth_dir) else "real"].append(f"{uid}\t{audio}\t{transcript}\n")
    names = [k for k in parts if parts[k]]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "epoch.gguf")
        export(model, feature_config, cmvn_mean, path, "dev-wer", lm_alpha=lm_alpha,
               blank_penalty=blank_penalty)
        for k in names:
            with open(os.path.join(tmp, k + ".tsv"), "w", encoding="utf-8") as f:
                f.writelines(parts[k])
        cmd = [asr, "eval", "--json", "--model", path, "-j", "1"] + [os.path.join(tmp, k + ".tsv") for k in names]
        run = subprocess.run(cmd, capture_output=True, text=True)
    try:  # a failed measurement must not cost the epoch its checkpoint
        results = [json.loads(line) for line in run.stdout.strip().splitlines()[-len(names):]]
        if run.returncode == 0 and len(results) == len(names):
            return {k: float(r["wer"]) for k, r in zip(names, results)}
    except (ValueError, KeyError, TypeError):
        pass
    log(f"dev WER not measured: asr eval exited with {run.returncode}: {run.stderr.strip()[-300:]}")
    return None


def edit_distance(a, b):
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def initial_weights(path, feats, model):
    """The state_dict of a train.py checkpoint or of a model file, for
    `model`; a model file's CMVN mean must be the one these features were
    made with. A unidirectional model's weights start a bidirectional one
    of the same shape (widen_to_bidirectional), and a narrower model's a
    wider one (widen_hidden)."""
    if not path.endswith(".gguf"):
        state = torch.load(path)["state_dict"]
    else:
        src, _, cmvn = load_gguf(path)
        ours = np.load(os.path.join(feats, "cmvn_mean.npy"))
        # sox dithers at random, so a rebuilt data set differs slightly (~0.01)
        if not np.allclose(cmvn, ours, rtol=0, atol=0.1):
            raise SystemExit(f"{path}: its CMVN mean differs from {feats}/cmvn_mean.npy "
                             "(max diff %.2g): other features" % np.abs(cmvn - ours).max())
        state = src.state_dict()
    if model.bidirectional and "rnn.weight_ih_l0_reverse" not in state:
        state = widen_to_bidirectional(state, model.num_layers)
    if state["rnn.weight_hh_l0"].shape[1] < model.hidden_size:
        state = widen_hidden(state, model)
    return state


def widen_to_bidirectional(uni, num_layers):
    """A bidirectional model's state_dict that computes exactly what the
    unidirectional `uni` computes: the forward half is `uni`; the backward
    half is `uni` run on reversed time, reading only the backward half below
    it; the output layer starts with zero weights on the backward half, so
    training starts from the unidirectional model and learns what the
    future adds."""
    out = {k: v.clone() for k, v in uni.items() if not k.startswith("rnn.") and k != "out.weight"}
    for layer in range(num_layers):
        for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            fw = uni[f"rnn.{w}_l{layer}"]
            if w == "weight_ih" and layer > 0:  # inputs: [forward below, backward below]
                zero = torch.zeros_like(fw)
                out[f"rnn.{w}_l{layer}"] = torch.cat([fw, zero], dim=1)
                out[f"rnn.{w}_l{layer}_reverse"] = torch.cat([zero, fw], dim=1)
            else:
                out[f"rnn.{w}_l{layer}"] = fw.clone()
                out[f"rnn.{w}_l{layer}_reverse"] = fw.clone()
    w = uni["out.weight"]
    out["out.weight"] = torch.cat([w, torch.zeros_like(w)], dim=1)
    return out


def widen_hidden(small, model):
    """`model`'s state_dict, computing exactly what the narrower `small`
    (same cell, layers and directions) computes: the old units keep their
    weights and read nothing from the new ones; the new units read everything
    through `model`'s fresh random weights, and the layers above and the
    output layer read them through zero weights, so training starts from
    `small` with idle capacity that the gradient puts to use."""
    big = model.state_dict()
    h, H = small["rnn.weight_hh_l0"].shape[1], model.hidden_size
    gates = big["rnn.weight_hh_l0"].shape[0] // H
    dirs = 2 if model.bidirectional else 1
    # Where the old units sit among the new ones, per gate (rows) and in a
    # layer's output of all directions (what the layer above and `out` read).
    rows = torch.cat([torch.arange(h) + g * H for g in range(gates)])
    cols = torch.cat([torch.arange(h) + d * H for d in range(dirs)])
    out = {k: v.clone() for k, v in big.items()}
    for k, v in small.items():
        if k.startswith("rnn.") or k.startswith("out."):
            continue
        out[k] = v.clone()
    for layer in range(model.num_layers):
        for suffix in ["", "_reverse"][:dirs]:
            for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                name = f"rnn.{w}_l{layer}{suffix}"
                new, old = out[name], small[name]
                if w.startswith("bias"):
                    new[rows] = old
                    continue
                src = (cols if layer > 0 else torch.arange(old.shape[1])) if w == "weight_ih" else torch.arange(h)
                new[rows] = 0.0
                new[rows[:, None], src[None, :]] = old
    out["out.weight"].zero_()
    out["out.weight"][:, cols] = small["out.weight"]
    out["out.bias"] = small["out.bias"].clone()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    ap.add_argument("--unit", choices=["characters", "phones"], default="characters",
                    help="output symbols: letters (text.VOCAB) or CMUdict phones (pronounce.VOCAB)")
    ap.add_argument("--bidirectional", action="store_true")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=320)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--batch-steps", type=int, default=12000, help="padded steps per batch")
    ap.add_argument("--minutes", type=float, default=0, help="stop after this wall time (0 = no limit)")
    ap.add_argument("--save-minutes", type=float, default=10)
    ap.add_argument("--keep-epochs", action="store_true",
                    help="also keep each epoch's weights as work/ckpt/NAME.eN.pt (no optimiser state), "
                    "to choose an epoch by dev WER or to average several (average.py)")
    ap.add_argument("--work", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "work"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--init", help="start from the weights of this checkpoint or .gguf model file "
                    "(same architecture, or the unidirectional one of a --bidirectional model, or one "
                    "with fewer --hidden units: each is widened to compute the same), with a new optimiser and schedule: a second training stage")
    ap.add_argument("--freq-masks", type=int, default=0,
                    help="SpecAugment frequency masks per utterance, in the log-mel domain (0 = none)")
    ap.add_argument("--variants", type=int, default=1,
                    help="augmentation variants made by prepare.py --variants: epoch e trains on variant e mod N")
    ap.add_argument("--first-variant", type=int, default=0,
                    help="the variant of epoch 0 (then e + this, mod N): a later stage starts on "
                    "draws the stages before it never heard")
    ap.add_argument("--no-synthetic", action="store_true",
                    help="train on the real recordings only, without the TTS voices "
                    "(work/real/train/manifest_synth.tsv): the with/without comparison")
    ap.add_argument("--asr", default=os.path.join(ROOT, "build", "asr"),
                    help="the engine, for the dev WER after each epoch ('' = greedy error rate only)")
    ap.add_argument("--dev-alpha", type=float, default=None,
                    help="LM weight of the dev WER (default: the engine's)")
    ap.add_argument("--dev-blank-penalty", type=float, default=None,
                    help="blank penalty of the dev WER (default: none)")
    ap.add_argument("--procs", type=int, default=1, help="training processes on this machine (DDP)")
    ap.add_argument("--nodes", type=int, default=1, help="machines (DDP)")
    ap.add_argument("--node-rank", type=int, default=0)
    args = ap.parse_args()
    world = args.procs * args.nodes
    if world == 1:
        run(0, args)
    else:
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", "29533")
        torch.multiprocessing.spawn(run, args=(args,), nprocs=args.procs)


def run(local_rank, args):
    torch.set_num_threads(1)  # torch's threads fight OpenBLAS's: 1 is fastest here
    torch.manual_seed(args.seed)
    world = args.procs * args.nodes
    rank = args.node_rank * args.procs + local_rank
    if world > 1:
        dist.init_process_group("gloo", rank=rank, world_size=world)
    lead = rank == 0

    feats = os.path.join(args.work, "features")
    variants = [FeatureSet(feats, "train" if k == 0 else f"train.v{k}", args.unit)
                for k in range(args.variants)]
    if args.no_synthetic:
        with open(os.path.join(args.work, "real", "train", "manifest_synth.tsv")) as f:
            synthetic = {line.split("\t", 1)[0] for line in f}
        for v in variants:
            v.keep_only([i not in synthetic for i in v.ids])
    train, dev = variants[0], FeatureSet(feats, "dev", args.unit)
    ckpt_dir = os.path.join(args.work, "ckpt")
    os.makedirs(ckpt_dir, exist_ok=True)
    ckpt_path = os.path.join(ckpt_dir, args.name + ".pt")

    model = AcousticModel(cell=args.cell, bidirectional=args.bidirectional, num_layers=args.layers,
                          hidden_size=args.hidden, input_dim=train.x.shape[1],
                          vocab=text.VOCAB if args.unit == "characters" else pronounce.VOCAB, dropout=args.dropout)
    mean, std = train.input_stats()
    model.set_input_stats(torch.tensor(mean, dtype=torch.float32), torch.tensor(1.0 / std, dtype=torch.float32))
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    state = {"epoch": 0, "step": 0, "best_cer": math.inf, "history": [], "train_seconds": 0.0}
    if args.init and not os.path.exists(ckpt_path):
        model.load_state_dict(initial_weights(args.init, feats, model))
        lead and log(f"starting from the weights of {args.init}")
    if os.path.exists(ckpt_path):
        saved = torch.load(ckpt_path)
        model.load_state_dict(saved["state_dict"])
        opt.load_state_dict(saved["opt"])
        state = saved["state"]
        was = saved["args"].get("procs", 1) * saved["args"].get("nodes", 1)
        if was != world:
            raise SystemExit(f"{ckpt_path} was made by {was} processes: resume with as many "
                             "(the position in the epoch depends on it)")
        lead and log(f"resuming {args.name} at epoch {state['epoch']}, step {state['step']}")

    with open(os.path.join(feats, "feature_config.json")) as f:
        feature_config = json.load(f)
    cmvn_mean = np.load(os.path.join(feats, "cmvn_mean.npy"))

    def save(path, resumable=True):  # the format export.py reads, plus what resuming needs
        if not lead:
            return
        extra = {"opt": opt.state_dict()} if resumable else {}
        save_checkpoint(path + ".tmp", model, feature_config, cmvn_mean,
                        state=state, args=vars(args), **extra)
        os.replace(path + ".tmp", path)

    def agree(flag):  # one process's decision (rank 0's clock) for all
        if world == 1:
            return flag
        t = torch.tensor([float(flag)])
        dist.broadcast(t, 0)
        return bool(t.item())

    to_ceps, to_mel = freq_mask_matrices(feature_config["num_ceps"], feature_config["num_mel_bins"],
                                         feature_config["cepstral_lifter"])
    n_params = sum(p.numel() for p in model.parameters())
    hours = train.lengths[train.use].sum() * 0.03 / 3600
    lead and log(f"{args.name}: {n_params / 1e6:.2f} M parameters, {len(train)} utterances ({hours:.1f} h), "
                 f"{world} process{'es' if world > 1 else ''}")
    # One update takes `world` batches, one per process; variants differ a
    # little in length (speed perturbation), so an epoch has the fewest's steps.
    steps_per_epoch = min(len(v.batches(args.batch_steps)) for v in variants) // world
    total_steps = steps_per_epoch * args.epochs
    started, last_save = time.time(), time.time()
    model.train()
    while state["epoch"] < args.epochs:
        rng = np.random.default_rng(args.seed + state["epoch"])
        train = variants[(state["epoch"] + args.first_variant) % len(variants)]
        batches = train.batches(args.batch_steps, rng)[: steps_per_epoch * world][rank::world]
        rng = np.random.default_rng([args.seed + state["epoch"], rank])  # masks differ per process
        done_in_epoch = state["step"] - state["epoch"] * steps_per_epoch
        epoch_loss, epoch_start = [], time.time()
        for b, ids in enumerate(batches[done_in_epoch:], done_in_epoch):
            # Warm up for 300 steps, then cosine decay to 5% over the planned steps.
            s = state["step"]
            scale = min(1.0, (s + 1) / 300) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, s / total_steps))))
            for g in opt.param_groups:
                g["lr"] = args.lr * scale
            x, lengths, targets, target_lengths = train.collate(ids)
            x = time_mask(x, lengths, rng)
            if args.freq_masks:
                x = freq_mask(x, model.input_mean, rng, to_ceps, to_mel, masks=args.freq_masks)
            logp = net(x, lengths)
            loss = ctc(logp.transpose(0, 1), targets, lengths, target_lengths)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            state["step"] += 1
            epoch_loss.append(loss.item())
            if b % 50 == 0 and lead:
                log(f"epoch {state['epoch'] + 1} batch {b}/{len(batches)} loss {np.mean(epoch_loss[-50:]):.3f} lr {args.lr * scale:.2e}")
            if agree(time.time() - last_save > args.save_minutes * 60):
                save(ckpt_path)
                last_save = time.time()
            if agree(args.minutes and time.time() - started > args.minutes * 60):
                state["train_seconds"] += time.time() - epoch_start
                save(ckpt_path)
                lead and log(f"time budget reached at epoch {state['epoch'] + 1}, batch {b}: checkpoint saved")
                return
        state["train_seconds"] += time.time() - epoch_start
        state["epoch"] += 1
        if world > 1:
            dist.barrier()
        if not lead:
            continue
        seconds = time.time() - epoch_start
        cer = greedy_cer(model, dev, args.batch_steps)
        wer = dev_wer(model, feature_config, cmvn_mean, args.asr, args.work, args.dev_alpha,
                      args.dev_blank_penalty)
        rate = "CER" if args.unit == "characters" else "PER"
        state["history"].append({"epoch": state["epoch"], "loss": float(np.mean(epoch_loss)), "dev_cer": cer,
                                 "dev_wer": wer, "seconds": seconds})
        log(f"epoch {state['epoch']} done: loss {np.mean(epoch_loss):.3f}, dev greedy {rate} {100 * cer:.2f}%, "
            + "".join(f"dev WER {k} {v:.2f}%, " for k, v in (wer or {}).items()) + f"{seconds:.0f} s")
        # The best so far goes into the state before the checkpoint is saved:
        # a run resumed from it must compare later epochs with this one.
        if cer < state["best_cer"]:
            state["best_cer"] = cer
            save(os.path.join(ckpt_dir, args.name + ".best.pt"))
        if args.keep_epochs:  # weights only: to choose or average epochs, not to resume
            save(os.path.join(ckpt_dir, f"{args.name}.e{state['epoch']}.pt"), resumable=False)
        save(ckpt_path)
    if world > 1:
        dist.barrier()  # the others wait out rank 0's last dev pass
    lead and log(f"{args.name}: finished, best dev greedy error rate {100 * state['best_cer']:.2f}%")


if __name__ == "__main__":
    main()
