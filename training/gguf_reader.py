"""Reads the GGUF v3 files that gguf_writer.py writes (metadata of the types
it writes; float32, float16, int8 and int32 tensors), e.g. to train further from a
shipped model or to load the G2P of a dictionary file."""
import struct

import numpy as np

from gguf_writer import (ARRAY, BOOL, FLOAT32, GGML_F16, GGML_F32, GGML_I8, GGML_I32, GGUF_MAGIC,
                         GGUF_VERSION, STRING, UINT32)

_DTYPE = {GGML_F32: "<f4", GGML_F16: "<f2", GGML_I8: "|i1", GGML_I32: "<i4"}


class _Cursor:
    def __init__(self, data, path):
        self.data, self.pos, self.path = data, 0, path

    def take(self, fmt):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise ValueError("%s: truncated at byte %d" % (self.path, self.pos))
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values if len(values) > 1 else values[0]

    def string(self):
        n = self.take("<Q")
        if self.pos + n > len(self.data):
            raise ValueError("%s: truncated string at byte %d" % (self.path, self.pos))
        s = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s

    def value(self, kind):
        if kind == UINT32:
            return self.take("<I")
        if kind == FLOAT32:
            return self.take("<f")
        if kind == BOOL:
            return bool(self.take("<B"))
        if kind == STRING:
            return self.string()
        if kind == ARRAY:
            item, n = self.take("<IQ")
            return [self.value(item) for _ in range(n)]
        raise ValueError("%s: metadata type %d not supported" % (self.path, kind))


def read(path):
    """Returns (metadata dict, {tensor name: array in PyTorch shape})."""
    with open(path, "rb") as f:
        data = f.read()
    c = _Cursor(data, path)
    if data[:4] != GGUF_MAGIC:
        raise ValueError("%s: not a GGUF file" % path)
    c.pos = 4
    version, n_tensors, n_kv = c.take("<IQQ")
    if version != GGUF_VERSION:
        raise ValueError("%s: GGUF version %d, expected %d" % (path, version, GGUF_VERSION))
    meta = {}
    for _ in range(n_kv):
        key = c.string()
        meta[key] = c.value(c.take("<I"))
    infos = []
    for _ in range(n_tensors):
        name = c.string()
        dims = c.take("<I")
        if not 1 <= dims <= 4:
            raise ValueError("%s: tensor %s has %d dimensions" % (path, name, dims))
        shape = tuple(c.take("<Q") for _ in range(dims))
        kind, offset = c.take("<IQ")
        if kind not in _DTYPE:
            raise ValueError("%s: tensor %s has type %d, not float32/int8/int32" % (path, name, kind))
        infos.append((name, tuple(reversed(shape)), offset, np.dtype(_DTYPE[kind])))
    alignment = meta.get("general.alignment", 32)
    base = c.pos + (alignment - c.pos % alignment) % alignment
    tensors = {}
    for name, shape, offset, dtype in infos:
        start, count = base + offset, int(np.prod(shape))
        if start + dtype.itemsize * count > len(data):
            raise ValueError("%s: tensor %s runs past the end of the file" % (path, name))
        tensors[name] = np.frombuffer(data, dtype, count, start).reshape(shape).copy()
    return meta, tensors
