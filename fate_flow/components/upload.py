"""Upload: load a CSV file into a storage table, one row per line, keyed by the first column.

The file is streamed (memory does not grow with its size). Bad content raises DataError naming the file
and line: ragged rows, empty ids, duplicate ids, an empty or header-only file, non-UTF-8 text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from fate_flow.computing.storage.standalone import DuplicateKeyError, TableWriter
from fate_flow.entity.errors import DataError
from fate_flow.serde.codec import Codec


@dataclass(frozen=True)
class CsvSource:
    path: Path
    head: bool
    id_delimiter: str = ","
    display_name: str = ""  # how messages name the file (the client's file name for multipart uploads)

    @property
    def label(self) -> str:
        return self.display_name or self.path.name


@dataclass
class LoadResult:
    count: int
    schema: dict
    part_of_data: list = field(default_factory=list)


def load_csv(source: CsvSource, writer: TableWriter, codec: Codec, sample_rows: int = 100,
             batch_bytes: int = 8 << 20, on_progress: Callable[[int, int], None] | None = None) -> LoadResult:
    """Stream `source` into `writer` (which the caller closes or aborts). `on_progress(bytes_read, total)`
    is called after each written batch."""
    delim = source.id_delimiter
    pack = codec.scalar_packer()
    put = writer.put
    total_bytes = source.path.stat().st_size
    sample: list[list[str]] = []
    schema: dict = {}
    expected = None  # number of delimiters per line
    lineno = 0
    batch = 0
    read = 0
    try:
        with open(source.path, "rb") as f:
            for raw in f:
                lineno += 1
                batch += len(raw)
                line = raw.decode("utf-8").rstrip("\r\n")
                if lineno == 1:
                    line = line.removeprefix("\ufeff")  # a UTF-8 byte order mark
                if not line.strip():
                    continue
                if expected is None:
                    expected = line.count(delim)
                    if source.head:
                        sid, _, header = line.partition(delim)
                        schema = {"header": header, "sid": sid}
                        continue
                elif line.count(delim) != expected:
                    raise DataError(f"{source.label} line {lineno} has {line.count(delim) + 1} fields, expected "
                                    f"{expected + 1} like the first line; the file is ragged")
                key, _, value = line.partition(delim)
                if not key:
                    raise DataError(f"{source.label} line {lineno} has an empty id (first column)")
                put(pack(key), pack(value))
                if len(sample) < sample_rows:
                    sample.append([key, value])
                if batch >= batch_bytes:
                    writer.flush()
                    read += batch
                    batch = 0
                    if on_progress:
                        on_progress(read, total_bytes)
            writer.flush()
    except UnicodeDecodeError as e:
        raise DataError(f"{source.label} is not UTF-8 text (line {lineno}, byte {e.start + 1}: {e.reason})") from None
    except DuplicateKeyError as e:
        raise DataError(f"{source.label} has the id {codec.loads(e.key)!r} more than once; ids (the first column) "
                        f"must be unique") from None
    if expected is None:
        raise DataError(f"{source.label} is empty")
    if writer.written == 0:
        raise DataError(f"{source.label} has a header line but no data rows")
    return LoadResult(count=writer.written, schema=schema, part_of_data=sample)
