"""asr: streaming speech recognition on the CPU, over the C library libasr.

    import asr
    print(asr.transcribe("talk.wav"))            # the same text as `asr transcribe`

    model = asr.Model()                           # the default model (see default_path)
    lm = asr.LM()                                 # the default word LM
    with asr.Stream(model, lm=lm) as s:
        for chunk in chunks:                      # numpy floats, int16 bytes or a list
            s.accept_waveform(16000, chunk)
            print(s.partial())
        s.finish()
        for w in s.result().words:
            print(w.word, w.start, w.end, w.confidence)

A Model, LM or Dict is immutable and may be shared by any number of threads
and streams; a Stream is for one utterance at a time (calls on one stream
from several threads are serialised). The GIL is released while the engine
works, so streams in different threads decode in parallel. Errors of the
engine are AsrError with its message; wrong argument types are TypeError or
ValueError.
"""
import ctypes
import os
import threading
import warnings
from typing import List, NamedTuple, Optional

import numpy as np

from . import _lib
from ._lib import AsrError

__all__ = ["AsrError", "Model", "LM", "Dict", "Stream", "Result", "Word", "Partial",
           "transcribe", "read_audio", "default_path", "version", "__version__"]

__version__ = "0.1.0"
version = _lib.version  # of the loaded libasr
_C = _lib.lib

DEFAULT_MODELS = ("en-bilstm-phones.gguf", "en-bilstm.gguf", "en-lstm.gguf")  # as `asr transcribe`
DEFAULT_LM = "en-3gram.lmbin"
DEFAULT_DICT = "en-cmudict.dict"


def default_path(name, env=None):
    """The file `name` (e.g. "en-3gram.lmbin") as the CLI finds it: $env if
    set, else the first of data_dirs() that has it; None if none."""
    if env and env in os.environ:
        return os.environ[env] or None
    for d in _lib.data_dirs():
        p = os.path.join(d, name)
        if os.access(p, os.R_OK):
            return p
    return None


def _where(name):
    return ", ".join(d + "/" for d in _lib.data_dirs()) + " for " + name


def _path_arg(path, what):
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        raise TypeError(f"{what}: expected a file path (str or os.PathLike), not "
                        f"{type(path).__name__}")
    return path.encode()


