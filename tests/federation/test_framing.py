"""The hand-made value frames and byte-value encoding match protobuf and the codec exactly."""
import pytest

from fate_flow.federation.framing import encode_frame, encode_object, object_chunks, parse_frame
from fate_flow.proto import federation_pb2 as pb
from fate_flow.serde.codec import Codec


@pytest.mark.parametrize("size", [0, 1, 255, 256, 65535, 65536, 300_000])
def test_bytes_values_encode_as_the_codec_does(size):
    codec = Codec()
    value = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    parts = encode_object(value, codec)
    assert b"".join(parts) == codec.dumps(value)
    chunks = list(object_chunks(parts, 4096))
    assert all(sum(len(p) for p in c) == 4096 for c in chunks[:-2])
    assert b"".join(b"".join(c) for c in chunks) == codec.dumps(value)


@pytest.mark.parametrize("size, sizes", [(1 << 20, [(1 << 20) + 5]), ((1 << 20) + 20_000, [(1 << 20), 20_005]),
                                         (100, [102]), (3 << 20, [1 << 20, 1 << 20, (1 << 20) + 5])])
def test_a_runt_last_chunk_joins_the_one_before(size, sizes):
    chunks = list(object_chunks(encode_object(b"v" * size, Codec()), 1 << 20))
    assert [sum(len(p) for p in c) for c in chunks] == sizes


HEADER = pb.ValueHeader(key=pb.ValueKey(job_id="j", name="n", tag="0"), kind=pb.PAIRS,
                        auth=pb.SiteAuth(timestamp_ms=1, nonce=b"n" * 16, signature=b"s" * 64))
TRAILER = pb.ValueTrailer(total_bytes=5, chunks=1, sha256=b"s" * 32, signature=b"t" * 64)


@pytest.mark.parametrize("size", [1, 127, 128, 16384, 1 << 20])
@pytest.mark.parametrize("header, trailer", [(None, None), (HEADER, None), (None, TRAILER), (HEADER, TRAILER)])
def test_frames_are_the_protobuf_encoding(size, header, trailer):
    data = b"z" * size
    framed = encode_frame(header, (data[: size // 2], data[size // 2:]), trailer)
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
