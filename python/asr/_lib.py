"""Finding, checking and describing libasr for ctypes.

ctypes (not cffi): it is in the standard library, so the package needs no
compiler and nothing beyond Debian's python3 and python3-numpy, and a
ctypes.CDLL call releases the GIL for its whole duration, so threads that
decode at the same time run in parallel.
"""
import ctypes
import os

ABI_MAJOR = 0  # the libasr.so.MAJOR this package is written for
SONAME = f"libasr.so.{ABI_MAJOR}"
_HERE = os.path.dirname(os.path.abspath(__file__))


class AsrError(RuntimeError):
    """An error reported by the engine (or a misuse of this package).
    str(e) is the engine's message; e.status names the kind ("I/O error" ...)."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


_f32p = ctypes.POINTER(ctypes.c_float)


class StreamParams(ctypes.Structure):
    """asr_stream_params of include/asr.h (same order)."""
    _fields_ = [("beam_size", ctypes.c_int), ("beam_prune", ctypes.c_float),
                ("endpoint_silence_ms", ctypes.c_int),
                ("endpoint_max_utterance_ms", ctypes.c_int),
                ("lm", ctypes.c_void_p), ("lm_alpha", ctypes.c_float),
                ("lm_beta", ctypes.c_float),
                ("words", ctypes.POINTER(ctypes.c_char_p)), ("n_words", ctypes.c_size_t),
                ("hotwords", ctypes.c_void_p), ("n_hotwords", ctypes.c_size_t),
                ("dict", ctypes.c_void_p), ("blank_penalty", ctypes.c_float)]


class Hotword(ctypes.Structure):
    _fields_ = [("word", ctypes.c_char_p), ("boost", ctypes.c_float)]


class ModelInfoStruct(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("cell", ctypes.c_char_p),
                ("unit", ctypes.c_char_p), ("bidirectional", ctypes.c_int),
                ("num_layers", ctypes.c_int), ("hidden_size", ctypes.c_int),
                ("num_params", ctypes.c_size_t), ("sample_rate", ctypes.c_int),
                ("frame_shift_ms", ctypes.c_int), ("vocab_size", ctypes.c_int),
                ("lm_alpha", ctypes.c_float), ("blank_penalty", ctypes.c_float)]


class PartialStruct(ctypes.Structure):
    _fields_ = [("stable", ctypes.c_char_p), ("unstable", ctypes.c_char_p)]


class WordStruct(ctypes.Structure):
    _fields_ = [("word", ctypes.c_char_p), ("start", ctypes.c_float),
                ("end", ctypes.c_float), ("confidence", ctypes.c_float)]


class ResultStruct(ctypes.Structure):
    _fields_ = [("text", ctypes.c_char_p), ("words", ctypes.POINTER(WordStruct)),
                ("n_words", ctypes.c_size_t), ("audio_seconds", ctypes.c_double)]


class AudioStruct(ctypes.Structure):
    _fields_ = [("samples", _f32p), ("n", ctypes.c_size_t), ("sample_rate", ctypes.c_int)]


def _candidates():
    """Where libasr is looked for, in order."""
    env = os.environ.get("ASR_LIBRARY")
    if env:
        return [env]  # asked for: nothing else
    # The system's search (ld.so.conf, LD_LIBRARY_PATH): an installed library.
    found = [SONAME]
    # Run from the source tree: its build/.
    found.append(os.path.join(_HERE, "..", "..", "build", "libasr.so"))
    return found


def _open():
    errors = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            errors.append(str(e))
    raise ImportError("asr: libasr not found (" + "; ".join(errors) + "): install it "
                      "(cmake --install, or the .deb), set LD_LIBRARY_PATH to its folder, "
                      "or set ASR_LIBRARY to the file")


def _check_version(lib, path):
    try:
        fn = lib.asr_version
    except AttributeError:
        raise ImportError(f"asr: {path} has no asr_version(): not libasr, or older than 0.1")
    fn.restype = ctypes.c_char_p
    fn.argtypes = []
    version = fn().decode()
    major = version.split(".")[0]
    if major != str(ABI_MAJOR):
        raise ImportError(f"asr: {path} is libasr {version}, but this package needs major "
                          f"version {ABI_MAJOR} ({SONAME})")
    return version


def _declare(lib):
    c = ctypes
    vp = c.c_void_p
    sigs = {
        "asr_last_error": (c.c_char_p, []),
        "asr_status_str": (c.c_char_p, [c.c_int]),
        "asr_model_load": (vp, [c.c_char_p]),
        "asr_model_free": (None, [vp]),
        "asr_model_get_info": (ModelInfoStruct, [vp]),
        "asr_lm_load": (vp, [c.c_char_p]),
        "asr_lm_free": (None, [vp]),
        "asr_dict_load": (vp, [c.c_char_p, c.c_char_p]),
        "asr_dict_free": (None, [vp]),
        "asr_stream_default_params": (StreamParams, []),
        "asr_stream_params_for": (StreamParams, [vp, c.POINTER(StreamParams)]),
        "asr_stream_new": (vp, [vp, c.POINTER(StreamParams)]),
        "asr_stream_free": (None, [vp]),
        "asr_stream_accept_waveform": (c.c_int, [vp, c.c_int, _f32p, c.c_size_t]),
        "asr_stream_finish": (c.c_int, [vp]),
        "asr_stream_reset": (None, [vp]),
        "asr_stream_partial": (PartialStruct, [vp]),
        "asr_stream_result": (c.POINTER(ResultStruct), [vp]),
        "asr_stream_is_endpoint": (c.c_int, [vp]),
        "asr_audio_read_file": (c.c_int, [c.c_char_p, c.POINTER(AudioStruct)]),
        "asr_audio_free": (None, [c.POINTER(AudioStruct)]),
    }
    for name, (restype, argtypes) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


lib, path = _open()
version = _check_version(lib, path)
_declare(lib)


def last_error(status=None):
    """The engine's message for the calling thread, as an AsrError."""
    name = lib.asr_status_str(status).decode() if status is not None else None
    return AsrError(lib.asr_last_error().decode(errors="replace"), name)


def data_dirs():
    """Where default models and data are looked for, after the variables:
    $ASR_DATA_DIR, then share/asr and pretrained/ beside the loaded library
    (PREFIX/lib/libasr.so.0 -> PREFIX/share/asr; build/ -> the source tree)."""
    dirs = []
    if os.environ.get("ASR_DATA_DIR"):
        dirs.append(os.environ["ASR_DATA_DIR"])
    lib_dir = os.path.dirname(_loaded_path())
    multiarch = "-linux-" in os.path.basename(lib_dir)  # lib/x86_64-linux-gnu/
    parent = os.path.realpath(os.path.join(lib_dir, "..", "..") if multiarch else
                              os.path.join(lib_dir, ".."))
    dirs += [os.path.join(parent, "share", "asr"), os.path.join(parent, "pretrained")]
    return dirs


def _loaded_path():
    """The file the dynamic loader actually opened for libasr."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                if "/libasr.so" in line:
                    return line.split(None, 5)[5].strip()
    except OSError:
        pass
    return os.path.abspath(path)
