"""Yes/no request parameters as FATE clients send them: JSON booleans, 1/0, or their text forms."""
from typing import Any

from fate_flow.entity.errors import InvalidParameterError
from fate_flow.entity.identifiers import shown

TRUE_TEXTS = ("1", "true")
FALSE_TEXTS = ("", "0", "false", "none")


def parse_flag(value: Any, field: str) -> bool:
    """`value` as a bool; InvalidParameterError (101) naming `field` for anything else."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_TEXTS:
        return True
    if text in FALSE_TEXTS:
        return False
    raise InvalidParameterError(f"parameter {field} must be true or false, got {shown(value)}", field=field)
