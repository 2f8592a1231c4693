"""The hand-made value frames match protobuf exactly; values are cut into chunks and put back together."""
import pytest

from fate_flow.federation.framing import decode_object, encode_frame, encode_object, object_chunks, parse_frame
from fate_flow.proto import federation_pb2 as pb
from fate_flow.serde.codec import Codec


@pytest.mark.parametrize("value, kind", [(b"raw bytes", pb.BYTES), (bytearray(b"ba"), pb.OBJECT),
                                         ({"n": 2 ** 62 + 1, "v": [1.5, "x"]}, pb.OBJECT), ("text", pb.OBJECT)])
def test_values_round_trip_through_chunks(value, kind):
    codec = Codec()
    encoded_kind, data = encode_object(value, codec)
    assert encoded_kind == kind and (data is value if kind == pb.BYTES else data == codec.dumps(value))
    assert decode_object(kind, list(object_chunks(data, 4)), codec) == value


@pytest.mark.parametrize("size, sizes", [(1 << 20, [1 << 20]), ((1 << 20) + 16384, [(1 << 20) + 16384]),
                                         ((1 << 20) + 20_000, [1 << 20, 20_000]), (100, [100]), (0, []),
                                         ((3 << 20) + 5, [1 << 20, 1 << 20, (1 << 20) + 5])])
def test_a_runt_last_chunk_joins_the_one_before(size, sizes):
    value = b"v" * size
    chunks = list(object_chunks(value, 1 << 20))
    assert [len(c) for c in chunks] == sizes and all(c.obj is value for c in chunks)  # views, not copies


HEADER = pb.ValueHeader(key=pb.ValueKey(job_id="j", name="n", tag="0"), kind=pb.PAIRS,
                        auth=pb.SiteAuth(timestamp_ms=1, nonce=b"n" * 16, signature=b"s" * 64))
TRAILER = pb.ValueTrailer(total_bytes=5, chunks=1, digest=b"s" * 32, signature=b"t" * 64, mac=b"m" * 32)


@pytest.mark.parametrize("size", [1, 127, 128, 16384, 1 << 20])
@pytest.mark.parametrize("header, trailer", [(None, None), (HEADER, None), (None, TRAILER), (HEADER, TRAILER)])
def test_frames_are_the_protobuf_encoding(size, header, trailer):
    data = b"z" * size
    framed = encode_frame(header, memoryview(data), trailer)
    assert framed == pb.ValueFrame(header=header, chunk=data, trailer=trailer).SerializeToString()
    frame = parse_frame(framed)
    assert (frame.header, bytes(frame.chunk), frame.trailer) == (header, data, trailer)
    assert parse_frame(framed).chunk.obj is framed  # a view, not a copy


def test_frames_without_a_chunk_and_odd_encodings():
    assert encode_frame(HEADER) == pb.ValueFrame(header=HEADER).SerializeToString()
    frame = parse_frame(pb.ValueFrame(trailer=TRAILER).SerializeToString())
    assert (frame.header, frame.chunk, frame.trailer) == (None, None, TRAILER)
    empty = parse_frame(b"")
    assert (empty.header, empty.chunk, empty.trailer) == (None, None, None)
    # field order other than ours, and a truncated length: parsed by protobuf, or refused by it
    reordered = pb.ValueFrame(trailer=TRAILER).SerializeToString() + pb.ValueFrame(chunk=b"ab").SerializeToString()
    frame = parse_frame(reordered)
    assert (bytes(frame.chunk), frame.trailer) == (b"ab", TRAILER)
    with pytest.raises(ValueError, match="malformed value frame"):
        parse_frame(b"\x12\x05ab")
