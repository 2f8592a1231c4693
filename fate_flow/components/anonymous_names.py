"""FATE's anonymous column names: how a party's features are named to the other parties ("host_10000_3" is
column 3 of host 10000), so a guest can hold results about host features without knowing their names."""
from __future__ import annotations

from fate_flow.entity.errors import DataError


def anonymous_name(role: str, party_id: int | str, index: int) -> str:
    return "_".join([role, str(party_id), str(index)])


def anonymous_index(name: str) -> int:
    """The column index an anonymous name stands for."""
    try:
        return int(name.rsplit("_", 1)[-1])
    except ValueError:
        raise DataError(f"{name!r} is not an anonymous column name (role_partyid_index)") from None
