"""A typed binary encoding for table keys/values and federation payloads: msgpack plus registered
extension types. Decoding never executes code (no pickle), so bytes from a partner are safe to read.

Equal values encode to equal bytes (dicts excepted), which table joins rely on.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import msgpack

from fate_flow.serde.instance import Instance, SparseVector

_TUPLE = 1
_NDARRAY = 2
_SET = 3


@dataclass(frozen=True)
class _Ext:
    cls: type
    encode: Callable[[Any], bytes]
    decode: Callable[[bytes], Any]


class Codec:
    """Encoder/decoder with a registry of extension types (code 16..127 for callers)."""

    def __init__(self) -> None:
        self._by_code: dict[int, _Ext] = {}
        self._by_cls: dict[type, int] = {}
        self._register_builtin_types()

    def _register_builtin_types(self) -> None:
        """Value types every fate_flow process can read (codes 16..31 are kept for these)."""
        self.register(16, Instance, lambda i: self.dumps([i.features, i.label, i.weight, i.extra]),
                      lambda b: Instance(*self.loads(b)))
        self.register(17, SparseVector, lambda v: self.dumps([v.indices, v.values, v.shape]),
                      lambda b: SparseVector(*self.loads(b)))
        # Paillier values cross parties; paillier (numpy, gmpy2) is a heavy import, made when a codec is made, so
        # importing this module (federation, computing and serving do) stays light until then
        from fate_flow.secure import paillier
        self.register(18, paillier.EncryptedVector, lambda v: self.dumps(paillier.pack_vector(v)),
                      lambda b: paillier.unpack_vector(self.loads(b)))
        self.register(19, paillier.PaillierPublicKey, lambda k: self.dumps(paillier.pack_public_key(k)),
                      lambda b: paillier.unpack_public_key(self.loads(b)))

    def register(self, code: int, cls: type, encode: Callable[[Any], bytes], decode: Callable[[bytes], Any]) -> None:
        if not 16 <= code <= 127:
            raise ValueError("extension codes 16..127 are for registered types (16..31: fate_flow's own)")
        if code in self._by_code and self._by_code[code].cls is not cls:
            raise ValueError(f"extension code {code} is taken by {self._by_code[code].cls.__name__}")
        self._by_code[code] = _Ext(cls, encode, decode)
        self._by_cls[cls] = code

    def dumps(self, obj: Any) -> bytes:
        return msgpack.packb(obj, default=self._default, strict_types=True, use_bin_type=True)

    @staticmethod
    def scalar_packer() -> Callable[[Any], bytes]:
        """A faster `dumps` for str/bytes/int/float/None only (same bytes as dumps gives for those).
        Not thread-safe: make one per loop."""
        return msgpack.Packer(use_bin_type=True, strict_types=True).pack

    def loads(self, data: bytes) -> Any:
        return msgpack.unpackb(data, ext_hook=self._ext_hook, raw=False, strict_map_key=False, use_list=True)

    def _default(self, obj: Any) -> Any:
        code = self._by_cls.get(type(obj))
        if code is not None:
            return msgpack.ExtType(code, self._by_code[code].encode(obj))
        if isinstance(obj, tuple):
            return msgpack.ExtType(_TUPLE, self.dumps(list(obj)))
        if isinstance(obj, (set, frozenset)):
            return msgpack.ExtType(_SET, self.dumps(sorted(obj, key=repr)))
        np = _numpy()
        if np is not None:
            if isinstance(obj, np.ndarray):
                if obj.dtype.hasobject:
                    raise TypeError("numpy arrays of Python objects cannot be encoded; convert them to lists")
                header = self.dumps([obj.dtype.str, list(obj.shape)])
                return msgpack.ExtType(_NDARRAY, len(header).to_bytes(4, "big") + header + obj.tobytes())
            if isinstance(obj, np.generic):
                return obj.item()
        # subclasses of builtins (IntEnum, str enums...) travel as their base value
        for base in (bool, int, float, str, bytes, list, dict):
            if isinstance(obj, base):
                return base(obj)
        raise TypeError(f"cannot encode a value of type {type(obj).__module__}.{type(obj).__qualname__}")

    def _ext_hook(self, code: int, data: bytes) -> Any:
        if code == _TUPLE:
            return tuple(self.loads(data))
        if code == _SET:
            return set(self.loads(data))
        if code == _NDARRAY:
            import numpy as np
            n = int.from_bytes(data[:4], "big")
            dtype, shape = self.loads(data[4:4 + n])
            if np.dtype(dtype).hasobject:
                raise ValueError("object arrays are not decoded from raw bytes")
            return np.frombuffer(data[4 + n:], dtype=np.dtype(dtype)).reshape(shape).copy()
        ext = self._by_code.get(code)
        if ext is None:
            raise ValueError(f"unknown extension type code {code}")
        return ext.decode(data)


def _numpy():
    try:
        import numpy
    except ImportError:  # numpy is optional for the codec itself
        return None
    return numpy
