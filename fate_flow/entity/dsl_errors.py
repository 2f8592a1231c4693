"""Errors of the DSL parser and runtime conf checks (contract §3).

FATE-Flow 1.6 reports every DSL/conf problem as retcode 100 with the message as `retmsg`, so these are
ParameterErrors; `component` and `field` say where the problem is, for callers that want it structured.
"""
from typing import Any

from fate_flow.entity.errors import ParameterError
from fate_flow.entity.retcode import RetCode


class DSLError(ParameterError):
    """The job DSL is malformed: unknown module, dangling input, loop, bad name, bad version..."""

    retcode = RetCode.EXCEPTION_ERROR

    def __init__(self, message: str, *, component: str | None = None, field: str | None = None,
                 data: Any = None):
        super().__init__(message, data=data)
        self.component = component
        self.field = field


class RuntimeConfError(DSLError):
    """The job runtime conf is malformed: initiator, roles, party indexes, parameter shapes."""


class DeployError(DSLError):
    """A predict DSL cannot be derived from the training DSL for the requested components."""
