"""Server-side paths a client names: read and write directories, the server's own state out of reach even
inside them, no symbolic link followed and no hard link written through on the way to a write."""
import os
from pathlib import Path

import pytest

from fate_flow.entity.errors import ParameterError, PathNotAllowedError
from fate_flow.services.files import nofollow_files
from fate_flow.services.files.file_access import FileAccess

KEY = b"-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n"


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    (home / "keys").mkdir(parents=True)
    (home / "keys" / "9999.pem").write_bytes(KEY)
    (home / "fate_flow.db").write_bytes(b"SQLite format 3\0")
    for name in ("data_in", "data_out", "logs", "jobs"):
        (home / name).mkdir()
    (home / "data_in" / "ok.csv").write_text("id,x\n1,2\n")
    return home


def access(home, read=None, write=None, state=None):
    return FileAccess(read if read is not None else [home / "data_in"],
                      write if write is not None else [home / "data_out", home.parent / "tmp"],
                      state if state is not None else [home / "keys", home / "fate_flow.db", home / "logs"], home)


def written(target, data=b"id,x\n") -> None:
    with target.replacing() as f:
        f.write(data)


def test_a_write_inside_a_write_dir_replaces_the_file_and_makes_missing_directories(home):
    target = access(home).writable(str(home / "data_out" / "a" / "b.csv"), "output_path")
    written(target, b"new")
    assert (home / "data_out" / "a" / "b.csv").read_bytes() == b"new"
    assert (home / "data_out" / "a" / "b.csv").stat().st_mode & 0o777 == 0o600
    written(target, b"newer")
    assert (home / "data_out" / "a" / "b.csv").read_bytes() == b"newer"
    assert sorted(p.name for p in (home / "data_out" / "a").iterdir()) == ["b.csv"]  # no temporary file left


@pytest.mark.parametrize("relative", ["keys/9999.pem", "fate_flow.db", "logs/fate_flow/x.log", "jobs/x.json",
                                      "anything_else.csv", "data_out/../keys/9999.pem"])
def test_write_dirs_containing_home_still_keep_the_server_state_out_of_reach(home, relative):
    fa = access(home, write=[home.parent])
    with pytest.raises(PathNotAllowedError, match="part of the server's own state"):
        fa.writable(str(home / relative), "output_path")
    assert (home / "keys" / "9999.pem").read_bytes() == KEY
    fa.writable(str(home.parent / "elsewhere.csv"), "output_path")  # beside home is fine


def test_a_configured_directory_inside_home_is_the_only_part_of_it_a_client_reaches(home):
    fa = access(home, write=[home, home / "data_out"], read=[home, home / "data_in"])
    written(fa.writable(str(home / "data_out" / "x.csv"), "output_path"))
    with fa.reading(str(home / "data_in" / "ok.csv"), "file") as f:
        assert f.open_path.read_text() == "id,x\n1,2\n"
    for relative in ("keys/9999.pem", "fate_flow.db", "x.csv"):
        with pytest.raises(PathNotAllowedError, match="server's own state"):
            fa.writable(str(home / relative), "output_path")
        with pytest.raises(PathNotAllowedError, match="server's own state"):
            with fa.reading(str(home / relative), "file"):
                pass


def test_a_symlink_at_the_leaf_or_at_a_parent_is_never_written_through(home):
    tmp = home.parent / "tmp"
    tmp.mkdir()
    (tmp / "planted.csv").symlink_to(home / "keys" / "9999.pem")
    (tmp / "dir").symlink_to(home / "keys")
    (home / "data_out" / "link").symlink_to(home / "keys")
    fa = access(home)
    with pytest.raises(PathNotAllowedError, match=r"is a symbolic link .*never writes through symbolic links"):
        fa.writable(str(tmp / "planted.csv"), "output_path")
    for path in (tmp / "dir" / "9999.pem", home / "data_out" / "link" / "9999.pem",
                 home / "data_out" / "link" / "new" / "x.csv"):
        with pytest.raises(PathNotAllowedError, match="goes through the symbolic link"):
            fa.writable(str(path), "output_path")
    assert (home / "keys" / "9999.pem").read_bytes() == KEY
    assert sorted(p.name for p in (home / "keys").iterdir()) == ["9999.pem"]


