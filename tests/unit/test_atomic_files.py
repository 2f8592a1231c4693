import os
import stat

import pytest

from fate_flow.entity.atomic_files import replacing, write_atomically, write_if_absent


@pytest.mark.parametrize("fsync", [False, True])
def test_a_write_replaces_the_file_whole_and_leaves_no_temporary(tmp_path, fsync):
    target = tmp_path / "sub" / "model.pb"
    write_atomically(target, b"old", fsync=fsync)
    write_atomically(target, b"new", fsync=fsync)
    assert target.read_bytes() == b"new" and [p.name for p in target.parent.iterdir()] == ["model.pb"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "manifest.yaml"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with replacing(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("disk trouble")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["manifest.yaml"]


def test_a_mode_is_kept_whatever_the_umask(tmp_path):
    old_umask = os.umask(0o077)
    try:
        write_atomically(tmp_path / "pub.pem", b"public", mode=0o644)
    finally:
        os.umask(old_umask)
    write_atomically(tmp_path / "key.pem", b"secret", mode=0o600, fsync=True)
    assert stat.S_IMODE((tmp_path / "pub.pem").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "key.pem").stat().st_mode) == 0o600


def test_write_if_absent_never_replaces_an_existing_file(tmp_path):
    target = tmp_path / "keys" / "9999.pem"
    assert write_if_absent(target, b"first", mode=0o600) is True
    assert write_if_absent(target, b"second", mode=0o600) is False
    assert target.read_bytes() == b"first" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["9999.pem"]
