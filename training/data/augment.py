#!/usr/bin/python3
"""Waveform augmentation for 16 kHz float32 audio (numpy only, vectorised).

    from augment import augment
    y = augment(x, np.random.default_rng(seed), noise_pool=[other utterances])

`augment` leaves about a third of utterances clean and gives the rest a random
mix of speed change, reverberation, noise, telephone band and gain.  The output
may differ in length from the input (speed).  `python3 augment.py` self-tests.

Call `tune_malloc()` once per process (DataLoader workers inherit it): glibc
returns every large freed array to the kernel, and re-faulting those pages made
the FFTs here three times slower than the arithmetic in this VM.
"""
from fractions import Fraction

import numpy as np

SR = 16000


def tune_malloc(keep_bytes=256 << 20):
    """Keep freed arrays (up to keep_bytes) inside the process; glibc only."""
    import ctypes
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(libc.mallopt(m_mmap_threshold, 64 << 20) and
                libc.mallopt(m_trim_threshold, keep_bytes))


def _fft_len(n):
    return 1 << int(np.ceil(np.log2(max(n, 2))))


def speed(x, factor, taps=16):
    """Play `factor` times faster (pitch and tempo change, like sox `speed`):
    polyphase windowed-sinc resampling, low-passed when shrinking so it does
    not alias.  factor = down/up as a small fraction (0.9 = 9/10), so there are
    only `up` distinct filter phases and each is a few strided vector ops."""
    fr = Fraction(factor).limit_denominator(200)
    up, down = fr.denominator, fr.numerator
    x = np.asarray(x, np.float32)
    n_out = len(x) * up // down
    cutoff = min(1.0, up / down)
    half = taps // 2
    k = np.arange(-half + 1, half + 1)
    xp = np.concatenate([np.zeros(half, np.float32), x, np.zeros(half + 1, np.float32)])
    out = np.empty(n_out, np.float32)
    for p in range(min(up, n_out)):
        # outputs p, p+up, p+2up, ... read inputs base, base+down, ... at the same fraction
        base, rem = divmod(p * down, up)
        d = rem / up - k
        w = cutoff * np.sinc(cutoff * d) * (0.5 + 0.5 * np.cos(np.pi * d / (half + 1)))
        count = (n_out - 1 - p) // up + 1
        acc = np.zeros(count, np.float32)
        for kk, wk in zip(k, w.astype(np.float32)):
            s = base + kk + half
            acc += wk * xp[s:s + down * (count - 1) + 1:down]
        out[p::up] = acc
    return out


def _power(x):
    return float(np.mean(np.square(x, dtype=np.float64))) + 1e-12


def white_noise(n, rng):
    return rng.standard_normal(n).astype(np.float32)


