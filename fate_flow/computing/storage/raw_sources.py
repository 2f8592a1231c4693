"""Reading tables whose data lives outside the standalone store (registered by /v1/table/add): a text
file or a MySQL table. Rows come out as (id, rest of the row joined by the delimiter), the shape uploaded
tables have, so the components after the Reader see one format."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pymysql


def file_rows(path: str, delimiter: str, have_head: bool) -> Iterator[tuple[str, str]]:
    with open(Path(path), "r", encoding="utf-8") as f:
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
