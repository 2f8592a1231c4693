"""Reading tables whose data lives outside the standalone store (registered by /v1/table/add): a text
file or a MySQL table. Rows come out as (id, rest of the row joined by the delimiter), the shape uploaded
tables have, so the components after the Reader see one format."""
from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Iterator

import pymysql

from fate_flow.entity.errors import DataError


def file_rows(path: str, delimiter: str, have_head: bool) -> Iterator[tuple[str, str]]:
    """The file's rows. It was checked against file_access.read_dirs when it was registered; a symbolic link
    or a hard link put in its place since then is refused."""
    try:
        fd = os.open(Path(path), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as e:
        reason = "it was replaced by a symbolic link" if e.errno == errno.ELOOP else e.strerror
        raise DataError(f"cannot read {path}: {reason}") from None
    links = os.fstat(fd).st_nlink
    if links > 1:
        os.close(fd)
        raise DataError(f"cannot read {path}: it has {links} hard links since it was registered")
    with open(fd, "r", encoding="utf-8") as f:
        first = True
        for line in f:
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            if first and have_head:
                first = False
                continue
            first = False
            key, _, value = line.partition(delimiter)
            yield key, value


def mysql_rows(address: dict, delimiter: str, batch: int = 10000) -> Iterator[tuple[str, str]]:
    """Rows of `address["name"]` in database `address["db"]`; the first column is the id."""
    conn = pymysql.connect(host=str(address["host"]), port=int(address["port"]), user=str(address["user"]),
                           password=str(address["passwd"]), database=str(address["db"]), connect_timeout=10,
                           cursorclass=pymysql.cursors.SSCursor)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT * FROM `" + str(address["name"]).replace("`", "``") + "`")
            while rows := cur.fetchmany(batch):
                for row in rows:
                    yield str(row[0]), delimiter.join("" if v is None else str(v) for v in row[1:])
    finally:
        conn.close()
