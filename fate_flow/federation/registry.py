"""Commands a server answers for its partners. The wiring code fills the registry with the service layer's
handlers; federation only dispatches to them, in the process that received the gRPC call.

    registry.register("ping", lambda cmd: {"retcode": 0, "retmsg": "pong"})
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from fate_flow.entity.errors import FateFlowError
from fate_flow.entity.retcode import RetCode
from fate_flow.federation.parties import PartyRef

LOG = logging.getLogger("fate_flow.federation")


@dataclass(frozen=True)
class IncomingCommand:
    command: str
    body: dict[str, Any]
    src: PartyRef        # authenticated sender
    dst: PartyRef        # the hosted party it is addressed to (one server may host several)
    job_id: str = ""
    verb: str = "POST"
    # the gRPC peer the command came from (its server's address), for refusal records
    peer: str = ""


Handler = Callable[[IncomingCommand], Mapping[str, Any]]


class CommandRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()
        # what a handler's unexpected exception means to the sender, when the wiring code knows (a full disk)
        self.explain: Callable[[Exception], FateFlowError | None] = lambda e: None

    def register(self, name: str, handler: Handler) -> None:
        with self._lock:
            if name in self._handlers:
                raise ValueError(f"command {name!r} is already registered")
            self._handlers[name] = handler

    def names(self) -> list[str]:
        return sorted(self._handlers)

    def dispatch(self, cmd: IncomingCommand) -> dict[str, Any]:
        """The handler's envelope; an unknown command or a failing handler gives an error envelope."""
        handler = self._handlers.get(cmd.command)
        if handler is None:
            return {"retcode": int(RetCode.EXCEPTION_ERROR),
                    "retmsg": f"unknown command {cmd.command!r} for {cmd.dst} (known: {', '.join(self.names())})"}
        try:
            result = dict(handler(cmd))
        except FateFlowError as e:
            LOG.info("command %s from %s (job %s) refused: %s", cmd.command, cmd.src, cmd.job_id or "-", e.message)
            return _envelope(int(e.retcode), e.message, e.data)
        except Exception as e:
            explained = self.explain(e)
            if explained is not None:
                LOG.warning("command %s from %s (job %s) failed: %s", cmd.command, cmd.src, cmd.job_id or "-",
                            explained.message)
                return _envelope(int(explained.retcode), explained.message, explained.data)
            LOG.exception("command %s from %s (job %s) failed", cmd.command, cmd.src, cmd.job_id or "-")
            return _envelope(int(RetCode.EXCEPTION_ERROR), f"{type(e).__name__}: {e}")
        if "retcode" not in result:
            LOG.error("handler of command %s returned no retcode: %r", cmd.command, result)
            return _envelope(int(RetCode.EXCEPTION_ERROR), f"handler of command {cmd.command!r} returned no retcode")
        result.setdefault("retmsg", "success")
        return result


def _envelope(retcode: int, retmsg: str, data: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"retcode": retcode, "retmsg": retmsg}
    if data is not None:
        body["data"] = data
    return body
