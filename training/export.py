#!/usr/bin/python3
"""Writes an AcousticModel as a model file (GGUF v3, docs/MODEL_FORMAT.md).

    python3 training/export.py CHECKPOINT.pt OUT.gguf [--name NAME]
        [--cmvn-mean cmvn_mean.npy] [--feature-config config.json] [--lm-alpha A]
        [--blank-penalty P] [--weights f32|f16]

or from Python: export(model, feature_config, cmvn_mean, path, name).

--weights f16 stores the weight matrices (w_ih, w_hh, out.weight: nearly all
of the bytes) as float16, half the file; the engine widens them to float32
when it loads the file. Biases and statistics stay float32.

Takes the checkpoints of model.save_checkpoint (which hold the feature
settings and the CMVN mean) and those of train.py ({"model": state_dict,
"args": ...}), whose feature settings are prepare.feature_config() and whose
CMVN mean is WORK/features/cmvn_mean.npy unless the options say otherwise.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pronounce  # noqa: E402
from gguf_writer import GGUFWriter  # noqa: E402
from model import AcousticModel, load_checkpoint, rnn_tensor_names  # noqa: E402

FORMAT_VERSION = 1

# The fields of asr_feature_config (include/asr.h) but cmvn_mean, which is a
# tensor; u32 or f32 as the metadata stores them.
FEATURE_FIELDS = [
    ("sample_rate", "u32"),
    ("frame_length_ms", "f32"),
    ("frame_shift_ms", "f32"),
    ("num_mel_bins", "u32"),
    ("num_ceps", "u32"),
    ("low_freq", "f32"),
    ("high_freq", "f32"),
    ("preemph", "f32"),
    ("cepstral_lifter", "f32"),
    ("delta_order", "u32"),
    ("delta_window", "u32"),
    ("stack", "u32"),
    ("cmvn_prior_frames", "f32"),
]


def _array(t):
    a = t.detach().cpu().to(torch.float32).numpy()
    if not np.all(np.isfinite(a)):
        raise ValueError("non-finite weights cannot be exported")
    return a


def matrices(model):
    """The parameters export.py --weights f16 stores as float16."""
    params = dict(model.rnn.named_parameters())
    return [params[theirs] for ours, theirs in rnn_tensor_names(model) if ours.endswith(("w_ih", "w_hh"))] + [
        model.out.weight]


def round_to_stored(model):
    """Rounds the weight matrices to float16 in place: the network a
    --weights f16 file holds (what parity checks compare the engine with)."""
    with torch.no_grad():
        for p in matrices(model):
            p.copy_(p.half().float())


def export(model, feature_config, cmvn_mean, path, name, lm_alpha=None, weights="f32",
           blank_penalty=None):
    """model: training.model.AcousticModel; feature_config: dict with the
    FEATURE_FIELDS keys; cmvn_mean: num_ceps floats; lm_alpha: the LM weight
    tuned for the model (asr.lm_alpha; None: the engine's default); weights:
    "f32", or "f16" for the weight matrices; blank_penalty: the one tuned for
    the model (asr.blank_penalty; None: none)."""
    if weights not in ("f32", "f16"):
        raise ValueError("weights must be f32 or f16, not %r" % weights)
    half = {id(p) for p in matrices(model)} if weights == "f16" else set()

    def tensor(w, name, p):
        w.add_tensor(name, _array(p), "<f2" if id(p) in half else "<f4")

    missing = [k for k, _ in FEATURE_FIELDS if k not in feature_config]
    if missing:
        raise ValueError("feature_config lacks " + ", ".join(missing))
    fc = feature_config
    dim = int(fc["num_ceps"]) * (1 + int(fc["delta_order"])) * int(fc["stack"])
    if dim != model.input_dim:
        raise ValueError("the features give %d values per step, the model takes %d"
                         % (dim, model.input_dim))
    cmvn = np.asarray(cmvn_mean, dtype=np.float32).reshape(-1)
    if cmvn.shape[0] != int(fc["num_ceps"]):
        raise ValueError("cmvn_mean has %d values, num_ceps is %d"
                         % (cmvn.shape[0], int(fc["num_ceps"])))

    w = GGUFWriter(alignment=32)
    w.add_string("general.architecture", "asr-ctc")
    w.add_string("general.name", name)
    w.add_u32("asr.format_version", FORMAT_VERSION)
    w.add_string("asr.cell", model.cell)
    w.add_bool("asr.bidirectional", model.bidirectional)
    w.add_u32("asr.num_layers", model.num_layers)
    w.add_u32("asr.hidden_size", model.hidden_size)
    w.add_u32("asr.input_dim", model.input_dim)
    w.add_string_array("asr.vocab", model.vocab)
    if model.vocab == pronounce.VOCAB:  # absent = characters, as in the first model files
        w.add_string("asr.unit", "phones")
    if lm_alpha is not None:
        if not 0 <= lm_alpha <= 10:
            raise ValueError("lm_alpha %g is outside 0..10" % lm_alpha)
        w.add_f32("asr.lm_alpha", float(lm_alpha))
    if blank_penalty is not None:
        if not 0 <= blank_penalty <= 20:  # asr.h's ASR_MAX_BLANK_PENALTY
            raise ValueError("blank_penalty %g is outside 0..20" % blank_penalty)
        w.add_f32("asr.blank_penalty", float(blank_penalty))
    for key, kind in FEATURE_FIELDS:
        value = fc[key]
        if kind == "u32":
            w.add_u32("asr.feature." + key, int(value))
        else:
            if not math.isfinite(float(value)):
                raise ValueError("feature_config %s is not finite" % key)
            w.add_f32("asr.feature." + key, float(value))

    w.add_tensor("cmvn.mean", cmvn)
    w.add_tensor("input.mean", _array(model.input_mean))
    w.add_tensor("input.inv_std", _array(model.input_inv_std))
    params = dict(model.rnn.named_parameters())
    for ours, theirs in rnn_tensor_names(model):
        tensor(w, ours, params[theirs])
    tensor(w, "out.weight", model.out.weight)
    tensor(w, "out.bias", model.out.bias)
    w.write(path)


def _load(path, cmvn_path, config_path):
    """(model, feature_config dict, cmvn_mean) from either kind of checkpoint."""
    ckpt = torch.load(path, map_location="cpu")
    if "model_config" in ckpt:
        model, _ = load_checkpoint(path)
        config, cmvn = ckpt["feature_config"], ckpt["cmvn_mean"]
    elif "model" in ckpt and "args" in ckpt:
        a, state = ckpt["args"], ckpt["model"]
        model = AcousticModel(input_dim=state["input_mean"].shape[0], hidden_size=a["hidden"],
                              num_layers=a["layers"], cell=a["cell"],
                              bidirectional=a["bidirectional"])
        model.load_state_dict(state)
        model.eval()
        config = cmvn = None
        if not config_path:
            import prepare  # the C front end's settings, through ctypes
            config = prepare.feature_config().as_dict()
        if not cmvn_path:
            cmvn_path = os.path.join(a["work"], "features", "cmvn_mean.npy")
    else:
        raise SystemExit("%s: not a checkpoint of model.py or train.py" % path)
    if config_path:
        with open(config_path, encoding="utf-8") as f:
            config = json.load(f)
    if cmvn_path:
        cmvn = np.load(cmvn_path)
    return model, config, cmvn


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint", help="a checkpoint of model.save_checkpoint or train.py")
    ap.add_argument("output", help="the .gguf file to write")
    ap.add_argument("--name", help="general.name (default: the output's base name)")
    ap.add_argument("--cmvn-mean", help=".npy with num_ceps floats (overrides the checkpoint)")
    ap.add_argument("--feature-config", help="JSON object with the asr_feature_config fields")
    ap.add_argument("--lm-alpha", type=float,
                    help="the LM weight tuned for this model on the dev set (default: the engine's)")
    ap.add_argument("--blank-penalty", type=float,
                    help="the blank penalty tuned for this model on the dev set (default: none)")
    ap.add_argument("--weights", choices=["f32", "f16"], default="f32",
                    help="how the weight matrices are stored (f16: half the file)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, config, cmvn = _load(args.checkpoint, args.cmvn_mean, args.feature_config)
    name = args.name or os.path.splitext(os.path.basename(args.output))[0]
    export(model, config, cmvn, args.output, name, args.lm_alpha, args.weights,
           args.blank_penalty)
    print("wrote %s (%s, %d parameters, %s weights, %.1f MB)" % (
        args.output, name, sum(p.numel() for p in model.parameters()), args.weights,
        os.path.getsize(args.output) / 1e6))


if __name__ == "__main__":
    main()