class _Handle:
    """An engine object that streams may use: closing it while they live
    marks it closed and frees it when the last one goes."""
    _free = None

    def __init__(self, ptr):
        self._ptr = ptr
        self._users = 0
        self._closed = False
        self._lock = threading.Lock()

    def _acquire(self, what):
        with self._lock:
            if self._closed:
                raise AsrError(f"{what}: this {type(self).__name__} was closed")
            self._users += 1
            return self._ptr

    def _release(self):
        with self._lock:
            self._users -= 1
            free = self._closed and self._users == 0
        if free:
            self._free_now()

    def _free_now(self):
        ptr, self._ptr = self._ptr, None
        if ptr:
            type(self)._free(ptr)

    @property
    def closed(self):
        return self._closed

    def close(self):
        """Frees the engine object (now, or when the last stream using it is
        closed); using it afterwards raises AsrError."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            free = self._users == 0
        if free:
            self._free_now()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class ModelInfo(NamedTuple):
    name: str
    cell: str
    unit: str  # "characters" or "phones" (these need a Dict)
    bidirectional: bool
    num_layers: int
    hidden_size: int
    num_params: int
    sample_rate: int
    frame_shift_ms: int
    vocab_size: int
    lm_alpha: float  # the LM weight tuned for this model: Stream's default alpha
    blank_penalty: float  # the blank penalty tuned for this model: Stream's default


class Model(_Handle):
    """An acoustic model file (.gguf). Model() loads the default one, as
    `asr transcribe` does: $ASR_MODEL, else the first of en-bilstm-phones.gguf,
    en-bilstm.gguf, en-lstm.gguf in the data directories."""
    _free = _C.asr_model_free

    def __init__(self, path=None):
        if path is None:
            path = next((p for p in (default_path(n, "ASR_MODEL") for n in DEFAULT_MODELS) if p),
                        None)
            if path is None:
                raise AsrError("no model found: looked in " + _where(" or ".join(DEFAULT_MODELS))
                               + "; pass a path or set ASR_MODEL")
        ptr = _C.asr_model_load(_path_arg(path, "Model"))
        if not ptr:
            raise _lib.last_error()
        super().__init__(ptr)
        self.path = os.fspath(path)
        i = _C.asr_model_get_info(ptr)
        self.info = ModelInfo(i.name.decode(), i.cell.decode(), i.unit.decode(),
                              bool(i.bidirectional), i.num_layers, i.hidden_size, i.num_params,
                              i.sample_rate, i.frame_shift_ms, i.vocab_size,
                              round(i.lm_alpha, 6), round(i.blank_penalty, 6))

    def __repr__(self):
        return f"asr.Model({self.path!r})"


class LM(_Handle):
    """A word n-gram LM: the binary form of `asr lm-build` or ARPA (.gz).
    LM() loads the default: $ASR_LM, else en-3gram.lmbin in the data
    directories (AsrError if there is none)."""
    _free = _C.asr_lm_free

    def __init__(self, path=None):
        if path is None:
            path = default_path(DEFAULT_LM, "ASR_LM")
            if path is None:
                raise AsrError("no word LM found: looked in " + _where(DEFAULT_LM)
                               + "; pass a path or set ASR_LM")
        ptr = _C.asr_lm_load(_path_arg(path, "LM"))
        if not ptr:
            raise _lib.last_error()
        super().__init__(ptr)
        self.path = os.fspath(path)

    def __repr__(self):
        return f"asr.LM({self.path!r})"


class Dict(_Handle):
    """A pronunciation dictionary for phone models (docs/DICTIONARY.md), plus
    optional user pronunciations ("WORD PH PH ..." lines). Dict() loads the
    default: $ASR_DICT, else en-cmudict.dict in the data directories."""
    _free = _C.asr_dict_free

    def __init__(self, path=None, user_path=None):
        if path is None:
            path = default_path(DEFAULT_DICT, "ASR_DICT")
            if path is None:
                raise AsrError("no pronunciation dictionary found: looked in "
                               + _where(DEFAULT_DICT) + "; pass a path or set ASR_DICT")
        user = _path_arg(user_path, "Dict user_path") if user_path is not None else None
        ptr = _C.asr_dict_load(_path_arg(path, "Dict"), user)
        if not ptr:
            raise _lib.last_error()
        super().__init__(ptr)
        self.path = os.fspath(path)


class Word(NamedTuple):
    word: str
    start: float  # seconds from the start of the utterance
    end: float
    confidence: float  # 0..1


class Result(NamedTuple):
    text: str
    words: List[Word]
    audio_seconds: float

    def __str__(self):
        return self.text


class Partial(NamedTuple):
    stable: str  # never rewritten by later audio
    unstable: str  # may still change

    def __str__(self):
        return self.stable + self.unstable


def _samples(samples):
    """float32 C-contiguous samples from a numpy array, int16 bytes or a list."""
    if isinstance(samples, (bytes, bytearray, memoryview)):
        data = memoryview(samples).cast("B")
        if len(data) % 2:
            raise ValueError(f"samples: {len(data)} bytes is not a whole number of 16-bit "
                             "samples")
        return np.frombuffer(data, dtype="<i2").astype(np.float32) / np.float32(32768)
    if isinstance(samples, np.ndarray):
        if samples.ndim != 1:
            raise ValueError(f"samples: expected a 1-D array of mono samples, not shape "
                             f"{samples.shape}")
        if not samples.flags.c_contiguous:
            raise ValueError("samples: the array is not contiguous (a strided view?); pass "
                             "np.ascontiguousarray(samples)")
        if samples.dtype == np.float32:
            return samples
        if samples.dtype == np.float64:
            return samples.astype(np.float32)
        if samples.dtype == np.int16:
            return samples.astype(np.float32) / np.float32(32768)
        raise TypeError(f"samples: dtype {samples.dtype} is not supported: float32 or float64 "
                        "in [-1, 1], or int16")
    if isinstance(samples, (list, tuple)):
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in samples):
            bad = next(x for x in samples if not isinstance(x, (int, float)) or
                       isinstance(x, bool))
            raise TypeError(f"samples: a list of numbers expected, found {type(bad).__name__}")
        return np.asarray(samples, dtype=np.float32)
    raise TypeError(f"samples: expected a numpy array, bytes of int16 or a list of numbers, "
                    f"not {type(samples).__name__}")


class Stream:
    """One utterance at a time over a shared Model.

    lm: an LM for the beam search; dict: a Dict (phone models need one);
    beam: 1 = greedy (default, as the library chooses: 8, or with an LM 128,
    256 for a bidirectional model); alpha, beta: LM weight (default: the
    model's, model.info.lm_alpha) and word bonus; blank_penalty: subtracted
    from the blank's log-prob in every frame, 0..20 (default: the model's,
    model.info.blank_penalty); beam_prune: symbols with a log-prob below it
    in a frame are not searched, -100..0 (default -10: lower is wider and
    slower); the stream's beam, lm_alpha, blank_penalty and beam_prune
    attributes say what is in use;
    words: only these words (or phrases) can be recognised; hotwords: {word: boost} to favour (> 0) or
    avoid (< 0); endpoint_silence_ms, max_utterance_ms: see is_endpoint()."""

    def __init__(self, model, lm=None, dict=None, beam=None, alpha=None, beta=None,
                 words=None, hotwords=None, endpoint_silence_ms=None, max_utterance_ms=None,
                 blank_penalty=None, beam_prune=None):
        if not isinstance(model, Model):
            raise TypeError(f"Stream: model must be an asr.Model, not {type(model).__name__}")
        if lm is not None and not isinstance(lm, LM):
            raise TypeError(f"Stream: lm must be an asr.LM, not {type(lm).__name__}")
        if dict is not None and not isinstance(dict, Dict):
            raise TypeError(f"Stream: dict must be an asr.Dict, not {type(dict).__name__}")
        p = _C.asr_stream_default_params()  # beam and alpha: the library's, by the model
        if beam is not None:
            p.beam_size = _int_arg("beam", beam)
            if p.beam_size < 1:  # 0 would be the library's "by the model"
                raise ValueError(f"Stream: beam must be 1 or more, not {beam}")
        if alpha is not None:
            if not float(alpha) >= 0:
                raise ValueError(f"Stream: alpha must be 0 or more, not {alpha!r}")
            p.lm_alpha = float(alpha)
        if beta is not None:
            p.lm_beta = float(beta)
        if blank_penalty is not None:
            if not 0 <= float(blank_penalty) <= 20:  # asr.h's ASR_MAX_BLANK_PENALTY
                raise ValueError(f"Stream: blank_penalty must be from 0 to 20, not "
                                 f"{blank_penalty!r}")
            p.blank_penalty = float(blank_penalty)
        if beam_prune is not None:
            if not -100 <= float(beam_prune) <= 0:  # asr.h's ASR_MIN_BEAM_PRUNE
                raise ValueError(f"Stream: beam_prune must be from -100 to 0, not {beam_prune!r}")
            p.beam_prune = float(beam_prune)
        if endpoint_silence_ms is not None:
            p.endpoint_silence_ms = _int_arg("endpoint_silence_ms", endpoint_silence_ms)
        if max_utterance_ms is not None:
            p.endpoint_max_utterance_ms = _int_arg("max_utterance_ms", max_utterance_ms)
        # Copied by asr_stream_new; kept here only for the call.
        if words is not None:
            if isinstance(words, str) or not all(isinstance(w, str) for w in words):
                raise TypeError("Stream: words must be a list of str")
            word_array = (ctypes.c_char_p * len(words))(*(w.encode() for w in words))
            p.words, p.n_words = word_array, len(words)
        if hotwords is not None:
            items = list(hotwords.items()) if hasattr(hotwords, "items") else list(hotwords)
            hot = (_lib.Hotword * len(items))(*(_lib.Hotword(str(w).encode(), float(b))
                                                for w, b in items))
            p.hotwords, p.n_hotwords = ctypes.cast(hot, ctypes.c_void_p), len(items)
        self._lock = threading.Lock()
        self._ptr = None
        self._held = []
        for handle in (model, lm, dict):
            if handle is not None:
                handle._acquire("Stream")
                self._held.append(handle)
        self.model, self.lm, self.dict = model, lm, dict
        p.lm = lm._ptr if lm is not None else None
        p.dict = dict._ptr if dict is not None else None
        used = _C.asr_stream_params_for(model._ptr, ctypes.byref(p))
        self.beam, self.lm_alpha = used.beam_size, round(used.lm_alpha, 6)  # in use
        self.blank_penalty = round(used.blank_penalty, 6)
        self.beam_prune = round(used.beam_prune, 6)
        ptr = _C.asr_stream_new(model._ptr, ctypes.byref(p))
        if not ptr:
            err = _lib.last_error()
            self._release_handles()
            raise err
        self._ptr = ptr

    def _release_handles(self):
        held, self._held = self._held, []
        for handle in held:
            handle._release()

    def _use(self, what):
        """The stream pointer, checking that it and its model are still usable."""
        if self._ptr is None:
            raise AsrError(f"Stream.{what}: the stream is closed")
        for handle in self._held:
            if handle.closed:
                raise AsrError(f"Stream.{what}: the stream's {type(handle).__name__} was "
                               "closed while the stream was in use")
        return self._ptr

    def accept_waveform(self, sample_rate, samples):
        """Feeds mono samples at sample_rate Hz (1000..384000, the same within
        one utterance): a numpy float32/float64 array in [-1, 1], an int16
        array, bytes of little-endian int16, or a list of floats."""
        rate = _int_arg("sample_rate", sample_rate)
        x = _samples(samples)
        with self._lock:
            ptr = self._use("accept_waveform")
            status = _C.asr_stream_accept_waveform(
                ptr, rate, x.ctypes.data_as(_lib._f32p), x.size)
            if status:
                raise _lib.last_error(status)

    def finish(self):
        """Ends the utterance: the last word, and all of a bidirectional
        model's work. Returns the final Result."""
        with self._lock:
            status = _C.asr_stream_finish(self._use("finish"))
            if status:
                raise _lib.last_error(status)
            return self._result()

    def partial(self):
        """The transcript so far: Partial(stable, unstable); str() joins them."""
        with self._lock:
            p = _C.asr_stream_partial(self._use("partial"))
            return Partial(p.stable.decode(), p.unstable.decode())

    def result(self):
        """The best transcript so far (final after finish()): text, words
        with start/end seconds and confidences, audio_seconds."""
        with self._lock:
            self._use("result")
            return self._result()

    def _result(self):
        r = _C.asr_stream_result(self._ptr).contents
        words = [Word(w.word.decode(), w.start, w.end, w.confidence)
                 for w in r.words[:r.n_words]]
        return Result(r.text.decode(), words, r.audio_seconds)

    def is_endpoint(self):
        """True when the speaker has paused (live audio): call finish(), take
        the result, then reset() for the next utterance."""
        with self._lock:
            return bool(_C.asr_stream_is_endpoint(self._use("is_endpoint")))

    def reset(self):
        """Clears the stream for a new utterance."""
        with self._lock:
            _C.asr_stream_reset(self._use("reset"))

    @property
    def closed(self):
        return self._ptr is None

    def close(self):
        with self._lock:
            ptr, self._ptr = self._ptr, None
        if ptr:
            _C.asr_stream_free(ptr)
            self._release_handles()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def _int_arg(name, v):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{name}: expected an int, not {type(v).__name__}")
    return int(v)


