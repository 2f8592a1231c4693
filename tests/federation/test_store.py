"""The receiver's store: a value's first chunks kept in LMDB up to inline_bytes and the rest in a file,
visible only once committed, and nothing left behind by an aborted or crashed stream."""
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
    assert store.count() == chunk_records(store) == 0 and files(store) == []


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
