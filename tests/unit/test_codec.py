import numpy as np
import pytest

from fate_flow.serde.codec import Codec


@pytest.mark.parametrize("value", ["text", "", 0, -7, 2**62, 1.25, None, True, b"\x00bytes", [1, "a", None],
                                   (1, (2, "x")), {"k": [1, 2], "n": None}, {1, 2, 3}])
def test_round_trip(value):
    codec = Codec()
    assert codec.loads(codec.dumps(value)) == value
    assert type(codec.loads(codec.dumps(value))) is type(value)


def test_numpy_arrays_and_scalars():
    codec = Codec()
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    b = codec.loads(codec.dumps(a))
    assert b.dtype == np.float32 and b.shape == (3, 4) and (a == b).all()
    assert codec.loads(codec.dumps(np.int64(5))) == 5
    with pytest.raises(TypeError):
        codec.dumps(np.array([object()], dtype=object))


def test_registered_extension_and_unknown_types():
    class Point:
        def __init__(self, x, y):
            self.x, self.y = x, y

    codec = Codec()
    with pytest.raises(TypeError, match="cannot encode a value of type"):
        codec.dumps(Point(1, 2))
    codec.register(40, Point, lambda p: codec.dumps([p.x, p.y]), lambda b: Point(*codec.loads(b)))
    p = codec.loads(codec.dumps({"p": Point(1, 2)}))["p"]
    assert (p.x, p.y) == (1, 2)
    with pytest.raises(ValueError, match="unknown extension type code 40"):
        Codec().loads(codec.dumps(Point(1, 2)))


def test_equal_keys_encode_equal_and_scalar_packer_matches():
    codec = Codec()
    assert codec.dumps(("a", 1)) == codec.dumps(("a", 1))
    pack = codec.scalar_packer()
    for v in ("id-1", 5, 1.5, b"x", None):
        assert pack(v) == codec.dumps(v)


def test_decoding_never_runs_code():
    import pickle
    with pytest.raises(Exception):
        Codec().loads(pickle.dumps(object()))


def test_instances_dense_and_sparse_round_trip():
    from fate_flow.serde.instance import Instance, SparseVector
    codec = Codec()
    dense = Instance(np.array([0.5, -1.0]), label=1, weight=None)
    sparse = Instance(SparseVector(np.array([0, 3]), np.array([1.5, 2.0]), 5), label="a")
    assert codec.loads(codec.dumps(dense)) == dense
    back = codec.loads(codec.dumps(sparse))
    assert back == sparse and list(back.dense_features()) == [1.5, 0, 0, 2.0, 0]
