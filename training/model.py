"""The acoustic model in PyTorch, exactly as model/recurrent.c computes it.

features [B, T, input_dim] -> (x - input_mean) * input_inv_std -> stacked
LSTM / GRU / tanh-RNN (uni- or bidirectional, dropout between layers while
training) -> Linear -> log_softmax over the vocabulary (id 0 = CTC blank).

Checkpoints (save_checkpoint / load_checkpoint, read by export.py) are a
torch.save'd dict:
    model_config    AcousticModel keyword arguments (AcousticModel.config())
    state_dict      the module's state_dict, input normalisation included
    feature_config  dict with the fields of asr_feature_config (include/asr.h)
                    except cmvn_mean
    cmvn_mean       num_ceps floats: the CMVN prior mean
plus whatever else the trainer keeps (optimizer state, epoch ...).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

# CTC blank, word separator, apostrophe, letters.
VOCAB = ["", " ", "'"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class AcousticModel(nn.Module):
    def __init__(self, input_dim, hidden_size=320, num_layers=2, cell="lstm",
                 bidirectional=False, vocab=None, vocab_size=None, dropout=0.0):
        """vocab: output symbols, blank ("") first (default VOCAB); vocab_size,
        if given, must match it."""
        super().__init__()
        if cell not in CELLS:
            raise ValueError("cell must be one of %s" % ", ".join(CELLS))
        self.input_dim = input_dim
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.cell = cell
        self.bidirectional = bidirectional
        self.vocab = list(VOCAB if vocab is None else vocab)
        self.dropout = dropout
        if self.vocab[0] != "":
            raise ValueError("vocab[0] must be the blank, \"\"")
        if vocab_size is not None and vocab_size != len(self.vocab):
            raise ValueError("vocab_size %d but %d symbols" % (vocab_size, len(self.vocab)))
        kwargs = dict(input_size=input_dim, hidden_size=hidden_size, num_layers=num_layers,
                      batch_first=True, bidirectional=bidirectional,
                      dropout=dropout if num_layers > 1 else 0.0)
        if cell == "rnn":
            kwargs["nonlinearity"] = "tanh"
        self.rnn = CELLS[cell](**kwargs)
        self.register_buffer("input_mean", torch.zeros(input_dim))
        self.register_buffer("input_inv_std", torch.ones(input_dim))
        self.out = nn.Linear(hidden_size * (2 if bidirectional else 1), len(self.vocab))

    def config(self):
        return dict(input_dim=self.input_dim, hidden_size=self.hidden_size,
                    num_layers=self.num_layers, cell=self.cell,
                    bidirectional=self.bidirectional, vocab=self.vocab, dropout=self.dropout)

    @torch.no_grad()
    def set_input_stats(self, mean, inv_std):
        """The global input affine, (x - mean) * inv_std, e.g. from the
        training set's statistics."""
        self.input_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.input_inv_std.copy_(torch.as_tensor(inv_std, dtype=torch.float32))

    def _bidirectional(self, x, lengths):
        """Both directions of ragged sequences as plain unidirectional passes,
        each sequence reversed within its own length for the backward one.
        Same result as packed sequences, whose backward pass was measured
        about 60x slower on CPU here."""
        steps = torch.arange(x.shape[1]).unsqueeze(0)
        lengths = lengths.unsqueeze(1)
        rev = torch.where(steps < lengths, lengths - 1 - steps, steps)  # [B, T]
        flip = lambda t: t.gather(1, rev.unsqueeze(2).expand(-1, -1, t.shape[2]))  # noqa: E731
        h = x
        for layer in range(self.num_layers):
            if layer > 0 and self.training and self.dropout > 0:
                h = F.dropout(h, self.dropout)
            fw = self._one_direction(h, layer, "")
            bw = flip(self._one_direction(flip(h), layer, "_reverse"))
            h = torch.cat([fw, bw], dim=2)
        return h

    def _one_direction(self, x, layer, suffix):
        weights = [getattr(self.rnn, "%s_l%d%s" % (w, layer, suffix))
                   for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        h0 = x.new_zeros(1, x.shape[0], self.hidden_size)
        if self.cell == "lstm":
            return torch._VF.lstm(x, (h0, h0), weights, True, 1, 0.0, self.training, False, True)[0]
        run = torch._VF.gru if self.cell == "gru" else torch._VF.rnn_tanh
        return run(x, h0, weights, True, 1, 0.0, self.training, False, True)[0]

    def forward(self, x, lengths=None):
        """x: [B, T, input_dim]; lengths: [B] valid steps (None: all T).
        Returns log-probabilities [B, T, vocab]; padded steps are garbage."""
        x = (x - self.input_mean) * self.input_inv_std
        if lengths is None or not self.bidirectional:
            y, _ = self.rnn(x)  # padding cannot reach earlier steps of a forward pass
        else:
            y = self._bidirectional(x, torch.as_tensor(lengths))
        return F.log_softmax(self.out(y), dim=-1)


def save_checkpoint(path, model, feature_config, cmvn_mean, **extra):
    ckpt = dict(extra)
    ckpt.update(model_config=model.config(), state_dict=model.state_dict(),
                feature_config=dict(feature_config),
                cmvn_mean=torch.as_tensor(cmvn_mean, dtype=torch.float32).clone())
    torch.save(ckpt, path)


def load_checkpoint(path):
    """Returns (model in eval mode, the checkpoint dict)."""
    ckpt = torch.load(path, map_location="cpu")
    model = AcousticModel(**ckpt["model_config"])
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    return model, ckpt


def rnn_tensor_names(model):
    """(model-file tensor name, parameter name in model.rnn) of every recurrent
    weight, in the order of the model file (docs/MODEL_FORMAT.md)."""
    for layer in range(model.num_layers):
        for d, suffix in enumerate(["", "_reverse"][: 2 if model.bidirectional else 1]):
            prefix = "rnn.%d.%s." % (layer, "bwd" if d else "fwd")
            for ours, theirs in (("w_ih", "weight_ih"), ("w_hh", "weight_hh"),
                                 ("b_ih", "bias_ih"), ("b_hh", "bias_hh")):
                yield prefix + ours, "%s_l%d%s" % (theirs, layer, suffix)


def load_gguf(path):
    """The reverse of export.py: (model in eval mode, feature_config dict,
    cmvn_mean) from a model file."""
    import numpy as np
    from gguf_reader import read
    meta, t = read(path)
    model = AcousticModel(input_dim=meta["asr.input_dim"], hidden_size=meta["asr.hidden_size"],
                          num_layers=meta["asr.num_layers"], cell=meta["asr.cell"],
                          bidirectional=meta["asr.bidirectional"], vocab=meta["asr.vocab"])
    state = {"input_mean": t["input.mean"], "input_inv_std": t["input.inv_std"],
             "out.weight": t["out.weight"], "out.bias": t["out.bias"]}
    for ours, theirs in rnn_tensor_names(model):
        state["rnn." + theirs] = t[ours]
    # float16 weights (export.py --weights f16) widen exactly to float32.
    model.load_state_dict({k: torch.from_numpy(np.asarray(v, np.float32)) for k, v in state.items()})
    model.eval()
    config = {k[len("asr.feature."):]: v for k, v in meta.items() if k.startswith("asr.feature.")}
    return model, config, t["cmvn.mean"]
