"""FATE's anonymous column names: how a party's features are named to the other parties ("host_10000_3" is
column 3 of host 10000), so a guest can hold results about host features without knowing their names."""
from __future__ import annotations


def anonymous_name(role: str, party_id: int | str, index: int) -> str:
    return "_".join([role, str(party_id), str(index)])