def pink_noise(n, rng):
    """1/f power spectrum: shape white noise in the frequency domain."""
    m = _fft_len(n)
    spec = rng.standard_normal(m // 2 + 1) + 1j * rng.standard_normal(m // 2 + 1)
    f = np.arange(m // 2 + 1, dtype=np.float64)
    f[0] = 1.0
    return np.fft.irfft(spec / np.sqrt(f), m)[:n].astype(np.float32)


def babble_noise(n, rng, pool):
    """Several other utterances at random offsets, each at equal loudness: the
    competing-talker noise a real room has and white noise does not imitate."""
    out = np.zeros(n, np.float32)
    for i in rng.choice(len(pool), size=min(len(pool), int(rng.integers(3, 7))), replace=False):
        s = np.asarray(pool[i], np.float32)
        s = np.tile(s, int(np.ceil(n / max(len(s), 1))) + 1)
        off = int(rng.integers(0, len(s) - n + 1))
        seg = s[off:off + n]
        out += seg / np.sqrt(_power(seg))
    return out


def add_noise(x, noise, snr_db):
    """Scale `noise` so that power(x) / power(noise) is `snr_db`, and add it."""
    g = np.sqrt(_power(x) / (_power(noise) * 10 ** (snr_db / 10)))
    return (x + g * noise).astype(np.float32)


def fft_convolve(x, h):
    m = _fft_len(len(x) + len(h) - 1)
    return np.fft.irfft(np.fft.rfft(x, m) * np.fft.rfft(h, m), m)[:len(x)].astype(np.float32)


def reverb(x, rng, rt60=None, drr_db=None):
    """Synthetic room: a direct path plus an exponentially decaying noise tail
    that falls 60 dB in rt60 seconds; the tail is cut where it has decayed."""
    rt60 = rng.uniform(0.2, 0.8) if rt60 is None else rt60
    drr_db = rng.uniform(-3.0, 10.0) if drr_db is None else drr_db   # direct-to-reverberant
    n = int(rt60 * SR)
    t = np.arange(n) / SR
    tail = rng.standard_normal(n) * np.exp(-6.908 * t / rt60)       # ln(1000): 60 dB
    tail[:int(0.002 * SR)] = 0.0                                    # first reflections come later
    h = tail / np.sqrt(np.sum(tail ** 2)) * 10 ** (-drr_db / 20)
    h[0] = 1.0
    y = fft_convolve(x, h.astype(np.float32))
    return y * np.sqrt(_power(x) / _power(y))                       # keep the level


def _band_mask(m, lo, hi, edge=100.0):
    """Raised-cosine band-pass gains for an rfft of length m (soft edges ring less)."""
    f = np.fft.rfftfreq(m, 1 / SR)
    up = np.clip((f - (lo - edge / 2)) / edge, 0, 1)
    down = np.clip(((hi + edge / 2) - f) / edge, 0, 1)
    return (0.5 - 0.5 * np.cos(np.pi * up)) * (0.5 - 0.5 * np.cos(np.pi * down))


def telephone(x, mu=255):
    """300-3400 Hz, 8 kHz sampling and 8-bit mu-law, like a G.711 call."""
    n = len(x)
    m = _fft_len(n)
    mask = _band_mask(m, 300.0, 3400.0)
    y8 = np.fft.irfft(np.fft.rfft(x, m) * mask, m)[:n:2]        # band-limited, so ::2 is safe
    peak = np.max(np.abs(y8)) + 1e-9
    c = np.sign(y8) * np.log1p(mu * np.abs(y8 / peak)) / np.log1p(mu)
    c = np.round(c * 127) / 127                                 # 8-bit code
    y8 = np.sign(c) * np.expm1(np.abs(c) * np.log1p(mu)) / mu * peak
    z = np.zeros(m, np.float64)
    z[:2 * len(y8):2] = y8                                      # back to 16 kHz: zero-stuff
    return (np.fft.irfft(np.fft.rfft(z) * mask * 2, m)[:n]).astype(np.float32)


def vtlp_map(freqs, alpha, f_hi=4800.0, nyquist=SR / 2):
    """Vocal tract length perturbation's frequency warp (Jaitly & Hinton 2013):
    f -> alpha f up to a boundary, then linear so that the Nyquist frequency
    stays put."""
    b = f_hi * min(alpha, 1.0) / alpha
    return np.where(freqs <= b, alpha * freqs,
                    nyquist - (nyquist - alpha * b) / (nyquist - b) * (nyquist - freqs))


def vtlp(x, alpha, n_fft=512, hop=128):
    """Warps the spectrum of x by vtlp_map (as a longer or shorter vocal tract
    would) without changing its timing: STFT magnitudes resampled along
    frequency, original phases, overlap-add. The features keep only power
    spectra, so the phase mismatch matters little."""
    n = len(x)
    if n < n_fft:
        return x
    win = np.hanning(n_fft + 1)[:-1].astype(np.float32)
    pad = np.concatenate([np.zeros(n_fft, np.float32), x, np.zeros(n_fft, np.float32)])
    starts = np.arange(0, len(pad) - n_fft + 1, hop)
    frames = pad[starts[:, None] + np.arange(n_fft)] * win
    spec = np.fft.rfft(frames, axis=1)
    freqs = np.arange(spec.shape[1]) * SR / n_fft
    # the source frequency of each output bin: invert the (monotonic) warp
    src = np.interp(freqs, vtlp_map(freqs, alpha), freqs) * n_fft / SR
    mag = np.abs(spec)
    lo = np.clip(np.floor(src).astype(int), 0, spec.shape[1] - 1)
    hi = np.clip(lo + 1, 0, spec.shape[1] - 1)
    frac = (src - lo).astype(np.float32)
    warped = mag[:, lo] * (1 - frac) + mag[:, hi] * frac
    y_frames = np.fft.irfft(warped * np.exp(1j * np.angle(spec)), n=n_fft, axis=1) * win
    out = np.zeros(len(pad), np.float32)
    norm = np.zeros(len(pad), np.float32)
    for k, st in enumerate(starts):  # overlap-add; a few hundred frames per second
        out[st: st + n_fft] += y_frames[k]
        norm[st: st + n_fft] += win * win
    y = out[n_fft: n_fft + n] / np.maximum(norm[n_fft: n_fft + n], 1e-3)
    return y.astype(np.float32)


def gain(x, db):
    return np.clip(x * np.float32(10 ** (db / 20)), -1.0, 1.0).astype(np.float32)


def augment(wave, rng, noise_pool=None):
    """A random mix of the above; about 1/3 of calls return the input unchanged."""
    x = np.asarray(wave, np.float32)
    if len(x) < 160 or rng.random() < 1 / 3:
        return x
    do = {k: rng.random() < p for k, p in
          (("speed", 0.5), ("vtlp", 0.4), ("reverb", 0.35), ("noise", 0.6), ("phone", 0.15),
           ("gain", 0.5))}
    if not any(do.values()):
        do["noise"] = True
    if do["speed"]:
        x = speed(x, 0.9 if rng.random() < 0.5 else 1.1)
    if do["vtlp"]:
        x = vtlp(x, rng.uniform(0.9, 1.1))
    if do["reverb"]:
        x = reverb(x, rng)
    if do["noise"]:
        kind = rng.choice(["white", "pink", "babble"] if noise_pool else ["white", "pink"])
        noise = (white_noise(len(x), rng) if kind == "white" else pink_noise(len(x), rng)
                 if kind == "pink" else babble_noise(len(x), rng, noise_pool))
        x = add_noise(x, noise, rng.uniform(5.0, 25.0))
    if do["phone"]:
        x = telephone(x)
    # gain() clips like an ADC would; without it, still keep the input's range
    return gain(x, rng.uniform(-12.0, 6.0) if do["gain"] else 0.0)


def _self_test():
    import time
    rng = np.random.default_rng(0)
    t = np.arange(5 * SR) / SR
    # vowel-like test signal: harmonics of 150 Hz under a 4 Hz syllable envelope
    x = (0.1 * np.sin(2 * np.pi * 4 * t) ** 2 *
         sum(np.sin(2 * np.pi * 150 * h * t) / h for h in range(1, 20))).astype(np.float32)

    sine = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    for f in (0.9, 1.1):
        y = speed(sine, f)
        assert len(y) == int(len(sine) / f)
        peak = np.argmax(np.abs(np.fft.rfft(y))) * SR / len(y)
        assert abs(peak - 1000 * f) < 2, peak
    y = speed(x, 1.0)
    assert np.max(np.abs(y - x)) < 1e-4                        # factor 1 is the identity

    for noise in (white_noise(len(x), rng), pink_noise(len(x), rng),
                  babble_noise(len(x), rng, [x[::-1], x * 2, np.roll(x, 999), x[:3000]])):
        y = add_noise(x, noise, 10.0)
        snr = 10 * np.log10(_power(x) / _power(y - x))
        assert abs(snr - 10.0) < 0.01, snr

    y = vtlp(x, 1.0)
    assert len(y) == len(x) and np.max(np.abs(y - x)) < 1e-3     # alpha 1 is the identity
    y = vtlp(sine, 1.1)
    peak = np.argmax(np.abs(np.fft.rfft(y))) * SR / len(y)
    assert abs(peak - 1100) < 32, peak                         # 1 kHz moves to 1.1 kHz (+- a bin)

    y = reverb(x, rng, rt60=0.5)
    assert len(y) == len(x) and abs(_power(y) / _power(x) - 1) < 1e-3

    y = telephone(sine)
    assert np.abs(y).max() > 0.5                               # 1 kHz passes
    low = telephone(np.sin(2 * np.pi * 100 * t).astype(np.float32))
    assert np.sqrt(_power(low)) < 0.05                         # 100 Hz is cut

    pool = [np.roll(x, 1000 * i) for i in range(8)]
    for tuned in (False, True):
        if tuned:
            tune_malloc()
        t0 = time.perf_counter()
        n_clean = 0
        for i in range(300):
            y = augment(x, rng, pool)
            assert y.dtype == np.float32 and np.all(np.isfinite(y)) and np.abs(y).max() <= 1.0
            n_clean += y is x
        dt = time.perf_counter() - t0
        print(f"self-test ok: {n_clean / 300:.0%} clean, augment() costs "
              f"{dt / (300 * 5) * 1e3:.2f} ms per audio second ({300 * 5 / dt:.0f} x real time)"
              f"{', after tune_malloc()' if tuned else ''}")


if __name__ == "__main__":
    _self_test()
