"""Download: write a table's rows to a CSV file, `key<delimiter>value`, header first when the table has one.

Written to a temporary file beside the target and renamed into place, so a reader never sees half a file.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

from fate_flow.serde.codec import Codec


def render_value(value: Any, stored_delimiter: str, delimiter: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value if stored_delimiter == delimiter else delimiter.join(value.split(stored_delimiter))
    if isinstance(value, (list, tuple)):
        return delimiter.join(str(v) for v in value)
    return str(value)


def write_csv(items: Iterable[tuple[bytes, bytes]], out_path: Path, codec: Codec, delimiter: str,
              stored_delimiter: str, header: str | None) -> int:
    """Write encoded (key, value) pairs; returns the number of data rows written."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".part")
    count = 0
    loads = codec.loads
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
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
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count
