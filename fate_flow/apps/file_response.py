"""File-style answers (contract §0.4): a download on success, and when the file cannot be produced a JSON
body `{"retcode": 210, "retmsg": ...}` with HTTP status 210, which is what FATE's clients check for."""
from __future__ import annotations

import functools
from typing import Callable, Iterable

from flask import Response

from fate_flow.apps.envelope import json_result
from fate_flow.entity.errors import FateFlowError
from fate_flow.entity.retcode import RetCode


def attachment(chunks: Iterable[bytes], filename: str, mimetype: str) -> Response:
    """A streamed download. The filename is not quoted: clients read it with the regex `filename=(.+)`."""
    response = Response(chunks, mimetype=mimetype, direct_passthrough=True)
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return response


def file_endpoint(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Answers every refusal of `handler` as HTTP 210 / retcode 210, keeping the refusal's message."""

    @functools.wraps(handler)
    def wrapper(*args, **kwargs) -> Response:
        try:
            return handler(*args, **kwargs)
        except FateFlowError as e:
            return json_result(RetCode.FILE_NOT_PRODUCED, e.message, status=int(RetCode.FILE_NOT_PRODUCED))

    return wrapper
