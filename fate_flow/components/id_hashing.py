"""The hash functions the Intersection component applies to sample ids, named as FATE 1.6 names them.

A value is hashed as FATE does: the UTF-8 bytes of `str(value) + salt`. `encode_id` gives the text form
the raw method sends (hex digest, or base64 of the digest); `hash_to_int` the integer the RSA method
signs; `digest` the raw bytes the RSA method compares.
"""
from __future__ import annotations

import base64
import hashlib
from typing import Any, Callable

from cryptography.hazmat.primitives import hashes

def _sm3(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def _hashlib(name: str) -> Callable[[bytes], bytes]:
    return lambda data: hashlib.new(name, data).digest()


DIGESTS: dict[str, Callable[[bytes], bytes]] = {
    "md5": _hashlib("md5"), "sha1": _hashlib("sha1"), "sha224": _hashlib("sha224"), "sha256": _hashlib("sha256"),
    "sha384": _hashlib("sha384"), "sha512": _hashlib("sha512"), "sm3": _sm3,
}


def digest(value: Any, method: str, salt: str = "") -> bytes:
    """The digest of `str(value) + salt` by `method` (a key of DIGESTS)."""
    return DIGESTS[method]((str(value) + salt).encode("utf-8"))


def encode_id(value: Any, method: str, salt: str = "", as_base64: bool = False) -> str:
    """FATE's encoding of an id for the raw method: the hex digest, or base64 of the digest."""
    raw = digest(value, method, salt)
    return base64.b64encode(raw).decode("ascii") if as_base64 else raw.hex()


def hash_to_int(value: Any, method: str, salt: str = "") -> int:
    """The digest read as a big-endian integer (FATE: int(hexdigest, 16))."""
    return int.from_bytes(digest(value, method, salt), "big")
