"""Download: write a table's rows as CSV, `key<delimiter>value`, header first when the table has one."""
from __future__ import annotations

from typing import Any, Iterable, TextIO

from fate_flow.serde.codec import Codec


def render_value(value: Any, stored_delimiter: str, delimiter: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value if stored_delimiter == delimiter else delimiter.join(value.split(stored_delimiter))
    if isinstance(value, (list, tuple)):
        return delimiter.join(str(v) for v in value)
    return str(value)


def write_csv(items: Iterable[tuple[bytes, bytes]], f: TextIO, codec: Codec, delimiter: str,
              stored_delimiter: str, header: str | None) -> int:
    """Write encoded (key, value) pairs to `f`; returns the number of data rows written."""
    count = 0
    loads = codec.loads
    if header is not None:
        f.write(header + "\n")
    lines = []
    for k, v in items:
        key, value = str(loads(k)), render_value(loads(v), stored_delimiter, delimiter)
        lines.append(f"{key}{delimiter}{value}\n" if value != "" else f"{key}\n")
        if len(lines) >= 10000:
            f.writelines(lines)
            count += len(lines)
            lines = []
    f.writelines(lines)
    count += len(lines)
    return count
