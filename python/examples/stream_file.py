#!/usr/bin/env python3
"""Streams an audio file into the recognizer in chunks, as a live source
would, printing the partial result as it grows, then the words.

    python3 stream_file.py talk.wav [--model en-lstm.gguf] [--chunk-ms 200]
"""
import argparse
import sys

import asr


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("audio")
    ap.add_argument("--model", help="acoustic model (default: the streaming en-lstm.gguf)")
    ap.add_argument("--lm", help="word LM (default: en-3gram.lmbin)")
    ap.add_argument("--chunk-ms", type=int, default=200, help="chunk length (default 200)")
    args = ap.parse_args()
    try:
        model = asr.Model(args.model or asr.default_path("en-lstm.gguf", "ASR_MODEL"))
        lm = asr.LM(args.lm)
        samples, rate = asr.read_audio(args.audio)
    except asr.AsrError as e:
        sys.exit(f"stream_file: {e}")
    piece = max(1, rate * args.chunk_ms // 1000)
    with asr.Stream(model, lm=lm) as stream:
        for at in range(0, len(samples), piece):
            stream.accept_waveform(rate, samples[at:at + piece])
            p = stream.partial()
            print(f"{at / rate:6.2f} s  {p.stable}[{p.unstable}]", flush=True)
        result = stream.finish()
    print("final:", result.text)
    for w in result.words:
        print(f"  {w.word:15s} {w.start:5.2f}-{w.end:5.2f} s  confidence {w.confidence:.2f}")


if __name__ == "__main__":
    main()
