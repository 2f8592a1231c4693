"""The hand-made chunk frames and byte-value encoding match protobuf and the codec exactly."""
import pytest

from fate_flow.federation.framing import encode_object, frame_chunk, object_chunks, parse_frame
from fate_flow.proto import federation_pb2 as pb
from fate_flow.serde.codec import Codec


@pytest.mark.parametrize("size", [0, 1, 255, 256, 65535, 65536, 300_000])
def test_bytes_values_encode_as_the_codec_does(size):
    codec = Codec()
    value = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    parts = encode_object(value, codec)
    assert b"".join(parts) == codec.dumps(value)
    chunks = list(object_chunks(parts, 4096))
    assert all(sum(len(p) for p in c) == 4096 for c in chunks[:-1])
    assert b"".join(b"".join(c) for c in chunks) == codec.dumps(value)


@pytest.mark.parametrize("size", [0, 127, 128, 16384, 1 << 20])
def test_chunk_frames_are_the_protobuf_encoding(size):
    data = b"z" * size
    framed = frame_chunk(data[: size // 2], data[size // 2:])
    assert framed == pb.ValueFrame(chunk=data).SerializeToString()
    part, value = parse_frame(framed)
    assert part == "chunk" and bytes(value) == data


def test_other_frames_go_through_protobuf():
    trailer = pb.ValueTrailer(total_bytes=5, chunks=1, sha256=b"s" * 32)
    part, value = parse_frame(pb.ValueFrame(trailer=trailer).SerializeToString())
    assert part == "trailer" and value == trailer
    assert parse_frame(b"") == (None, None)
