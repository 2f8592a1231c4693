"""Which failed writes are a full disk, and what the error then says (fate_flow.entity.disk)."""
import errno
import sqlite3

import lmdb

from fate_flow.entity.disk import DiskFullError, disk_full_error, disk_usage

HUGE = 1 << 60  # no disk has this much free: every disk counts as full


def test_enospc_names_the_disk_the_free_space_and_what_to_free(tmp_path):
    error = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "temp" / "upload-1"))
    full = disk_full_error(error, {"home": tmp_path}, 64 << 20, needed_bytes=200 << 20)
    assert isinstance(full, DiskFullError) and full.retcode == 100
    [usage] = disk_usage({"home": tmp_path})
    assert full.message.startswith(f"the disk is full: the filesystem mounted at {usage.mount} (this server's "
                                   f"home, file being written) has ")
    assert "free at least 200.0 MiB there" in full.message and "Errno" not in full.message
    assert "upload-1" not in full.message and (usage.mount == "/" or str(tmp_path) not in full.message)


def test_sqlite_full_is_a_full_disk_and_its_io_error_only_when_the_disk_is_nearly_full(tmp_path):
    chained = RuntimeError("wrapped")
    chained.__cause__ = sqlite3.OperationalError("database or disk is full")
    assert disk_full_error(chained, {"home": tmp_path}, 0) is not None
    io_error = sqlite3.OperationalError("disk I/O error")
    assert disk_full_error(io_error, {"home": tmp_path}, 0) is None  # room left: another fault
    assert "the disk is full" in disk_full_error(io_error, {"home": tmp_path}, HUGE).message


def test_lmdb_errors(tmp_path):
    assert disk_full_error(lmdb.Error("mdb_txn_commit: Input/output error"), {"home": tmp_path}, 0) is None
    assert disk_full_error(lmdb.Error("mdb_txn_commit: Input/output error"), {"home": tmp_path}, HUGE) is not None
    map_full = disk_full_error(lmdb.MapFullError("mdb_put: MDB_MAP_FULL: Environment mapsize limit reached"),
                               {"home": tmp_path}, 0)
    assert "reached its size limit (LMDB map size)" in map_full.message


def test_other_errors_are_not_a_full_disk(tmp_path):
    assert disk_full_error(ValueError("a multiplier is too large"), {"home": tmp_path}, HUGE) is None
    assert disk_full_error(OSError(errno.EACCES, "Permission denied"), {"home": tmp_path}, HUGE) is None


def test_places_on_one_filesystem_are_reported_once(tmp_path):
    (tmp_path / "data").mkdir()
    [usage] = disk_usage({"home": tmp_path, "table store": tmp_path / "data", "logs": tmp_path / "not_yet" / "made"})
    assert usage.holds == ("home", "table store", "logs")
    assert usage.describe() == f"the filesystem mounted at {usage.mount} (this server's home, table store, logs)"
    assert 0 <= usage.free_bytes <= usage.total_bytes
