"""The computing Table API's semantics. Written against the `session` fixture so the same tests can run on
every engine (the Spark engine will add itself to ENGINES)."""
import pytest

from fate_flow.computing.standalone import StandaloneSession
from fate_flow.computing.storage.standalone import StandaloneStore

ENGINES = ["standalone"]


@pytest.fixture(params=ENGINES)
def session(request, tmp_path):
    s = StandaloneSession(StandaloneStore(tmp_path / "store"))
    yield s
    s.stop()


def rows(table):
    return sorted(table.collect())


def test_parallelize_count_collect_first_take(session):
    t = session.parallelize([(i, i * 10) for i in range(100)], partitions=4)
    assert t.partitions == 4 and t.count() == 100
    assert rows(t) == [(i, i * 10) for i in range(100)]
    assert t.first() in rows(t)
    assert len(t.take(7)) == 7
    assert rows(session.parallelize(["a", "b"], 2, include_key=False)) == [(0, "a"), (1, "b")]


def test_map_values_map_flat_map_filter(session):
    t = session.parallelize([(i, i) for i in range(10)], 3)
    assert rows(t.map_values(lambda v: v * v)) == [(i, i * i) for i in range(10)]
    assert rows(t.map(lambda k, v: (f"k{k}", v + 1))) == sorted((f"k{i}", i + 1) for i in range(10))
    # rows mapped onto one key: one of them is kept
    parity = dict(t.map(lambda k, v: (k % 2, v)).collect())
    assert set(parity) == {0, 1} and parity[0] % 2 == 0 and parity[1] % 2 == 1
    assert rows(t.flat_map(lambda k, v: [(k, v), (k + 100, v)])) == sorted(
        [(i, i) for i in range(10)] + [(i + 100, i) for i in range(10)])
    assert rows(t.filter(lambda k, v: v % 3 == 0)) == [(0, 0), (3, 3), (6, 6), (9, 9)]


def test_partitions_functions(session):
    t = session.parallelize([(i, 1) for i in range(50)], 5)
    assert sum(session.parallelize([(i, 1) for i in range(50)], 5).apply_partitions(lambda it: sum(v for _, v in it))) == 50
    doubled = t.map_partitions(lambda it: ((k, v * 2) for k, v in it))
    assert doubled.count() == 50 and {v for _, v in doubled.collect()} == {2}


def test_join_union_subtract_with_different_partitions(session):
    left = session.parallelize([(i, i) for i in range(10)], 4)
    right = session.parallelize([(i, -i) for i in range(5, 15)], 3)
    assert rows(left.join(right, lambda a, b: (a, b))) == [(i, (i, -i)) for i in range(5, 10)]
    assert rows(left.union(right, lambda a, b: a + b)) == [(i, i) for i in range(5)] + [(i, 0) for i in range(5, 10)] \
        + [(i, -i) for i in range(10, 15)]
    assert rows(left.subtract_by_key(right)) == [(i, i) for i in range(5)]


def test_reduce_and_empty_tables(session):
    t = session.parallelize([(i, i) for i in range(101)], 7)
    assert t.reduce(lambda a, b: a + b) == 5050
    empty = t.filter(lambda k, v: False)
    assert empty.count() == 0 and empty.reduce(lambda a, b: a + b) is None and empty.first() is None


def test_sample_is_seeded_and_about_the_fraction(session):
    t = session.parallelize([(i, i) for i in range(2000)], 4)
    a, b = rows(t.sample(0.3, seed=5)), rows(t.sample(0.3, seed=5))
    assert a == b and 450 < len(a) < 750
    with pytest.raises(ValueError):
        t.sample(1.5)


def test_values_of_many_types(session):
    import numpy as np
    t = session.parallelize([("a", np.arange(3.0)), ("b", {"x": (1, 2)}), (("t", 1), None)], 2)
    got = dict(t.collect())
    assert list(got["a"]) == [0.0, 1.0, 2.0] and got["b"] == {"x": (1, 2)} and got[("t", 1)] is None


def test_stop_destroys_unkept_tables_and_keeps_saved_ones(session, tmp_path):
    keep = session.parallelize([(1, 1)], 1)
    drop = keep.map_values(lambda v: v + 1)
    address = session.keep(keep)
    session.stop()
    assert not drop.stored.path.exists()
    assert session.load(address, 1).count() == 1
