"""How values become chunks and back.

OBJECT values are encoded once with the codec and cut into chunk_bytes slices; BYTES values (a bytes object)
are cut as they are, without the codec. PAIRS values (tables) are
batches: each chunk is a msgpack list [k0, v0, k1, v1, ...] of codec-encoded keys and values, so neither
end ever holds more than about one chunk of a table. The digest covers each chunk's length and bytes, so a
re-cut or truncated stream does not match its trailer.

Hot path: frames are serialized and parsed by hand (`encode_frame`, `parse_frame`) into exactly the bytes
protobuf would produce for a ValueFrame, which saves three copies of every chunk; the header and trailer
inside go through protobuf. Large `bytes` values are cut straight from the caller's buffer, not re-encoded,
and a value of one chunk is handed to gRPC as it is (PushSmall: no frame around it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import blake3
import msgpack
from google.protobuf.message import DecodeError

from fate_flow.proto import federation_pb2 as pb
from fate_flow.serde.codec import Codec

# ValueFrame fields 1 (header), 2 (chunk) and 3 (trailer), each of wire type 2 (length-delimited)
_HEADER_TAG, _CHUNK_TAG, _TRAILER_TAG = b"\x0a", b"\x12", b"\x1a"
_FIELDS = frozenset((_HEADER_TAG[0], _CHUNK_TAG[0], _TRAILER_TAG[0]))
# within the room transport.FRAME_OVERHEAD leaves in a message beyond chunk_bytes
RUNT_BYTES = 16 << 10
# a value of one chunk up to this size goes in one call, hashed and MAC'd before sending (PushSmall), which
# saves a stream's setup and a message; bigger ones are streamed, the sender hashing a
# chunk after handing it to gRPC, while the receiver hashes it too. Fixed, not chunk_bytes, so parties whose
# chunk_bytes differ still agree; a receiver holds this much in memory before the trailer is checked.
SMALL_VALUE_BYTES = (4 << 20) + RUNT_BYTES


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
    """BLAKE3 (about ten times SHA-256's speed here) over each chunk's length and bytes."""

    def __init__(self) -> None:
        self._hash = blake3.blake3()
        self.total_bytes = 0
        self.chunks = 0

    def update(self, chunk: bytes | memoryview) -> None:
        """Add one chunk."""
        self._hash.update(len(chunk).to_bytes(8, "big"))
        self._hash.update(chunk)
        self.total_bytes += len(chunk)
        self.chunks += 1

    def digest(self) -> bytes:
        return self._hash.digest()


def encode_object(value: Any, codec: Codec) -> tuple[int, bytes]:
    """The kind and encoding of a value: a bytes value as it is (BYTES, not copied), anything else as
    codec.dumps(value) (OBJECT)."""
    if type(value) is bytes:
        return pb.BYTES, value
    return pb.OBJECT, codec.dumps(value)


def decode_object(kind: int, chunks: list[memoryview], codec: Codec) -> Any:
    """The value whose encoding (encode_object) the concatenation of `chunks` is."""
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if kind == pb.BYTES:
        return bytes(data)
    if kind == pb.OBJECT:
        return codec.loads(data)
    raise ValueError(f"unknown value kind {kind}")


def one_chunk(size: int, chunk_bytes: int) -> bool:
    """Whether object_chunks makes at most one chunk of `size` bytes."""
    return size <= chunk_bytes + RUNT_BYTES


def object_chunks(data: bytes, chunk_bytes: int) -> Iterator[memoryview]:
    """Cut `data` into chunks of chunk_bytes, views of it. A last chunk of up to RUNT_BYTES joins the one
    before (a 1 MiB value plus its codec header is one chunk): a message of its own would cost more than its
    bytes."""
    view = memoryview(data)
    total = len(view)
    start = 0
    while start < total:
        end = total if total - start <= chunk_bytes + RUNT_BYTES else start + chunk_bytes
        yield view[start:end]
        start = end


@dataclass
class Frame:
    """One parsed ValueFrame; `chunk` is a view into the received message, not a copy."""
    header: pb.ValueHeader | None = None
    chunk: memoryview | None = None
    trailer: pb.ValueTrailer | None = None


def encode_frame(header: pb.ValueHeader | bytes | None = None, chunk: bytes | memoryview = b"",
                 trailer: pb.ValueTrailer | bytes | None = None) -> bytes:
    """The serialized ValueFrame{header, chunk, trailer}, made with a single copy of the chunk: exactly the
    bytes protobuf would produce, in field order. Header and trailer may come serialized."""
    parts: list[bytes | memoryview] = []
    if header is not None:
        data = header if isinstance(header, bytes) else header.SerializeToString()
        parts += (_HEADER_TAG, _varint(len(data)), data)
    if len(chunk):
        parts += (_CHUNK_TAG, _varint(len(chunk)), chunk)
    if trailer is not None:
        data = trailer if isinstance(trailer, bytes) else trailer.SerializeToString()
        parts += (_TRAILER_TAG, _varint(len(data)), data)
    return b"".join(parts)


def parse_frame(data: bytes) -> Frame:
    """Parse a serialized ValueFrame by hand, so a chunk is not copied; anything unusual goes to protobuf."""
    frame = Frame()
    view = memoryview(data)
    offset = 0
    while offset < len(data):
        tag = data[offset]
        size, start = _read_varint(data, offset + 1)
        end = start + size
        if size < 0 or end > len(data) or tag not in _FIELDS:
            return _parse_with_protobuf(data)
        if tag == _CHUNK_TAG[0]:
            frame.chunk = view[start:end]
        elif tag == _HEADER_TAG[0]:
            frame.header = pb.ValueHeader.FromString(view[start:end])
        else:
            frame.trailer = pb.ValueTrailer.FromString(view[start:end])
        offset = end
    return frame


def _parse_with_protobuf(data: bytes) -> Frame:
    try:
        message = pb.ValueFrame.FromString(data)
    except DecodeError as e:
        raise ValueError(f"malformed value frame: {e}") from None
    return Frame(header=message.header if message.HasField("header") else None,
                 chunk=memoryview(message.chunk) if message.chunk else None,
                 trailer=message.trailer if message.HasField("trailer") else None)


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
