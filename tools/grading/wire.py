"""The grader's wire format between the trusted parent and a sandboxed student process.

A frame is a JSON header plus raw array buffers, length-prefixed:

    u32 header length | header (UTF-8 JSON, with "nbuf") | nbuf times: u64 length | bytes

Values are plain data only: None, bool, int, float, str, and tagged objects:
``{"t": "tuple"|"list", "v": [...]}``, ``{"t": "dict", "v": [[key, value], ...]}``,
``{"t": "nd", "b": i, "dtype": "<f8", "shape": [...], "scalar": bool}`` (array i of the frame's buffers),
``{"t": "complex", "v": [re, im]}``, and the references ``{"t": "ref"|"fn"|"rng"|"own", ...}``
that each side interprets itself. Nothing is ever unpickled; arrays are numeric (bool, int, uint,
float, complex) and are rebuilt with ``numpy.frombuffer``.

This module is copied into the sandbox: it imports only numpy and the standard library.
"""
import json
import struct

import numpy as np

MAX_HEADER = 64 << 20      # bytes of JSON in one frame
MAX_FRAME = 512 << 20      # bytes in one frame, buffers included
MAX_DEPTH = 64             # nesting of lists/tuples/dicts
_KINDS = "biufc"


class WireError(Exception):
    """A frame or a value that breaks the format (from the untrusted side: treated as a crash)."""


def frame(header, buffers=()):
    """Bytes of one frame."""
    header = dict(header, nbuf=len(buffers))
    head = json.dumps(header, allow_nan=True).encode()
    parts = [struct.pack(">I", len(head)), head]
    for b in buffers:
        parts += [struct.pack(">Q", len(b)), b]
    return b"".join(parts)


def parse(data):
    """(header, buffers, bytes used) of the first complete frame in ``data``, or None if incomplete.

    Raises WireError for a frame that is too large or malformed.
    """
    if len(data) < 4:
        return None
    (hlen,) = struct.unpack(">I", data[:4])
    if hlen > MAX_HEADER:
        raise WireError(f"frame header of {hlen} bytes is over the limit of {MAX_HEADER}")
    if len(data) < 4 + hlen:
        return None
    try:
        header = json.loads(bytes(data[4:4 + hlen]))
    except (ValueError, RecursionError) as err:
        raise WireError(f"unreadable frame header: {err}") from None
    nbuf = header.get("nbuf") if isinstance(header, dict) else None
    if not isinstance(nbuf, int) or not 0 <= nbuf <= 100_000:
        raise WireError(f"frame header must be an object with nbuf in [0, 100000], got {str(header)[:80]}")
    pos, buffers = 4 + hlen, []
    for _ in range(nbuf):
        if len(data) < pos + 8:
            return None
        (blen,) = struct.unpack(">Q", data[pos:pos + 8])
        if pos + 8 + blen > MAX_FRAME:
            raise WireError(f"frame of more than {MAX_FRAME} bytes")
        if len(data) < pos + 8 + blen:
            return None
        buffers.append(bytes(data[pos + 8:pos + 8 + blen]))
        pos += 8 + blen
    return header, buffers, pos


def read_frame(fd):
    """Blocking read of one frame from a file descriptor (the sandbox side); None at end of file."""
    import os

    data = bytearray()
    while True:
        got = parse(data)
        if got is not None:
            return got[0], got[1]
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return None
        data += chunk


