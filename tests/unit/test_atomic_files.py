import pytest

from fate_flow.model.atomic_files import replacing, write_atomically


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
