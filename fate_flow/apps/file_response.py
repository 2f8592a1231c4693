"""File-style answers (contract §0.4): a download on success, and when the file cannot be produced a JSON
body `{"retcode": 210, "retmsg": ...}` with HTTP status 210, which is what FATE's clients check for."""
from __future__ import annotations

import functools
from typing import Callable, Iterable
from urllib.parse import quote

from flask import Response

from fate_flow.apps.envelope import json_result
from fate_flow.apps.request_body import record_refusal
from fate_flow.entity.errors import FateFlowError, InvalidParameterError
from fate_flow.entity.retcode import RetCode


def content_disposition(filename: str) -> str:
    """`attachment; filename=<name>`, unquoted, as FATE's clients read it with the regex `filename=(.+)`. A name
    that is not ASCII also goes as RFC 6266/5987 `filename*=UTF-8''<percent-encoded>`, placed first so that the
    regex still finds only the plain `filename=` (an ASCII stand-in: `_` for each other character)."""
    if filename.isascii():
        return f"attachment; filename={filename}"
    fallback = "".join(c if c.isascii() else "_" for c in filename)
    return f"attachment; filename*=UTF-8''{quote(filename, safe='')}; filename={fallback}"


def attachment(chunks: Iterable[bytes], filename: str, mimetype: str) -> Response:
    """A streamed download named `filename` (a checked plain file name, see content_disposition)."""
    response = Response(chunks, mimetype=mimetype, direct_passthrough=True)
    response.headers["Content-Disposition"] = content_disposition(filename)
    return response


def file_endpoint(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Answers every refusal of `handler` with HTTP status 210 (clients save any 200 answer as the file): retcode
    210 with the refusal's message, or 101 when a request field was refused at the boundary."""

    @functools.wraps(handler)
    def wrapper(*args, **kwargs) -> Response:
        try:
            return handler(*args, **kwargs)
        except FateFlowError as e:
            retcode = RetCode.FILE_NOT_PRODUCED
            if isinstance(e, InvalidParameterError):
                record_refusal(e)
                retcode = e.retcode
            return json_result(retcode, e.message, status=int(RetCode.FILE_NOT_PRODUCED))

    return wrapper