def write_all(fd, data):
    import os

    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class Encoder:
    """Turns a value into JSON-able data plus buffers; ``other(obj)`` handles what is not plain data
    (it returns a tagged dict or raises TypeError)."""

    def __init__(self, other):
        self.other, self.buffers, self.arrays, self._memo = other, [], [], {}

    def __call__(self, x, depth=0):
        if depth > MAX_DEPTH:
            raise TypeError("value nested too deeply")
        if x is None or isinstance(x, (bool, str)):
            return x
        if isinstance(x, int) and type(x) in (int,):
            return x
        if type(x) is float:
            return x
        if isinstance(x, np.ndarray) and x.dtype.kind in _KINDS and x.dtype.fields is None:
            return self.array(x)
        if isinstance(x, np.generic) and x.dtype.kind in _KINDS:
            return dict(self.array(np.asarray(x)), scalar=True)
        if isinstance(x, complex):
            return {"t": "complex", "v": [x.real, x.imag]}
        if isinstance(x, (int, float)):          # subclasses (e.g. IntEnum): as the plain number
            return int(x) if isinstance(x, int) else float(x)
        if isinstance(x, tuple):
            return {"t": "tuple", "v": [self(v, depth + 1) for v in x]}
        if isinstance(x, list):
            return {"t": "list", "v": [self(v, depth + 1) for v in x]}
        if isinstance(x, dict) and all(k is None or isinstance(k, (str, int, float, bool)) for k in x):
            return {"t": "dict", "v": [[self(k, depth + 1), self(v, depth + 1)] for k, v in x.items()]}
        return self.other(x)

    def array(self, a):
        key = id(a)
        if key in self._memo and self.arrays[self._memo[key]] is a:   # the same array twice: one buffer
            i = self._memo[key]
        else:
            i = len(self.buffers)
            self._memo[key] = i
            self.arrays.append(a)
            self.buffers.append(np.ascontiguousarray(a).tobytes())
        return {"t": "nd", "b": i, "dtype": a.dtype.str, "shape": list(a.shape), "scalar": False}


class Decoder:
    """The inverse of Encoder for untrusted data; ``other(tagged)`` builds references."""

    def __init__(self, buffers, other):
        self.buffers, self.other, self.arrays = buffers, other, {}

    def __call__(self, x, depth=0):
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        if x is None or isinstance(x, (bool, int, float, str)):
            return x
        if isinstance(x, list):
            raise WireError("an untagged list")
        if not isinstance(x, dict):
            raise WireError(f"unexpected {type(x).__name__}")
        t = x.get("t")
        if t in ("tuple", "list"):
            items = x.get("v")
            if not isinstance(items, list):
                raise WireError(f"{t} without items")
            values = [self(v, depth + 1) for v in items]
            return tuple(values) if t == "tuple" else values
        if t == "dict":
            out = {}
            for pair in x.get("v") or []:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise WireError("a dict item that is not a pair")
                k = self(pair[0], depth + 1)
                if not (k is None or isinstance(k, (str, int, float, bool))):
                    raise WireError("a dict key that is not a plain value")
                out[k] = self(pair[1], depth + 1)
            return out
        if t == "complex":
            v = x.get("v")
            if not (isinstance(v, list) and len(v) == 2 and all(isinstance(p, (int, float)) for p in v)):
                raise WireError("a bad complex number")
            return complex(v[0], v[1])
        if t == "nd":
            a = self.array(x)
            return a[()] if x.get("scalar") else a
        return self.other(x)

    def array(self, x):
        i = x.get("b")
        if not isinstance(i, int) or not 0 <= i < len(self.buffers):
            raise WireError("an array without its buffer")
        if i in self.arrays:
            return self.arrays[i]
        try:
            dtype = np.dtype(x.get("dtype"))
        except (TypeError, ValueError):
            raise WireError(f"unknown dtype {str(x.get('dtype'))[:40]}") from None
        shape = x.get("shape")
        if dtype.kind not in _KINDS or dtype.fields is not None or dtype.hasobject or dtype.itemsize > 32:
            raise WireError(f"dtype {dtype} is not a plain number type")
        if not (isinstance(shape, list) and len(shape) <= 32 and all(isinstance(s, int) and s >= 0 for s in shape)):
            raise WireError("a bad array shape")
        buf = self.buffers[i]
        if int(np.prod(shape, dtype=object)) * dtype.itemsize != len(buf):
            raise WireError("array shape and buffer size disagree")
        a = np.frombuffer(buf, dtype=dtype).reshape(shape).copy()
        self.arrays[i] = a
        return a
