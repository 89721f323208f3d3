"""Pronunciations: CMUdict's phone set, its reader, and words to phones.

The phone models' output symbols are CMUdict's 39 ARPAbet phones without
stress marks (the dictionary of Debian's pocketsphinx-en-us has none), CTC
blank first. Word boundaries are not symbols: the lexicon decoder finds them.
"""
import re

CMUDICT = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"

PHONES = ["AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G",
          "HH", "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T",
          "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH"]
VOCAB = [""] + PHONES  # model output symbols, blank first
PHONE_ID = {p: i for i, p in enumerate(VOCAB) if p}

# Spellings the G2P model reads: a-z and the apostrophe (what text.normalise keeps).
LETTERS = "'abcdefghijklmnopqrstuvwxyz"
WORD_RE = re.compile(r"^[a-z']+$")


def read_dict(path=CMUDICT):
    """{word: [pronunciation, ...]} in the file's order (the first is the
    main one); a pronunciation is a tuple of phones. Raises ValueError naming
    the line for malformed lines or unknown phones."""
    lex = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if not parts or parts[0].startswith(";;;"):
                continue
            word = re.sub(r"\(\d+\)$", "", parts[0]).lower()
            phones = tuple(re.sub(r"[012]$", "", p) for p in parts[1:])
            if not phones:
                raise ValueError(f"{path}:{n}: '{parts[0]}' has no pronunciation")
            bad = [p for p in phones if p not in PHONE_ID]
            if bad:
                raise ValueError(f"{path}:{n}: unknown phone '{bad[0]}'")
            prons = lex.setdefault(word, [])
            if phones not in prons:
                prons.append(phones)
    return lex


class Pronouncer:
    """Words to phones: the dictionary's main pronunciation, else the G2P
    model (g2p.G2P) for a-z/apostrophe spellings."""

    def __init__(self, lex, g2p=None):
        self.lex, self.g2p, self.guessed = lex, g2p, {}

    def word(self, w):
        if w in self.lex:
            return self.lex[w][0]
        if w not in self.guessed:
            if self.g2p is None or not WORD_RE.match(w):
                raise KeyError(f"no pronunciation for '{w}'")
            self.guessed[w] = tuple(self.g2p.pronounce([w])[0])
        return self.guessed[w]

    def sentence(self, normalised):
        """Phone ids of a normalised transcript (text.normalise)."""
        return [PHONE_ID[p] for w in normalised.split() for p in self.word(w)]