def read_audio(path):
    """(samples, sample_rate) of any file libsndfile reads, mixed to mono,
    as float32 in [-1, 1]: the reader of `asr transcribe`."""
    a = _lib.AudioStruct()
    status = _C.asr_audio_read_file(_path_arg(path, "read_audio"), ctypes.byref(a))
    if status:
        raise _lib.last_error(status)
    try:
        return np.ctypeslib.as_array(a.samples, shape=(a.n,)).copy(), a.sample_rate
    finally:
        _C.asr_audio_free(ctypes.byref(a))


def transcribe(path, model=None, lm=None, dict=None, **stream_options):
    """The Result for one audio file (str() is its text), decoded with the
    settings of `asr transcribe`: the default model and word LM unless given (a
    warning when no LM is found), beam 128 with an LM (256 for a bidirectional
    model), a dictionary for phone
    models. model/lm/dict may be paths or loaded objects; lm=False: no LM.
    The whole file is one utterance: unlike the CLI, which cuts a recording
    at pauses and starts each piece 600 ms before its first sound, so a word
    that is a near-tie can come out differently."""
    owned = []
    try:
        if not isinstance(model, Model):
            model = Model(model)
            owned.append(model)
        if lm is None:
            lm_path = default_path(DEFAULT_LM, "ASR_LM")
            if lm_path is None and "ASR_LM" not in os.environ:
                warnings.warn("asr: no word LM found (looked in " + _where(DEFAULT_LM) +
                              "): decoding without one; pass lm= or set ASR_LM", stacklevel=2)
            lm = lm_path
        if lm is False or lm is None:
            lm = None
        elif not isinstance(lm, LM):
            lm = LM(lm)
            owned.append(lm)
        if dict is None and model.info.unit == "phones":
            dict = Dict()
            owned.append(dict)
        elif dict is not None and not isinstance(dict, Dict):
            dict = Dict(dict)
            owned.append(dict)
        samples, rate = read_audio(path)
        with Stream(model, lm=lm, dict=dict, **stream_options) as s:
            piece = rate // 2  # half-second pieces, as the CLI feeds them
            for at in range(0, samples.size, piece):
                s.accept_waveform(rate, samples[at:at + piece])
            return s.finish()
    finally:
        for handle in owned:
            handle.close()
