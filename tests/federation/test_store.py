"""The receiver's store: a value's first chunks kept in LMDB up to inline_bytes and the rest in a file,
visible only once committed, nothing left behind by an aborted or crashed stream, and the files of read
values reused (bounded, never while being read)."""
import pytest

from fate_flow.federation.store import MessageStore

KEY = b"job/name/tag"


def chunk_records(store: MessageStore) -> int:
    with store._env.begin(db=store._chunks) as txn:
        return txn.stat(store._chunks)["entries"]


def files(store: MessageStore) -> list[str]:
    return sorted(p.suffix for p in store.values_dir.iterdir())


@pytest.fixture
def store(tmp_path):
    store = MessageStore(tmp_path, inline_bytes=250_000)
    yield store
    store.close()


def write(store, chunks):
    writer = store.writer(max_bytes=10 << 20)
    for chunk in chunks:
        writer.write(chunk)
    return writer


@pytest.mark.parametrize("sizes, inline, in_file", [([1000], 1, 0), ([100_000] * 2, 2, 0), ([100_000] * 5, 2, 3)])
def test_chunks_go_to_lmdb_then_to_a_file_and_are_deleted_once_read(store, sizes, inline, in_file):
    chunks = [bytes([i]) * size for i, size in enumerate(sizes)]
    writer = write(store, chunks)
    assert store.get(KEY) is None  # not visible before commit
    assert writer.commit(KEY, 0, b"header", b"trailer")
    value = store.get(KEY)
    assert (value.inline_chunks, value.chunks - value.inline_chunks) == (inline, in_file)
    assert files(store) == ([".val"] if in_file else []) and chunk_records(store) == inline
    assert list(store.chunks(value)) == chunks
    assert not store.delete(KEY, b"another digest")
    assert store.delete(KEY, value.digest)
    assert store.count() == chunk_records(store) == 0 and files(store) == ([".spare"] if in_file else [])


def test_a_read_values_file_is_overwritten_by_the_next_value_and_cut_to_its_size(store):
    first = write(store, [b"a" * 100_000] * 5)
    first.commit(KEY, 0, b"header", b"trailer")
    assert store.delete(KEY, store.get(KEY).digest)
    [spare] = store.values_dir.iterdir()
    assert spare.suffix == ".spare" and spare.stat().st_size == 3 * (4 + 100_000)
    chunks = [b"b" * 100_000] * 3 + [b"c" * 10]
    write(store, chunks).commit(b"next", 0, b"header", b"trailer")
    value = store.get(b"next")
    [stored] = store.values_dir.iterdir()
    assert stored.name == value.file and stored.stat().st_size == (4 + 100_000) + (4 + 10)  # no stale tail
    assert list(store.chunks(value)) == chunks


def test_a_file_being_read_is_deleted_not_kept_for_reuse(store):
    write(store, [b"a" * 100_000] * 4).commit(KEY, 0, b"header", b"trailer")
    value = store.get(KEY)
    reader = store.chunks(value)
    assert [len(next(reader)) for _ in range(3)] == [100_000] * 3  # the file is open now
    assert store.delete(KEY, value.digest)
    assert files(store) == []  # deleted: the open reader still reads the old bytes
    assert list(reader) == [b"a" * 100_000]


def test_spare_files_are_bounded_and_removed_at_start(tmp_path):
    store = MessageStore(tmp_path, inline_bytes=0)
    keys = [str(i).encode() for i in range(store.spares.MAX_FILES + 2)]
    for key in keys:
        write(store, [b"a" * 1000]).commit(key, 0, b"header", b"trailer")
    for key in keys:
        assert store.delete(key, store.get(key).digest)
    assert files(store) == [".spare"] * store.spares.MAX_FILES
    store.close()
    store = MessageStore(tmp_path, inline_bytes=0)
    try:
        assert files(store) == []
    finally:
        store.close()


def test_an_aborted_stream_leaves_nothing(store):
    write(store, [b"a" * 100_000] * 4).abort()
    assert store.count() == chunk_records(store) == 0 and files(store) == []


def test_a_stream_cut_off_by_a_crash_is_removed_at_start(tmp_path):
    store = MessageStore(tmp_path, inline_bytes=250_000)
    write(store, [b"kept"]).commit(KEY, 0, b"header", b"trailer")
    write(store, [b"a" * 100_000] * 4)  # never committed nor aborted: its first chunks were only in memory
    assert chunk_records(store) == 1 and files(store) == [".part"]
    store.close()
    store = MessageStore(tmp_path, inline_bytes=250_000)
    try:
        assert chunk_records(store) == 1 and files(store) == [] and store.count() == 1
        assert list(store.chunks(store.get(KEY))) == [b"kept"]
    finally:
        store.close()
