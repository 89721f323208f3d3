#!/usr/bin/python3
"""Writes the reference vectors that tests/test_mfcc.c checks the C front end
against, computed without the C code:

  mfcc_speech.s16           one real utterance, 16 kHz mono int16 little-endian
  mfcc_speech_ref.f32       torchaudio.compliance.kaldi.mfcc of it (frames x 20)
  mfcc_pipeline_mu0.f32     a made-up CMVN prior mean (20 values)
  mfcc_pipeline_ref.f32     default pipeline with CMVN (P = 100, mu0 above),
                            deltas (order 2, window 2) and stacking by 3
  mfcc_pipeline_alt_ref.f32 no CMVN, deltas order 1 window 3, stacking by 5

All float32 little-endian, row-major. Run with Debian's /usr/bin/python3:
    /usr/bin/python3 training/make_mfcc_fixture.py [--shared ../shared]
"""
import argparse
import pathlib
import subprocess

import numpy as np
import torch
import torchaudio

ROOT = pathlib.Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
# speechocean762 (CC BY 4.0), speaker 0001: "WE CALL IT BEAR", 2.58 s.
UTTERANCE = "data/speechocean762/audio/SPEAKER0001/000010011.ogg"

# asr_feature_default_config()
SAMPLE_RATE = 16000
MFCC_OPTS = dict(
    sample_frequency=SAMPLE_RATE,
    frame_length=25.0,
    frame_shift=10.0,
    num_mel_bins=40,
    num_ceps=20,
    low_freq=20.0,
    high_freq=-400.0,
    preemphasis_coefficient=0.97,
    cepstral_lifter=22.0,
    dither=0.0,
    use_energy=False,
    snip_edges=True,
    remove_dc_offset=True,
    window_type="povey",
    round_to_power_of_two=True,
)


def decode(path):
    # -D: no dither, so the decode is reproducible.
    raw = subprocess.run(
        ["sox", "-D", str(path), "-t", "raw", "-r", str(SAMPLE_RATE), "-e", "signed-integer",
         "-b", "16", "-c", "1", "-L", "-"],
        check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype="<i2")


def cmvn(x, mu0, prior):
    """m_t = (P mu0 + sum_{s<=t} x_s) / (P + t + 1), subtracted from x_t."""
    counts = prior + np.arange(1, len(x) + 1, dtype=np.float64)[:, None]
    return x - (prior * mu0[None, :] + np.cumsum(x, axis=0)) / counts


def deltas(x, order, window):
    """[x, d1, d2...] with torchaudio's delta (edges replicated), applied repeatedly."""
    blocks = [x]
    for _ in range(order):
        d = torchaudio.functional.compute_deltas(
            torch.from_numpy(blocks[-1].T.copy()), win_length=2 * window + 1)
        blocks.append(d.numpy().T)
    return np.concatenate(blocks, axis=1)


def stack(x, n):
    """Non-overlapping groups of n frames; the last group padded with its last frame."""
    if len(x) == 0:
        return x.reshape(0, x.shape[1] * n)
    pad = (-len(x)) % n
    x = np.concatenate([x, np.repeat(x[-1:], pad, axis=0)])
    return x.reshape(len(x) // n, -1)


def write_f32(name, array):
    data = np.ascontiguousarray(array, dtype="<f4")
    (FIXTURES / name).write_bytes(data.tobytes())
    print(f"{name}: {data.shape} {data.nbytes} bytes")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=pathlib.Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    torch.set_num_threads(1)

    samples = decode(args.shared / UTTERANCE)
    FIXTURES.mkdir(parents=True, exist_ok=True)
    (FIXTURES / "mfcc_speech.s16").write_bytes(samples.astype("<i2").tobytes())
    print(f"mfcc_speech.s16: {len(samples)} samples ({len(samples) / SAMPLE_RATE:.2f} s)")

    # Kaldi works on the int16 scale, as the C extractor does after x32768.
    wave = torch.from_numpy(samples.astype(np.float32))[None, :]
    mfcc = torchaudio.compliance.kaldi.mfcc(wave, **MFCC_OPTS).numpy()
    write_f32("mfcc_speech_ref.f32", mfcc)

    x = mfcc.astype(np.float64)
    # A plausible prior: roughly the level of speech c0 and a tilt on the rest,
    # deliberately not this utterance's mean so that the prior visibly matters.
    mu0 = np.array([60.0 if c == 0 else 8.0 * np.cos(0.7 * c) for c in range(x.shape[1])])
    write_f32("mfcc_pipeline_mu0.f32", mu0)
    write_f32("mfcc_pipeline_ref.f32", stack(deltas(cmvn(x, mu0, 100.0), 2, 2), 3))
    write_f32("mfcc_pipeline_alt_ref.f32", stack(deltas(x, 1, 3), 5))


if __name__ == "__main__":
    main()
