"""How values become chunks and back.

OBJECT values are encoded once with the codec and cut into chunk_bytes slices. PAIRS values (tables) are
batches: each chunk is a msgpack list [k0, v0, k1, v1, ...] of codec-encoded keys and values, so neither
end ever holds more than about one chunk of a table. The digest covers each chunk's length and bytes, so a
re-cut or truncated stream does not match its signed trailer.

Hot path: chunk frames are framed by hand (`frame_chunk`, `parse_frame`) into exactly the bytes protobuf
would produce for `ValueFrame{chunk}`, which saves three copies of every chunk; other frames go through
protobuf. Large `bytes` values are cut straight from the caller's buffer, not re-encoded.
"""
from __future__ import annotations

import hashlib
from typing import Any, Iterable, Iterator

import msgpack

from fate_flow.proto import federation_pb2 as pb
from fate_flow.serde.codec import Codec

# ValueFrame field 2 (chunk), wire type 2 (length-delimited)
_CHUNK_TAG = b"\x12"


class Pairs:
    """Marks a value to be sent as a table: an iterable of (key, value) pairs, streamed in chunks.

    With `encoded=True` keys and values are already codec bytes (as a standalone table stores them) and are
    sent without re-encoding. A one-shot iterator can go to one party only and is not retried once started.
    """

    def __init__(self, items: Iterable[tuple[Any, Any]], encoded: bool = False):
        self.items = items
        self.encoded = encoded

    @property
    def reiterable(self) -> bool:
        return iter(self.items) is not self.items


class ChunkDigest:
    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self.total_bytes = 0
        self.chunks = 0

    def update(self, *pieces: bytes | memoryview) -> None:
        """Add one chunk, given as one or more consecutive pieces."""
        size = sum(len(p) for p in pieces)
        self._sha.update(size.to_bytes(8, "big"))
        for piece in pieces:
            self._sha.update(piece)
        self.total_bytes += size
        self.chunks += 1

    def digest(self) -> bytes:
        return self._sha.digest()


def encode_object(value: Any, codec: Codec) -> list[memoryview]:
    """Buffers whose concatenation is codec.dumps(value); a bytes value is used in place, not copied."""
    if type(value) is bytes:
        return [memoryview(_msgpack_bin_header(len(value))), memoryview(value)]
    return [memoryview(codec.dumps(value))]


def _msgpack_bin_header(size: int) -> bytes:
    if size < 1 << 8:
        return b"\xc4" + size.to_bytes(1, "big")
    if size < 1 << 16:
        return b"\xc5" + size.to_bytes(2, "big")
    return b"\xc6" + size.to_bytes(4, "big")


def object_chunks(parts: list[memoryview], chunk_bytes: int) -> Iterator[list[memoryview]]:
    """Cut the concatenation of `parts` into chunks of chunk_bytes, each given as a list of views."""
    chunk: list[memoryview] = []
    room = chunk_bytes
    for part in parts:
        while len(part):
            piece, part = part[:room], part[room:]
            chunk.append(piece)
            room -= len(piece)
            if room == 0:
                yield chunk
                chunk, room = [], chunk_bytes
    if chunk:
        yield chunk


def frame_chunk(*pieces: bytes | memoryview) -> bytes:
    """The serialized ValueFrame{chunk: pieces joined}, made with a single copy."""
    return b"".join((_CHUNK_TAG, _varint(sum(len(p) for p in pieces)), *pieces))


def serialize_frame(frame: pb.ValueFrame | bytes) -> bytes:
    """gRPC serializer for value streams: pre-framed chunks (bytes) pass through."""
    return frame if isinstance(frame, bytes) else frame.SerializeToString()


def parse_frame(data: bytes) -> tuple[str | None, Any]:
    """(part, value) of a serialized ValueFrame; a chunk comes back as a view into `data`, not a copy."""
    if data[:1] == _CHUNK_TAG:
        size, offset = _read_varint(data, 1)
        if offset + size == len(data):
            return "chunk", memoryview(data)[offset:]
    frame = pb.ValueFrame.FromString(data)
    part = frame.WhichOneof("part")
    return part, getattr(frame, part) if part else None


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes, offset: int) -> tuple[int, int]:
    result = shift = 0
    while offset < len(data) and shift < 64:
        byte = data[offset]
        offset += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, offset
        shift += 7
    return -1, len(data) + 1  # malformed: never matches the length check


def pair_chunks(pairs: Pairs, codec: Codec, chunk_bytes: int) -> Iterator[bytes]:
    """Batches of about chunk_bytes (a single pair larger than that makes one bigger chunk)."""
    batch: list[bytes] = []
    size = 0
    dumps = codec.dumps
    for key, value in pairs.items:
        if not pairs.encoded:
            key, value = dumps(key), dumps(value)
        batch.append(key)
        batch.append(value)
        size += len(key) + len(value) + 10
        if size >= chunk_bytes:
            yield msgpack.packb(batch, use_bin_type=True)
            batch, size = [], 0
    if batch:
        yield msgpack.packb(batch, use_bin_type=True)


def decode_pair_chunk(chunk: bytes, codec: Codec | None) -> Iterator[tuple[Any, Any]]:
    """Pairs of one chunk; codec None gives the encoded bytes."""
    flat = msgpack.unpackb(chunk, raw=False, use_list=True)
    if not isinstance(flat, list) or len(flat) % 2:
        raise ValueError("a table chunk must be a list of key/value pairs")
    if codec is None:
        return zip(flat[0::2], flat[1::2])
    loads = codec.loads
    return ((loads(k), loads(v)) for k, v in zip(flat[0::2], flat[1::2]))
