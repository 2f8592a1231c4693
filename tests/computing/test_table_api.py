"""The computing Table API's semantics, one suite run against every engine: the standalone engine and Spark
(local[2], one SparkSession for the module: see conftest.py for when Spark's params skip)."""
import pytest

from fate_flow.computing.standalone import StandaloneSession
from fate_flow.computing.storage.standalone import StandaloneStore

ENGINES = ["standalone", "spark"]


@pytest.fixture(params=ENGINES)
def session(request, tmp_path):
    if request.param == "spark":
        from fate_flow.computing.spark import SparkComputingSession
        s = SparkComputingSession(request.getfixturevalue("spark"), str(tmp_path / "spark"), stop_spark=False)
    else:
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
    assert t.map(lambda k, v: (k % 2, v)).count() == 2
    assert rows(t.flat_map(lambda k, v: [(k, v), (k + 100, v)])) == sorted(
        [(i, i) for i in range(10)] + [(i + 100, i) for i in range(10)])
    assert rows(t.filter(lambda k, v: v % 3 == 0)) == [(0, 0), (3, 3), (6, 6), (9, 9)]
    made = [t.map_values(abs), t.map(lambda k, v: (k, v)), t.filter(lambda k, v: True)]
    assert [m.partitions for m in made] == [3, 3, 3]


def test_partitions_functions(session):
    t = session.parallelize([(i, 1) for i in range(50)], 5)
    sums = t.apply_partitions(lambda it: sum(v for _, v in it))
    assert len(sums) == 5 and sum(sums) == 50
    doubled = t.map_partitions(lambda it: ((k, v * 2) for k, v in it))
    assert doubled.count() == 50 and {v for _, v in doubled.collect()} == {2}
    # map_partitions may emit one key from several partitions: one row per key is kept
    assert rows(t.map_partitions(lambda it: [("n", sum(1 for _ in it))])) in ([("n", c)] for c in sums)


def test_join_union_subtract_with_different_partitions(session):
    left = session.parallelize([(i, i) for i in range(10)], 4)
    right = session.parallelize([(i, -i) for i in range(5, 15)], 3)
    joined = left.join(right, lambda a, b: (a, b))
    assert rows(joined) == [(i, (i, -i)) for i in range(5, 10)] and joined.partitions == 4
    assert rows(left.union(right, lambda a, b: a + b)) == [(i, i) for i in range(5)] + [(i, 0) for i in range(5, 10)] \
        + [(i, -i) for i in range(10, 15)]
    assert rows(left.union(right)) == [(i, i) for i in range(10)] + [(i, -i) for i in range(10, 15)]
    assert rows(left.subtract_by_key(right)) == [(i, i) for i in range(5)]
    assert rows(right.join(left, lambda a, b: a - b)) == [(i, -2 * i) for i in range(5, 10)]


def test_keys_are_equal_when_their_encodings_are(session):
    t = session.parallelize([(1, "int"), (True, "bool"), ((1, 2), "tuple"), ("1", "str")], 3)
    assert t.count() == 4
    other = session.parallelize([((1, 2), "T"), (1, "I"), (2.0, "F")], 2)
    assert dict(t.join(other, lambda a, b: a + b).collect()) == {1: "intI", (1, 2): "tupleT"}


def test_reduce_and_empty_tables(session):
    t = session.parallelize([(i, i) for i in range(101)], 7)
    assert t.reduce(lambda a, b: a + b) == 5050
    empty = t.filter(lambda k, v: False)
    assert empty.count() == 0 and empty.reduce(lambda a, b: a + b) is None and empty.first() is None
    assert empty.take(3) == [] and rows(empty.join(t, lambda a, b: a)) == [] and empty.union(t).count() == 101


def test_sample_is_seeded_and_about_the_fraction(session):
    t = session.parallelize([(i, i) for i in range(2000)], 4)
    a, b = rows(t.sample(0.3, seed=5)), rows(t.sample(0.3, seed=5))
    assert a == b and 450 < len(a) < 750
    assert rows(t.sample(0.3, seed=6)) != a
    unseeded = t.sample(0.5)
    assert unseeded.count() == len(rows(unseeded))  # a made table does not change when read again
    assert rows(t.sample(1.0, seed=1)) == rows(t) and t.sample(0.0, seed=1).count() == 0
    with pytest.raises(ValueError):
        t.sample(1.5)


def test_a_failing_function_fails_the_call_that_made_the_table(session):
    t = session.parallelize([(i, i) for i in range(10)], 2)
    with pytest.raises(Exception, match="division by zero"):
        t.map_values(lambda v: 1 / (v - 3))
    with pytest.raises(Exception, match="division by zero"):
        t.reduce(lambda a, b: a / 0)
    assert t.count() == 10  # the table itself is still usable


def test_values_of_many_types(session):
    import numpy as np
    from fate_flow.serde.instance import Instance
    t = session.parallelize([("a", np.arange(3.0)), ("b", {"x": (1, 2)}), (("t", 1), None),
                             ("i", Instance(features=np.ones(2), label=1))], 2)
    got = dict(t.collect())
    assert list(got["a"]) == [0.0, 1.0, 2.0] and got["b"] == {"x": (1, 2)} and got[("t", 1)] is None
    assert list(got["i"].features) == [1.0, 1.0] and got["i"].label == 1
    assert t.map_values(lambda v: v * 2 if isinstance(v, np.ndarray) else v).first() is not None


def test_stop_destroys_unkept_tables_and_keeps_saved_ones(session, tmp_path):
    keep = session.parallelize([(1, 1)], 1)
    drop = keep.map_values(lambda v: v + 1)
    address = session.keep(keep)
    session.stop()
    if isinstance(session, StandaloneSession):
        assert not drop.stored.path.exists()
    else:
        assert not drop.rdd.is_cached
    assert session.load(address, 1).count() == 1
