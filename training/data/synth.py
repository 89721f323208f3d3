#!/usr/bin/python3
"""Synthetic speech from Debian's TTS engines: 16 kHz mono 16-bit WAV + manifests.

Reads <out>/text/corpus.tsv (text_corpus.py) and writes
    <out>/synth/train/manifest.tsv, <out>/synth/train/wav/<id>.wav
    <out>/synth/test/manifest.tsv,  <out>/synth/test/wav/<id>.wav
    <out>/synth/utt2voice.tsv
Ids are <voice>_<index>, e.g. espeak-en-us+m1_000123, flite-awb_000007.
Train and test differ both in voice (HELD_OUT below) and in sentences.
Resumable: an existing WAV is kept (written atomically, so it is complete).
"""
import argparse
import concurrent.futures as cf
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import wave

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ---- The split by voice: everything about held-out voices lives here. ----
# Test voices; none of them, and no espeak voice using a held-out accent or
# variant, is ever used for training.  Caveat: flite slt (train) and festival
# slt HTS (test) are the same recorded speaker through different synthesisers,
# and flite kal16 / festival kal_diphone share the kal diphone set.
HELD_OUT_ESPEAK_ACCENTS = {"en-gb-x-rp"}
HELD_OUT_ESPEAK_VARIANTS = {"f2", "m3"}
TEST_VOICES = ["espeak-en-gb-x-rp+f2", "espeak-en-gb-x-rp+m3", "flite-rms",
               "festival-cmu_us_slt_arctic_hts"]

ESPEAK_ACCENTS = ["en-gb", "en-us", "en-us-nyc", "en-gb-scotland", "en-gb-x-gbclan",
                  "en-gb-x-gbcwmd", "en-gb-x-rp", "en-029"]
# All of espeak-ng's variants except the whispered ones (no voicing at all)
# and "Demonic" (not speech-like); "" is the accent's default voice.
ESPEAK_VARIANTS = ("|m1 m2 m3 m4 m5 m6 m7 m8 f1 f2 f3 f4 f5 klatt klatt2 klatt3 klatt4 klatt5 "
                   "klatt6 adam Alex Alicia Andrea Andy Annie antonio aunty belinda benjamin "
                   "boris caleb david Denis Diogo ed edward edward2 Gene Gene2 gustave "
                   "announcer Henrique Hugo iven iven2 iven3 iven4 Jacky john kaukovalta Lee "
                   "linda marcelo Marco Mario max Michael michel miguel Mike Mr Nguyen pablo "
                   "paul pedro quincy RicishayMax RicishayMax2 RicishayMax3 rob robert "
                   "robosoft robosoft2 robosoft3 robosoft4 robosoft5 robosoft6 robosoft7 "
                   "robosoft8 steph steph2 steph3 Storm Tweaky UniRobot zac anika anikaRobot "
                   "AnxiousAndy norbert sandro shelby travis victor grandpa grandma croak"
                   ).replace("|", " | ").split(" ")
ESPEAK_VARIANTS = ["" if v == "|" else v for v in ESPEAK_VARIANTS if v]
TRAIN_ACCENTS = [a for a in ESPEAK_ACCENTS if a not in HELD_OUT_ESPEAK_ACCENTS]
TRAIN_VARIANTS = [v for v in ESPEAK_VARIANTS if v not in HELD_OUT_ESPEAK_VARIANTS]

# Share of the training hours per voice group.  espeak is one group whose
# utterances each draw accent+variant, so its share buys hundreds of voices;
# the others are single speakers, given enough to matter but not dominate.
# Measured for 6 h: about 7 CPU minutes, 4 minutes wall with 2 jobs.  Process
# start-up (espeak-ng ~25 ms, sox ~10 ms per utterance) costs more than
# espeak's synthesis; flite awb/slt (~35x real time) are the slow voices.
TRAIN_SHARES = {"espeak": 0.52, "flite-awb": 0.12, "flite-slt": 0.12, "flite-kal16": 0.06,
                "festival-kal_diphone": 0.09, "festival-ked_diphone": 0.09}
BATCH = 32           # utterances per job; one festival process per batch
TEST_RESERVE = 2000  # first corpus sentences kept for test, whatever --test-utts is


def utt_settings(voice_group, key, seed):
    """Voice and prosody of one utterance, a pure function of its key so that a
    resumed run makes exactly the same choices."""
    rng = random.Random(f"{seed}/{voice_group}/{key}")
    if voice_group == "espeak":
        variant = rng.choice(TRAIN_VARIANTS)
        voice = "espeak-" + rng.choice(TRAIN_ACCENTS) + ("+" + variant if variant else "")
    else:
        voice = voice_group
    if voice.startswith("espeak"):
        return voice, {"s": rng.randint(130, 200), "p": rng.randint(30, 70)}
    if voice.startswith("flite") or voice.endswith("_diphone"):
        return voice, {"stretch": round(rng.uniform(0.85, 1.2), 3)}
    return voice, {}    # festival HTS ignores Duration_Stretch


