"""ctypes binding to the project's C library (build/libasr.so).

Training computes its features with the same C code that runs at inference,
so the two can never drift apart. Audio decoding and resampling also go
through the library for the same reason.
"""
import ctypes
import os

import numpy as np

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_f32p = ctypes.POINTER(ctypes.c_float)


class FeatureConfig(ctypes.Structure):
    # Mirrors asr_feature_config in include/asr.h.
    _fields_ = [
        ("sample_rate", ctypes.c_int),
        ("frame_length_ms", ctypes.c_float),
        ("frame_shift_ms", ctypes.c_float),
        ("num_mel_bins", ctypes.c_int),
        ("num_ceps", ctypes.c_int),
        ("low_freq", ctypes.c_float),
        ("high_freq", ctypes.c_float),
        ("preemph", ctypes.c_float),
        ("cepstral_lifter", ctypes.c_float),
        ("delta_order", ctypes.c_int),
        ("delta_window", ctypes.c_int),
        ("stack", ctypes.c_int),
        ("cmvn_prior_frames", ctypes.c_float),
        ("cmvn_mean", _f32p),
    ]

    def as_dict(self):
        return {name: getattr(self, name) for name, _ in self._fields_ if name != "cmvn_mean"}


class _Audio(ctypes.Structure):
    _fields_ = [("samples", _f32p), ("n", ctypes.c_size_t), ("sample_rate", ctypes.c_int)]


def _load():
    path = os.environ.get("ASR_LIB", os.path.join(_ROOT, "build", "libasr.so"))
    if not os.path.exists(path):
        raise RuntimeError(f"{path} not found: build the project first (bash scripts/build.sh)")
    lib = ctypes.CDLL(path)
    lib.asr_last_error.restype = ctypes.c_char_p
    lib.asr_feature_default_config.restype = FeatureConfig
    lib.asr_feature_extractor_new.restype = ctypes.c_void_p
    lib.asr_feature_extractor_new.argtypes = [ctypes.POINTER(FeatureConfig)]
    lib.asr_feature_extractor_free.argtypes = [ctypes.c_void_p]
    lib.asr_feature_extractor_dim.argtypes = [ctypes.c_void_p]
    lib.asr_feature_extractor_accept.argtypes = [ctypes.c_void_p, _f32p, ctypes.c_size_t]
    lib.asr_feature_extractor_finish.argtypes = [ctypes.c_void_p]
    lib.asr_feature_extractor_read.restype = ctypes.c_size_t
    lib.asr_feature_extractor_read.argtypes = [ctypes.c_void_p, _f32p, ctypes.c_size_t]
    lib.asr_audio_read_file.argtypes = [ctypes.c_char_p, ctypes.POINTER(_Audio)]
    lib.asr_audio_free.argtypes = [ctypes.POINTER(_Audio)]
    lib.asr_resampler_new.restype = ctypes.c_void_p
    lib.asr_resampler_new.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.asr_resampler_free.argtypes = [ctypes.c_void_p]
    lib.asr_resampler_process.argtypes = [
        ctypes.c_void_p, _f32p, ctypes.c_size_t, ctypes.c_int,
        ctypes.POINTER(_f32p), ctypes.POINTER(ctypes.c_size_t)]
    return lib


_lib = _load()


def _check(status, what):
    if status != 0:
        raise RuntimeError(f"{what}: {_lib.asr_last_error().decode()}")


def default_config():
    return _lib.asr_feature_default_config()


def _ptr(a):
    return a.ctypes.data_as(_f32p)


def read_audio(path):
    """Mono float32 samples in [-1, 1] and their rate, via libsndfile."""
    a = _Audio()
    _check(_lib.asr_audio_read_file(path.encode(), ctypes.byref(a)), path)
    try:
        return np.ctypeslib.as_array(a.samples, shape=(a.n,)).copy(), a.sample_rate
    finally:
        _lib.asr_audio_free(ctypes.byref(a))


def resample(samples, in_rate, out_rate):
    """The inference resampler (libsamplerate), whole signal at once."""
    if in_rate == out_rate:
        return samples
    r = _lib.asr_resampler_new(in_rate, out_rate)
    if not r:
        raise RuntimeError(_lib.asr_last_error().decode())
    try:
        x = np.ascontiguousarray(samples, dtype=np.float32)
        out, n = _f32p(), ctypes.c_size_t()
        _check(_lib.asr_resampler_process(r, _ptr(x), x.size, 0, ctypes.byref(out), ctypes.byref(n)),
               "resample")
        head = np.ctypeslib.as_array(out, shape=(n.value,)).copy() if n.value else np.zeros(0, np.float32)
        _check(_lib.asr_resampler_process(r, None, 0, 1, ctypes.byref(out), ctypes.byref(n)), "resample")
        tail = np.ctypeslib.as_array(out, shape=(n.value,)).copy() if n.value else np.zeros(0, np.float32)
        return np.concatenate([head, tail])
    finally:
        _lib.asr_resampler_free(r)