def test_a_symlink_planted_after_the_check_is_refused_when_writing(home):
    fa = access(home)
    target = fa.writable(str(home / "data_out" / "sub" / "9999.pem"), "output_path")
    (home / "data_out" / "sub").symlink_to(home / "keys")  # the race: a parent swapped in between
    with pytest.raises(PathNotAllowedError, match="goes through the symbolic link"):
        written(target, b"overwritten")
    leaf = fa.writable(str(home / "data_out" / "leaf.csv"), "output_path")
    (home / "data_out" / "leaf.csv").symlink_to(home / "keys" / "9999.pem")
    with pytest.raises(PathNotAllowedError, match="is a symbolic link"):
        written(leaf, b"overwritten")
    assert (home / "keys" / "9999.pem").read_bytes() == KEY
    assert sorted(p.name for p in (home / "keys").iterdir()) == ["9999.pem"]


def test_a_hard_link_is_never_written_through(home):
    os.link(home / "keys" / "9999.pem", home / "data_out" / "copy.csv")
    with pytest.raises(PathNotAllowedError, match="has 2 hard links"):
        access(home).writable(str(home / "data_out" / "copy.csv"), "output_path")
    assert (home / "keys" / "9999.pem").read_bytes() == KEY


def test_writes_outside_the_write_dirs_and_to_a_directory_are_refused(home):
    fa = access(home)
    with pytest.raises(PathNotAllowedError, match="is outside the directories this server may write"):
        fa.writable("/etc/x.csv", "output_path")
    with pytest.raises(PathNotAllowedError, match="is outside the directories"):
        fa.writable(str(home / "data_out" / ".." / ".." / "x.csv"), "output_path")
    with pytest.raises(PathNotAllowedError, match="is a directory"):
        fa.writable(str(home / "data_out"), "output_path")
    (home / "data_out" / "d").mkdir()
    with pytest.raises(PathNotAllowedError, match="is a directory"):
        fa.writable(str(home / "data_out" / "d"), "output_path")


def test_reads_follow_links_only_to_files_that_pass_the_checks(home):
    fa = access(home)
    (home / "data_in" / "alias.csv").symlink_to(home / "data_in" / "ok.csv")
    with fa.reading(str(home / "data_in" / "alias.csv"), "file") as f:
        assert f.path == home / "data_in" / "ok.csv" and f.open_path.read_text() == "id,x\n1,2\n"
        fd = f.fd
    with pytest.raises(OSError):
        os.fstat(fd)  # closed with the block
    (home / "data_in" / "key.csv").symlink_to(home / "keys" / "9999.pem")
    with pytest.raises(PathNotAllowedError, match="outside the directories this server may read"):
        with fa.reading(str(home / "data_in" / "key.csv"), "file"):
            pass
    os.link(home / "keys" / "9999.pem", home / "data_in" / "hard.csv")
    with pytest.raises(PathNotAllowedError, match="has 2 hard links"):
        with fa.reading(str(home / "data_in" / "hard.csv"), "file"):
            pass
    with pytest.raises(ParameterError, match="file .*missing.csv does not exist"):
        with fa.reading(str(home / "data_in" / "missing.csv"), "file"):
            pass


def test_the_no_follow_walk_refuses_a_link_swapped_in_for_a_directory(home):
    (home / "data_in" / "sub").symlink_to(home / "keys")
    with pytest.raises(nofollow_files.UnsafePathError, match="goes through the symbolic link"):
        nofollow_files.open_for_reading(str(home / "data_in"), ["sub", "9999.pem"])
    with pytest.raises(nofollow_files.UnsafePathError, match="is a symbolic link"):
        nofollow_files.open_for_reading(str(home), ["data_in", "sub"])


def test_relative_paths_are_taken_from_the_project_root(home):
    from fate_flow.settings import PROJECT_ROOT
    fa = FileAccess([PROJECT_ROOT / "examples"], [], [], home)
    with fa.reading("examples/data/breast_hetero_guest.csv", "file") as f:
        assert f.path == PROJECT_ROOT / "examples" / "data" / "breast_hetero_guest.csv"
    with pytest.raises(PathNotAllowedError, match="outside"):
        with fa.reading("examples/../setup.py", "file"):
            pass
    assert Path(PROJECT_ROOT / "setup.py").exists()


def test_small_text_files_only_and_paths_no_longer_than_path_max(home):
    fa = access(home)
    (home / "data_in" / "big.yaml").write_bytes(b"x" * 101)
    with pytest.raises(ParameterError, match="big.yaml is larger than 100 bytes"):
        fa.read_text(str(home / "data_in" / "big.yaml"), "config_file", limit=100)
    assert fa.read_text(str(home / "data_in" / "ok.csv"), "config_file")[1] == "id,x\n1,2\n"
    with pytest.raises(ParameterError, match="parameter output_path is longer than 4096 characters"):
        fa.writable("/" + "a" * 5000, "output_path")
