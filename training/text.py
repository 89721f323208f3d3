"""Transcript normalisation and the output alphabet shared by every model."""
import re

# Output symbols: CTC blank first, then the word separator; the C engine reads
# them from the model file.
VOCAB = ["", " ", "'"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
_INDEX = {s: i for i, s in enumerate(VOCAB)}


def normalise(text):
    """Lower case a-z, apostrophes and single spaces: what the models can spell."""
    text = text.lower().replace("-", " ")
    text = re.sub(r"[^a-z' ]+", " ", text)
    text = re.sub(r"(^|\s)'+|'+(\s|$)", " ", text)  # quotes, not apostrophes
    return " ".join(text.split())


def encode(text):
    return [_INDEX[c] for c in normalise(text)]


def decode(ids):
    return "".join(VOCAB[i] for i in ids)