def features(samples, config, cmvn_mean=None):
    """Feature steps (steps x dim, float32) of a whole utterance at config.sample_rate.
    cmvn_mean (num_ceps floats) turns on streaming CMVN with config.cmvn_prior_frames."""
    cfg = FeatureConfig.from_buffer_copy(config)
    mean = None
    if cmvn_mean is not None:
        mean = np.ascontiguousarray(cmvn_mean, dtype=np.float32)
        cfg.cmvn_mean = _ptr(mean)
    else:
        cfg.cmvn_mean = None
        cfg.cmvn_prior_frames = 0
    fe = _lib.asr_feature_extractor_new(ctypes.byref(cfg))
    if not fe:
        raise RuntimeError(_lib.asr_last_error().decode())
    try:
        x = np.ascontiguousarray(samples, dtype=np.float32)
        _check(_lib.asr_feature_extractor_accept(fe, _ptr(x), x.size), "features")
        _check(_lib.asr_feature_extractor_finish(fe), "features")
        dim = _lib.asr_feature_extractor_dim(fe)
        samples_per_frame = max(1, round(cfg.frame_shift_ms * cfg.sample_rate / 1000))
        max_steps = x.size // samples_per_frame // max(cfg.stack, 1) + 2
        out = np.empty((max_steps, dim), dtype=np.float32)
        n = _lib.asr_feature_extractor_read(fe, _ptr(out), max_steps)
        return out[:n].copy()
    finally:
        _lib.asr_feature_extractor_free(fe)


class StreamParams(ctypes.Structure):
    """asr_stream_params of include/asr.h (keep in the same order)."""
    _fields_ = [("beam_size", ctypes.c_int), ("beam_prune", ctypes.c_float),
                ("endpoint_silence_ms", ctypes.c_int), ("endpoint_max_utterance_ms", ctypes.c_int),
                ("lm", ctypes.c_void_p), ("lm_alpha", ctypes.c_float), ("lm_beta", ctypes.c_float),
                ("words", ctypes.c_void_p), ("n_words", ctypes.c_size_t),
                ("hotwords", ctypes.c_void_p), ("n_hotwords", ctypes.c_size_t),
                ("dict", ctypes.c_void_p), ("blank_penalty", ctypes.c_float)]


def _stream_api():
    _lib.asr_stream_default_params.restype = StreamParams
    _lib.asr_stream_default_params.argtypes = []
    _lib.asr_dict_load.restype = ctypes.c_void_p
    _lib.asr_dict_load.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    _lib.asr_dict_free.argtypes = [ctypes.c_void_p]
    _lib.asr_model_load.restype = ctypes.c_void_p
    _lib.asr_model_load.argtypes = [ctypes.c_char_p]
    _lib.asr_model_free.argtypes = [ctypes.c_void_p]
    _lib.asr_stream_new.restype = ctypes.c_void_p
    _lib.asr_stream_new.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    _lib.asr_stream_free.argtypes = [ctypes.c_void_p]
    _lib.asr_stream_keep_logprobs.argtypes = [ctypes.c_void_p, ctypes.c_int]
    _lib.asr_stream_accept_waveform.argtypes = [ctypes.c_void_p, ctypes.c_int, _f32p, ctypes.c_size_t]
    _lib.asr_stream_finish.argtypes = [ctypes.c_void_p]
    _lib.asr_stream_logprobs.restype = _f32p
    _lib.asr_stream_logprobs.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t)]


_stream_api()


def engine_logprobs(model_path, samples, rate, vocab_size, dict_path=None):
    """The C engine's log-probabilities (steps x vocab) for a whole utterance;
    phone models need dict_path, their pronunciation dictionary."""
    model = _lib.asr_model_load(model_path.encode())
    if not model:
        raise RuntimeError(_lib.asr_last_error().decode())
    params = _lib.asr_stream_default_params()
    d = _lib.asr_dict_load(dict_path.encode(), None) if dict_path else None
    if dict_path and not d:
        _lib.asr_model_free(model)
        raise RuntimeError(_lib.asr_last_error().decode())
    params.dict = d
    stream = _lib.asr_stream_new(model, ctypes.byref(params))
    try:
        if not stream:
            raise RuntimeError(_lib.asr_last_error().decode())
        _lib.asr_stream_keep_logprobs(stream, 1)
        x = np.ascontiguousarray(samples, dtype=np.float32)
        _check(_lib.asr_stream_accept_waveform(stream, rate, _ptr(x), x.size), model_path)
        _check(_lib.asr_stream_finish(stream), model_path)
        n = ctypes.c_size_t()
        p = _lib.asr_stream_logprobs(stream, ctypes.byref(n))
        if n.value == 0:
            return np.zeros((0, vocab_size), np.float32)
        return np.ctypeslib.as_array(p, shape=(n.value, vocab_size)).copy()
    finally:
        _lib.asr_stream_free(stream)
        _lib.asr_model_free(model)
        _lib.asr_dict_free(d)
