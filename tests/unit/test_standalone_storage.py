import pytest

from fate_flow.computing.storage.standalone import DuplicateKeyError, StandaloneStore, partition_of
from fate_flow.serde.codec import Codec

codec = Codec()


def fill(table, pairs, ordered=True):
    writer = table.writer(ordered=ordered)
    for k, v in pairs:
        writer.put(codec.dumps(k), codec.dumps(v))
    writer.close()


def test_write_read_count_get_and_partitioning(tmp_path):
    table = StandaloneStore(tmp_path).create(3)
    pairs = [(f"k{i}", i) for i in range(100)]
    fill(table, pairs)
    assert table.count() == 100
    assert codec.loads(table.get(codec.dumps("k42"))) == 42
    assert table.get(codec.dumps("missing")) is None
    for p in range(3):
        for k, _ in table.read_partition(p):
            assert partition_of(k, 3) == p


def test_ordered_table_reads_back_in_insertion_order(tmp_path):
    table = StandaloneStore(tmp_path).create(4)
    keys = ["133", "273", "175", "0", "99"]
    fill(table, [(k, k) for k in keys])
    assert [codec.loads(k) for k, _ in table.ordered_items()] == keys


def test_unordered_table_merges_partitions_by_key(tmp_path):
    table = StandaloneStore(tmp_path).create(4)
    fill(table, [(str(i), i) for i in (5, 3, 10, 1)], ordered=False)
    assert [codec.loads(k) for k, _ in table.ordered_items()] == ["1", "3", "5", "10"]


def test_duplicates_are_refused_and_named(tmp_path):
    table = StandaloneStore(tmp_path).create(2)
    fill(table, [("a", 1), ("b", 2)])
    writer = table.writer()
    writer.put(codec.dumps("c"), codec.dumps(3))
    writer.put(codec.dumps("a"), codec.dumps(9))
    with pytest.raises(DuplicateKeyError) as e:
        writer.close()
    assert codec.loads(e.value.key) == "a"
    assert table.count() == 2 and codec.loads(table.get(codec.dumps("a"))) == 1


def test_destroy_and_bad_partitions(tmp_path):
    store = StandaloneStore(tmp_path)
    table = store.create(1)
    table.destroy()
    assert not table.path.exists()
    with pytest.raises(ValueError):
        store.create(0)
    with pytest.raises(FileNotFoundError):
        store.open({"path": str(tmp_path / "gone")}, 1)
