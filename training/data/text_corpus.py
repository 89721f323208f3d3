#!/usr/bin/python3
"""Clean English sentences for synthetic speech, from Debian text packages.

Output: <out>/text/corpus.tsv, one sentence a line, seeded-shuffled:
    source <TAB> transcript <TAB> tts_text
The transcript is lower-case a-z, apostrophe and space; tts_text is the same
words with punctuation kept (it drives prosody) and every number already
spelled out, so that each TTS engine says exactly the transcript.  Anything a
TTS engine might read in its own way (abbreviations, initials, acronyms,
URLs, odd symbols) is dropped rather than guessed at.
"""
import argparse
import collections
import glob
import os
import random
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# --------------------------------------------------------------- numbers
ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen").split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
ORD = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
       "nine": "ninth", "twelve": "twelfth"}


def cardinal(n):
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    if n < 1000:
        return ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + cardinal(n % 100))
    for size, name in ((10**9, "billion"), (10**6, "million"), (1000, "thousand")):
        if n >= size:
            rest = n % size
            return cardinal(n // size) + " " + name + ("" if rest == 0 else " " + cardinal(rest))
    raise ValueError(n)


def ordinal(n):
    words = cardinal(n).split()
    last = words[-1]
    words[-1] = ORD.get(last) or (last[:-1] + "ieth" if last.endswith("y") else last + "th")
    return " ".join(words)


def year(n):
    """How people read 4-digit years: 1984 nineteen eighty four, 1900 nineteen
    hundred, 1905 nineteen oh five, 2005 two thousand five, 2019 twenty nineteen."""
    hi, lo = divmod(n, 100)
    if 2000 <= n < 2010:
        return cardinal(n)
    if lo == 0:
        return cardinal(hi) + " hundred"
    return cardinal(hi) + (" oh " + ONES[lo] if lo < 10 else " " + cardinal(lo))


def plural(words):
    w = words.split()
    last = w[-1]
    w[-1] = last[:-1] + "ies" if last.endswith("y") else last + ("es" if last.endswith("x") else "s")
    return " ".join(w)


NUM_RE = re.compile(r"(\$)?(\d[\d,]*(?:\.\d+)?)(st|nd|rd|th|'s|s|%)?(?![\w$])")


def expand_numbers(s):
    """Spell out numbers; returns None when a number has no single obvious reading."""
    bad = False

    def one(m):
        nonlocal bad
        dollar, num, suf = m.group(1), m.group(2), m.group(3) or ""
        if re.fullmatch(r"\d{1,3}(,\d{3})+", num):
            num = num.replace(",", "")
        if "," in num or (len(num) > 1 and num[0] == "0" and "." not in num):
            bad = True          # "1,2", "007": lists, codes, phone numbers
            return m.group(0)
        if "." in num:
            if dollar or suf:
                bad = True
                return m.group(0)
            a, b = num.split(".")
            return cardinal(int(a)) + " point " + " ".join(ONES[int(d)] for d in b)
        n = int(num)
        if n >= 10**9:
            bad = True
            return m.group(0)
        if suf in ("st", "nd", "rd", "th"):
            want = {1: "st", 2: "nd", 3: "rd"}.get(n % 10 if n % 100 not in (11, 12, 13) else 0, "th")
            if suf != want:
                bad = True
            return ordinal(n)
        words = year(n) if 1100 <= n <= 2099 and len(num) == 4 and not dollar else cardinal(n)
        if suf in ("s", "'s"):
            if dollar:
                bad = True
            return plural(words)       # the 1960s, in his 40s
        if dollar:
            words += " dollar" if n == 1 else " dollars"
        if suf == "%":
            words += " percent"
        return words

    out = NUM_RE.sub(one, s)
    return None if bad or re.search(r"[\d$%]", out) else out


# ------------------------------------------------------------- sentences
# Abbreviations are replaced by a sentinel before sentence splitting: it stops
# "Mr. Smith" from becoming a false sentence break and marks the sentence bad.
SENT = "\x00"
ABBREV_RE = re.compile(
    r"\b(?:[A-Za-z]\.){2,}|\b[A-Z]\.(?=\s*\w)|\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|Inc|Ltd|Co|Corp|"
    r"No|Nos|Vol|Ch|Fig|Gen|Col|Capt|Lt|Sgt|Rev|Hon|Gov|Sen|Rep|Mt|Ft|Ave|Jan|Feb|Mar|Apr|Jun|"
    r"Jul|Aug|Sep|Sept|Oct|Nov|Dec|Mon|Tue|Wed|Thu|Fri|Sat|Sun|vs|etc|cf|al|viz|approx|ibid|ca|"
    r"esp|pp|ed|eds)\.")
# Words TTS front ends expand on their own even without a period.
SPOKEN_ABBREV = set("etc vs viz ie eg cf ok mr mrs ms dr st jr sr prof inc ltd co corp ave "
                    "mt ft pm am tv pc id".split())
SPLIT_RE = re.compile(r"(?<=[.!?])[\"')]*\s+(?=[\"'(]*[A-Z])")
ALLOWED_RE = re.compile(r"[A-Za-z0-9 .,;:!?'\"()\-%&$]+")


def split_sentences(para):
    para = re.sub(r"\s+", " ", para).strip()
    para = re.sub(r"\.{2,}", ",", para)          # ellipsis: a pause, not a sentence end
    para = re.sub(r"([!?])[!?]+", r"\1", para)
    para = ABBREV_RE.sub(SENT, para)
    # keep closing quotes with their sentence
    out, start = [], 0
    for m in SPLIT_RE.finditer(para):
        out.append(para[start:m.start()] + m.group(0).strip())
        start = m.end()
    out.append(para[start:])
    return [s.strip() for s in out if s.strip()]


def normalise(s):
    """Return (transcript, tts_text) or None if the sentence is not safe to speak."""
    if not s.isascii() or not ALLOWED_RE.fullmatch(s):
        return None
    if not re.match(r"[\"'(]*[A-Z]", s) or not re.search(r"[.!?][\"')]*$", s):
        return None                                       # fragment of a longer text
    if re.search(r"\.(?!$|[\"')]|\d)", s[:-1]) or re.search(r"\d[-:/]\d", s):
        return None                                       # leftover dots, ranges, times
    for w in re.findall(r"[A-Za-z0-9']+", s):
        core = w.strip("'")
        if (re.fullmatch(r"[A-Z]{2,}.*|.*[A-Z]{2,}", core)      # acronym or shouting
                or (len(core) == 1 and core.isupper() and core not in "AI")
                or re.search(r"[a-z][A-Z]", core)                 # camelCase brand names
                or (re.search(r"\d", core) and re.search(r"[A-Za-z]", core)
                    and not re.fullmatch(r"\d+(st|nd|rd|th|s|'s)", core))
                or core.lower() in SPOKEN_ABBREV):
            return None
    s = s.replace("&", " and ")
    s = re.sub(r"\s*--+\s*", ", ", s)
    s = re.sub(r"(?<=\w)-(?=\w)", " ", s)          # well-known -> well known
    s = s.replace("-", " ")
    s = expand_numbers(s)
    if s is None:
        return None
    tts = re.sub(r"\s+", " ", s).strip()
    words = [w.strip("'") for w in re.sub(r"[^a-z']+", " ", tts.lower()).split()]
    words = [w for w in words if w]
    if not 3 <= len(words) <= 20:
        return None
    return " ".join(words), tts


# --------------------------------------------------------------- sources
def fortunes():
    for path in sorted(glob.glob("/usr/share/games/fortunes/*")):
        name = os.path.basename(path)
        # off/ is the offensive set; .dat/.u8 are indexes and duplicates
        if os.path.isdir(path) or "." in name or name in ("ascii-art", "translate-me"):
            continue
        text = open(path, encoding="latin-1").read()
        for fortune in re.split(r"\n%\n", text):
            fortune = re.split(r"\n\s*--", fortune)[0]    # drop "-- Author" lines
            for para in re.split(r"\n\s*\n", fortune):
                yield from split_sentences(para)


def wordnet():
    for path in sorted(glob.glob("/usr/share/wordnet/data.*")):
        for line in open(path, encoding="latin-1"):
            if "|" in line and not line.startswith("  "):
                for ex in re.findall(r'"([^"]+)"', line.split("|", 1)[1]):
                    # usage examples are mostly lower-case phrases without a full stop
                    ex = re.split(r"\s*--", ex)[0].strip()
                    if ex[:1].isalpha():
                        ex = ex[0].upper() + ex[1:]
                        yield from split_sentences(ex if ex[-1] in ".!?" else ex + ".")


def bible():
    try:
        text = subprocess.run(["bible", "-l9999", "Gen1:1-Rev22:21"], capture_output=True,
                              text=True, encoding="latin-1", check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        # skipping it would silently make another corpus than the shipped models'
        raise SystemExit("the bible command (Debian bible-kjv) failed: bash scripts/setup.sh --all")
    # sentences run across verses: split whole chapters, not verses
    for chapter in re.split(r"\n\S[^\n]*\n", text):
        yield from split_sentences(re.sub(r"(?m)^\s+\d+ ", " ", chapter))


def shared_transcripts(shared):
    """Transcripts of the real test data, so synthetic text never leaks into them."""
    out = set()
    for path in glob.glob(os.path.join(shared, "data", "*", "manifest*.tsv")):
        for line in open(path, encoding="utf-8"):
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3:
                out.add(parts[2].lower())
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, "training", "work"))
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(REPO), "shared"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-bible", type=int, default=15000,
                    help="cap on KJV sentences: archaic English should not dominate")
    args = ap.parse_args()

    banned = shared_transcripts(args.shared)
    rng = random.Random(args.seed)
    seen, rows = set(), []
    for source, gen in (("fortunes", fortunes), ("wordnet", wordnet), ("bible", bible)):
        cand = kept = 0
        src_rows = []
        for s in gen():
            cand += 1
            r = normalise(s)
            if r is None or r[0] in seen or r[0] in banned:
                continue
            seen.add(r[0])
            src_rows.append((source,) + r)
        if source == "bible":
            rng.shuffle(src_rows)
            src_rows = src_rows[:args.max_bible]
        kept = len(src_rows)
        rows += src_rows
        print(f"{source:9s} candidates {cand:7d}  kept {kept:7d}", file=sys.stderr)
    rng.shuffle(rows)
    os.makedirs(os.path.join(args.out, "text"), exist_ok=True)
    path = os.path.join(args.out, "text", "corpus.tsv")
    with open(path + ".tmp", "w") as f:
        for r in rows:
            f.write("\t".join(r) + "\n")
    os.replace(path + ".tmp", path)
    nwords = sum(len(r[1].split()) for r in rows)
    vocab = len({w for r in rows for w in r[1].split()})
    print(f"total     {len(rows)} sentences, {nwords} words, vocabulary {vocab} -> {path}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
