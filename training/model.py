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

    def forward(self, x, lengths=None):
        """x: [B, T, input_dim]; lengths: [B] valid steps (None: all T).
        Returns log-probabilities [B, T, vocab]; padded steps are garbage."""
        x = (x - self.input_mean) * self.input_inv_std
        if lengths is None:
            y, _ = self.rnn(x)
        else:
            packed = nn.utils.rnn.pack_padded_sequence(
                x, torch.as_tensor(lengths).cpu(), batch_first=True, enforce_sorted=False)
            y, _ = self.rnn(packed)
            y, _ = nn.utils.rnn.pad_packed_sequence(y, batch_first=True,
                                                    total_length=x.shape[1])
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
