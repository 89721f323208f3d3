#!/usr/bin/env python3
"""Do Python threads decoding with one shared model scale? (The GIL is
released inside the engine.) Decodes the samples N times over with 1 and
with 2 threads and prints the wall times and their ratio.

    PYTHONPATH=python /usr/bin/python3 bench/python_threads.py [--repeat 4]
"""
import argparse
import glob
import os
import threading
import time

import asr

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def run(model, lm, audio, threads):
    jobs = list(audio)
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not jobs:
                    return
                x, rate = jobs.pop()
            with asr.Stream(model, lm=lm) as s:
                s.accept_waveform(rate, x)
                s.finish()

    t0 = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=4, help="passes over the samples (default 4)")
    ap.add_argument("--model", default=os.path.join(ROOT, "pretrained", "en-lstm.gguf"))
    args = ap.parse_args()
    files = sorted(glob.glob(os.path.join(ROOT, "samples", "*.wav")))
    audio = [asr.read_audio(f) for f in files] * args.repeat
    seconds = sum(len(x) / r for x, r in audio)
    with asr.Model(args.model) as model, asr.LM() as lm:
        run(model, lm, audio[:2], 1)  # warm up
        one = min(run(model, lm, audio, 1) for _ in range(3))
        two = min(run(model, lm, audio, 2) for _ in range(3))
    print(f"{len(audio)} utterances, {seconds:.1f} s of audio, {os.cpu_count()} CPUs, "
          f"best of 3: 1 thread {one:.2f} s, 2 threads {two:.2f} s, speed-up {one / two:.2f}x")


if __name__ == "__main__":
    main()