def scheme_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def synth_batch(items, tmp_root):
    """items: (uid, voice, settings, tts_text, wav_path).  Returns ([(uid, seconds
    or None on failure)], wall seconds, number of files actually synthesised)."""
    t0 = time.time()
    todo = [it for it in items if not os.path.exists(it[4])]
    tmp = tempfile.mkdtemp(dir=tmp_root)
    raw = {it[0]: os.path.join(tmp, it[0] + ".wav") for it in todo}
    try:
        if todo and todo[0][1].startswith("festival-"):
            # one process per batch: festival's start-up costs more than a sentence
            lines = ["(voice_%s)" % todo[0][1][len("festival-"):]]
            for uid, _, st, text, _ in todo:
                if "stretch" in st:
                    lines.append("(Parameter.set 'Duration_Stretch %s)" % st["stretch"])
                lines.append("(utt.save.wave (SynthText %s) %s 'riff)"
                             % (scheme_str(text), scheme_str(raw[uid])))
            scm = os.path.join(tmp, "batch.scm")
            with open(scm, "w") as f:
                f.write("\n".join(lines) + "\n")
            subprocess.run(["festival", "-b", scm], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        else:
            for uid, voice, st, text, _ in todo:
                if voice.startswith("espeak-"):
                    cmd = ["espeak-ng", "-v", voice[len("espeak-"):], "-s", str(st["s"]),
                           "-p", str(st["p"]), "-w", raw[uid], text]
                else:
                    cmd = ["flite", "-voice", voice[len("flite-"):], "--setf",
                           "duration_stretch=%s" % st["stretch"], "-t", text, "-o", raw[uid]]
                subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for uid, _, _, _, path in todo:
            if is_16k_mono16(raw[uid]):
                os.replace(raw[uid], path + ".part.wav")    # flite and diphones: as is
            elif os.path.exists(raw[uid]):
                # -G: guard against clipping introduced by resampling
                subprocess.run(["sox", "-G", raw[uid], "-r", "16000", "-c", "1", "-b", "16",
                                path + ".part.wav"], stderr=subprocess.DEVNULL)
            if wav_seconds(path + ".part.wav") > 0.3:     # an engine may write an empty file
                os.replace(path + ".part.wav", path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [(it[0], wav_seconds(it[4]) if os.path.exists(it[4]) else None) for it in items], \
        time.time() - t0, len(todo)


def is_16k_mono16(path):
    try:
        with wave.open(path) as w:
            return (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
    except (wave.Error, EOFError, OSError):
        return False


def wav_seconds(path):
    try:
        with wave.open(path) as w:
            return w.getnframes() / w.getframerate()
    except (wave.Error, EOFError, OSError):
        return 0.0


class Group:
    """Utterances of one voice group: the k-th one speaks sentences[k]."""

    def __init__(self, name, sentences, target_s, out_dir, seed, id_fmt, limit=None):
        self.name, self.sentences, self.target_s = name, sentences, target_s
        self.out_dir, self.seed, self.id_fmt, self.limit = out_dir, seed, id_fmt, limit
        self.next_k = 0
        self.inflight = 0
        self.done_s = 0.0
        self.done = []        # (uid, voice, transcript, seconds)
        self.failed = 0
        self.synth_wall = self.synth_audio = 0.0

    def wants_more(self):
        # One batch in flight per group: whether to go on then depends only on
        # finished work, so the utterance count is the same in every run.
        if self.inflight:
            return False
        if self.limit is not None:
            return self.next_k < self.limit
        return self.done_s < self.target_s

    def progress(self):
        return self.next_k / self.limit if self.limit else self.done_s / self.target_s

    def next_batch(self):
        n = BATCH if self.limit is None else min(BATCH, self.limit - self.next_k)
        items = []
        for k in range(self.next_k, self.next_k + n):
            transcript, text = self.sentences[k % len(self.sentences)]
            voice, st = utt_settings(self.name, k, self.seed)
            uid = self.id_fmt.format(voice=voice, k=k)
            items.append((uid, voice, st, text, os.path.join(self.out_dir, "wav", uid + ".wav"),
                          transcript))
        self.next_k += n
        self.inflight += n
        return items


def run_groups(groups, jobs, tmp_root, label):
    """Keeps up to `jobs` batches in flight, feeding the group furthest behind."""
    t0 = last = time.time()
    total_target = sum(g.target_s for g in groups)
    with cf.ThreadPoolExecutor(jobs) as pool:   # threads only wait on subprocesses
        running = {}
        while True:
            while len(running) < jobs:
                open_groups = [g for g in groups if g.wants_more()]
                if not open_groups:
                    break
                g = min(open_groups, key=Group.progress)
                items = g.next_batch()
                info = {it[0]: (it[1], it[5]) for it in items}
                fut = pool.submit(synth_batch, [it[:5] for it in items], tmp_root)
                running[fut] = (g, info)
            if not running:
                break
            finished, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                g, info = running.pop(fut)
                results, wall, n_new = fut.result()
                g.inflight -= len(results)
                for uid, secs in results:
                    if secs:
                        g.done.append((uid, info[uid][0], info[uid][1], secs))
                        g.done_s += secs
                    else:
                        g.failed += 1
                if n_new and not any(secs for _, secs in results):
                    # a voice that makes nothing would be asked again forever
                    raise SystemExit(f"{g.name}: a batch of {n_new} sentences gave no audio; "
                                     "is the voice installed (bash scripts/setup.sh --all)?")
                if n_new:
                    g.synth_wall += wall
                    g.synth_audio += sum(s or 0 for _, s in results)
            if time.time() - last > 5 or not running:
                last = time.time()
                goal = (f"{total_target / 3600:.2f} h" if total_target else
                        f"{sum(g.limit for g in groups)} utts")
                print(f"[{label}] {sum(g.done_s for g in groups) / 3600:6.2f} h, "
                      f"{sum(len(g.done) for g in groups)} utts of {goal}  "
                      f"{time.time() - t0:6.0f} s", file=sys.stderr, flush=True)


def write_manifest(groups, out_dir):
    with open(os.path.join(out_dir, "manifest.tsv"), "w") as f:
        for g in groups:
            g.done.sort(key=lambda d: d[0].rsplit("_", 1)[1])   # batches finish in any order
            for uid, _, transcript, _ in g.done:
                f.write(f"{uid}\twav/{uid}.wav\t{transcript.upper()}\n")


def report(groups, label):
    """Hours per voice; espeak summarised by accent since it has ~700 voices."""
    per = {}
    for g in groups:
        for _, voice, _, secs in g.done:
            key = voice.split("+")[0]
            n, s = per.get(key, (0, 0.0))
            per[key] = (n + 1, s + secs)
    print(f"[{label}] hours per voice (espeak: per accent, all variants together):",
          file=sys.stderr)
    for key in sorted(per):
        print(f"  {key:34s} {per[key][0]:6d} utts {per[key][1] / 3600:6.2f} h", file=sys.stderr)
    for g in groups:
        if g.synth_wall:
            print(f"  speed {g.name:32s} {g.synth_audio / g.synth_wall:7.0f} x real time "
                  f"(TTS + sox, wall)", file=sys.stderr)
        if g.failed:
            print(f"  {g.name}: {g.failed} utterances failed", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, "training", "work"))
    ap.add_argument("--hours-train", type=float, default=6.0)
    ap.add_argument("--test-utts", type=int, default=150, help="per held-out voice")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    with open(os.path.join(args.out, "text", "corpus.tsv")) as f:
        rows = [tuple(line.rstrip("\n").split("\t")[1:3]) for line in f]
    reserve = max(TEST_RESERVE, args.test_utts * len(TEST_VOICES))
    test_rows, train_rows = rows[:reserve], rows[reserve:]
    synth = os.path.join(args.out, "synth")
    tmp_root = os.path.join(synth, "tmp")
    for d in ("train/wav", "test/wav", "tmp"):
        os.makedirs(os.path.join(synth, d), exist_ok=True)
    t0 = time.time()
    cpu0 = os.times()

    n = args.test_utts
    test = [Group(v, test_rows[i * n:(i + 1) * n], 0, os.path.join(synth, "test"), args.seed,
                  "{voice}_{k:06d}", limit=n) for i, v in enumerate(TEST_VOICES)]
    run_groups(test, args.jobs, tmp_root, "test")

    # Disjoint sentences per group: group i speaks train_rows[i::G].
    names = list(TRAIN_SHARES)
    train = [Group(name, train_rows[i::len(names)], TRAIN_SHARES[name] * args.hours_train * 3600,
                   os.path.join(synth, "train"), args.seed, "{voice}_{k:06d}")
             for i, name in enumerate(names)]
    run_groups(train, args.jobs, tmp_root, "train")

    write_manifest(train, os.path.join(synth, "train"))
    write_manifest(test, os.path.join(synth, "test"))
    with open(os.path.join(synth, "utt2voice.tsv"), "w") as f:
        for g in train + test:
            for uid, voice, _, _ in g.done:
                f.write(f"{uid}\t{voice}\n")
    shutil.rmtree(tmp_root, ignore_errors=True)
    report(test, "test")
    report(train, "train")
    cpu = [a - b for a, b in zip(os.times(), cpu0)]
    print(f"wall {time.time() - t0:.0f} s, CPU {cpu[0] + cpu[1] + cpu[2] + cpu[3]:.0f} s "
          f"(this process + TTS/sox children)", file=sys.stderr)


if __name__ == "__main__":
    main()
