"""A minimal GGUF v3 writer (the container of llama.cpp and whisper.cpp).

Only what the model and dictionary files need: scalar, string and
string-array metadata, float32 and float16 tensors and int8/int32 tables. Layout, little-endian throughout:

    "GGUF", u32 version 3, u64 tensor count, u64 metadata count
    metadata: string key, u32 type, value
    tensor infos: string name, u32 n_dims, u64 dims (innermost first, as
                  ggml: a PyTorch [rows, cols] matrix is written {cols, rows}),
                  u32 ggml type (0 = F32, 1 = F16), u64 offset into the data section
    padding to the alignment, then the tensor data, each tensor aligned

where a string is a u64 byte length followed by UTF-8 bytes (no NUL).
"""
import struct

import numpy as np

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3

# Metadata value types (GGUF specification).
UINT32 = 4
FLOAT32 = 6
BOOL = 7
STRING = 8
ARRAY = 9

GGML_F32 = 0
GGML_F16 = 1
GGML_I8 = 24
GGML_I32 = 26
_GGML_TYPE = {"<f4": GGML_F32, "<f2": GGML_F16, "|i1": GGML_I8, "<i4": GGML_I32}


def _string(s):
    data = s.encode("utf-8")
    if b"\0" in data:
        raise ValueError("GGUF strings here may not contain NUL: %r" % s)
    return struct.pack("<Q", len(data)) + data


class GGUFWriter:
    def __init__(self, alignment=32):
        if alignment <= 0 or alignment & (alignment - 1):
            raise ValueError("alignment must be a power of two")
        self.alignment = alignment
        self.kv = []  # (key, encoded type + value)
        self.tensors = []  # (name, float32 array)
        self.add_u32("general.alignment", alignment)

    def _add(self, key, payload):
        if any(k == key for k, _ in self.kv):
            raise ValueError("duplicate metadata key " + key)
        self.kv.append((key, payload))

    def add_u32(self, key, value):
        value = int(value)
        if not 0 <= value < 2**32:
            raise ValueError("%s = %d does not fit a u32" % (key, value))
        self._add(key, struct.pack("<II", UINT32, value))

    def add_f32(self, key, value):
        self._add(key, struct.pack("<If", FLOAT32, float(value)))

    def add_bool(self, key, value):
        self._add(key, struct.pack("<IB", BOOL, 1 if value else 0))

    def add_string(self, key, value):
        self._add(key, struct.pack("<I", STRING) + _string(value))

    def add_string_array(self, key, values):
        payload = struct.pack("<IIQ", ARRAY, STRING, len(values))
        self._add(key, payload + b"".join(_string(v) for v in values))

    def add_tensor(self, name, array, dtype="<f4"):
        """Adds a tensor given in PyTorch (row-major) shape order: float32,
        float16 ("<f2", the weight matrices of a model file), or int8 ("|i1")
        or int32 ("<i4") for the tables of a dictionary file."""
        if len(name.encode("utf-8")) > 64:
            raise ValueError("tensor name too long: " + name)
        if any(n == name for n, _ in self.tensors):
            raise ValueError("duplicate tensor " + name)
        if dtype not in _GGML_TYPE:
            raise ValueError("tensor %s: type %s not supported" % (name, dtype))
        if dtype == "<f2" and not np.all(np.abs(array) <= np.finfo(np.float16).max):
            raise ValueError("tensor %s: values beyond float16's range" % name)
        array = np.ascontiguousarray(array, dtype=dtype)
        if not 1 <= array.ndim <= 4 or array.size == 0:
            raise ValueError("tensor %s: shape %s not supported" % (name, array.shape))
        self.tensors.append((name, array))

    def _pad(self, n):
        return (self.alignment - n % self.alignment) % self.alignment

    def write(self, path):
        header = bytearray(GGUF_MAGIC)
        header += struct.pack("<IQQ", GGUF_VERSION, len(self.tensors), len(self.kv))
        for key, payload in self.kv:
            header += _string(key) + payload
        offset = 0
        for name, array in self.tensors:
            header += _string(name) + struct.pack("<I", array.ndim)
            header += struct.pack("<%dQ" % array.ndim, *reversed(array.shape))
            header += struct.pack("<IQ", _GGML_TYPE[array.dtype.str], offset)
            offset += array.nbytes + self._pad(array.nbytes)
        header += b"\0" * self._pad(len(header))
        with open(path, "wb") as f:
            f.write(header)
            for _, array in self.tensors:
                f.write(array.tobytes())
                f.write(b"\0" * self._pad(array.nbytes))
