"""Files below a trusted directory, opened without following a symbolic link at any level.

Each directory on the way is opened relative to its parent's descriptor with O_NOFOLLOW (openat-style), so
a link planted anywhere below the trusted directory, even while the server is walking, can never send a
read or a write somewhere else. A write goes to a new file beside the target and is renamed over it: it
never writes into an existing inode, so a hard link to another file cannot carry it there either.
"""
from __future__ import annotations

import contextlib
import errno
import os
import stat
import uuid
from typing import IO, Iterator, Sequence

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class UnsafePathError(Exception):
    """The path cannot be used as asked; `reason` completes "<path> ..." (e.g. "goes through the symbolic
    link /tmp/x")."""

    def __init__(self, reason: str, missing: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.missing = missing  # the file (or a directory on the way) does not exist


def _shown(root: str, parts: Sequence[str]) -> str:
    return os.path.join(root, *parts)


def _open_directories(root: str, parts: Sequence[str], create: bool) -> int:
    """A descriptor of root/parts[0]/.../parts[-1], every step opened without following links; missing
    directories are made when `create`. The caller closes it."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for i, name in enumerate(parts):
            shown = _shown(root, parts[:i + 1])
            try:
                next_fd = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise UnsafePathError(f"does not exist ({shown} is missing)", missing=True) from None
                next_fd = None
            except OSError as e:
                raise UnsafePathError(_not_a_directory(fd, name, shown, e)) from None
            if next_fd is None:
                try:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(name, 0o755, dir_fd=fd)
                    next_fd = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except OSError as e:
                    raise UnsafePathError(_not_a_directory(fd, name, shown, e)) from None
            os.close(fd)
            fd = next_fd
        return fd
    except BaseException:
        os.close(fd)
        raise


def _not_a_directory(dir_fd: int, name: str, shown: str, error: OSError) -> str:
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        st = None
    if st is not None and stat.S_ISLNK(st.st_mode):
        return f"goes through the symbolic link {shown}; the server never follows symbolic links here"
    if error.errno in (errno.ENOTDIR, errno.ELOOP):
        return f"goes through {shown}, which is not a directory"
    if error.errno == errno.EACCES:
        return f"goes through {shown}, which the server may not open"
    return f"goes through {shown}, which cannot be opened ({error.strerror})"


def _check_leaf(st: os.stat_result, shown: str, action: str) -> None:
    if stat.S_ISLNK(st.st_mode):
        raise UnsafePathError(f"is a symbolic link ({shown}); the server never {action} through symbolic links")
    if stat.S_ISDIR(st.st_mode):
        raise UnsafePathError("is a directory; give a file path")
    if not stat.S_ISREG(st.st_mode):
        raise UnsafePathError("is not a regular file")
    if st.st_nlink > 1:
        raise UnsafePathError(f"has {st.st_nlink} hard links; the server never {action} a file that has more "
                              f"than one (copy it, or choose another name)")


def check_writable(root: str, parts: Sequence[str]) -> None:
    """Refuse now what `replacing` would refuse, without creating anything: a symbolic link or a
    non-directory on the way, or a target that is a link, a directory, a special file or hard-linked."""
    *dirs, leaf = parts
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for i, name in enumerate(dirs):
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                return  # made when the file is written
            if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
                raise UnsafePathError(_not_a_directory(fd, name, _shown(root, dirs[:i + 1]),
                                                       OSError(errno.ENOTDIR, "not a directory")))
            try:
                next_fd = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError as e:
                raise UnsafePathError(_not_a_directory(fd, name, _shown(root, dirs[:i + 1]), e)) from None
            os.close(fd)
            fd = next_fd
        try:
            st = os.stat(leaf, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return
        _check_leaf(st, _shown(root, parts), "writes")
    finally:
        os.close(fd)


@contextlib.contextmanager
def replacing(root: str, parts: Sequence[str], mode: int = 0o600, encoding: str | None = None,
              newline: str | None = None) -> Iterator[IO]:
    """Write root/parts as a new file (readable by its owner only, as the data it holds may be private)
    renamed into place when the block ends without an error (missing directories are made). Yields a binary
    file, or a text file when `encoding` is given."""
    *dirs, leaf = parts
    fd = _open_directories(root, dirs, create=True)
    try:
        try:
            st = os.stat(leaf, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            st = None
        if st is not None:
            _check_leaf(st, _shown(root, parts), "writes")
        tmp = f".{leaf[:200]}.{uuid.uuid4().hex}.part"
        file_fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode,
                          dir_fd=fd)
        try:
            with (os.fdopen(file_fd, "w", encoding=encoding, newline=newline) if encoding
                  else os.fdopen(file_fd, "wb")) as f:
                yield f
            os.rename(tmp, leaf, src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=fd)
            raise
    finally:
        os.close(fd)


def open_for_reading(root: str, parts: Sequence[str]) -> int:
    """A read-only descriptor of the regular file root/parts (the caller closes it), every step opened
    without following links; refused when it is hard-linked."""
    *dirs, leaf = parts
    fd = _open_directories(root, dirs, create=False)
    try:
        try:
            file_fd = os.open(leaf, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=fd)
        except FileNotFoundError:
            raise UnsafePathError("does not exist", missing=True) from None
        except OSError as e:
            if e.errno == errno.EACCES:
                raise UnsafePathError("is not readable by the server") from None
            try:
                st = os.stat(leaf, dir_fd=fd, follow_symlinks=False)
            except OSError:
                raise UnsafePathError(f"cannot be opened ({e.strerror})") from None
            _check_leaf(st, _shown(root, parts), "reads")
            raise UnsafePathError(f"cannot be opened ({e.strerror})") from None
        try:
            _check_leaf(os.fstat(file_fd), _shown(root, parts), "reads")
            os.set_blocking(file_fd, True)
        except BaseException:
            os.close(file_fd)
            raise
        return file_fd
    finally:
        os.close(fd)
