"""FATE 1.6's "raw" intersection: the parties that are not `join_role` send their ids (hashed with
encode_params when with_encode) to the join role, which intersects them with its own and, with
sync_intersect_ids, sends the intersection back.

join_role guest: each host sends its ids to the guest; the guest keeps the ids every host holds and sends
that final intersection to every host. join_role host: the guest sends its ids to every host; each host
intersects and returns its intersection; with several hosts the guest sends the common intersection back
so that every host ends with the same ids. Without sync_intersect_ids only the join role learns it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from fate_flow.components.base import ComponentContext
from fate_flow.components.id_hashing import encode_id
from fate_flow.entity.errors import DataError

GUEST, HOST = "guest", "host"
SENT_IDS = "raw_intersect_send_ids"
INTERSECT_IDS = "raw_intersect_ids"
COMMON_IDS = "raw_intersect_common_ids"


@dataclass(frozen=True)
class RawSettings:
    join_role: str
    sync_intersect_ids: bool
    # None: ids are sent as they are
    encode_method: str | None
    salt: str
    base64: bool

    def encoder(self) -> Callable[[Any], Any]:
        if self.encode_method is None:
            return lambda i: i
        method, salt, b64 = self.encode_method, self.salt, self.base64
        return lambda i: encode_id(i, method, salt, b64)


def intersect(ctx: ComponentContext, ids: list, s: RawSettings) -> set | None:
    """This party's ids in the intersection, or None when it does not learn the intersection."""
    encode = s.encoder()
    by_code = {encode(i): i for i in ids}
    if ctx.role == s.join_role:
        common = _join(ctx, set(by_code), s)
    else:
        common = _send(ctx, list(by_code), s)
    return None if common is None else {by_code[c] for c in common if c in by_code}


def _join(ctx: ComponentContext, own: set, s: RawSettings) -> set:
    tag = ctx.tag("intersection")
    if ctx.role == GUEST:
        hosts = ctx.parties(HOST)
        common = set(own)
        for host, ids in zip(hosts, ctx.federation.get(SENT_IDS, tag, hosts)):
            common &= _id_set(ids, f"the ids from host {host.party_id}")
        if s.sync_intersect_ids:
            ctx.federation.remote(list(common), INTERSECT_IDS, tag, hosts)
        return common
    guest = ctx.parties(GUEST)[:1]
    [ids] = ctx.federation.get(SENT_IDS, tag, guest)
    common = own & _id_set(ids, "the ids from the guest")
    if s.sync_intersect_ids:
        ctx.federation.remote(list(common), INTERSECT_IDS, tag, guest)
        if len(ctx.parties(HOST)) > 1:
            [final] = ctx.federation.get(COMMON_IDS, tag, guest)
            common = own & _id_set(final, "the common intersection from the guest")
    return common


def _send(ctx: ComponentContext, own: list, s: RawSettings) -> set | None:
    tag = ctx.tag("intersection")
    if ctx.role == HOST:
        guest = ctx.parties(GUEST)[:1]
        ctx.federation.remote(own, SENT_IDS, tag, guest)
        if not s.sync_intersect_ids:
            return None
        [common] = ctx.federation.get(INTERSECT_IDS, tag, guest)
        return _id_set(common, "the intersect ids from the guest")
    hosts = ctx.parties(HOST)
    ctx.federation.remote(own, SENT_IDS, tag, hosts)
    if not s.sync_intersect_ids:
        return None
    common = set(own)
    for host, ids in zip(hosts, ctx.federation.get(INTERSECT_IDS, tag, hosts)):
        common &= _id_set(ids, f"the intersect ids from host {host.party_id}")
    if len(hosts) > 1:
        ctx.federation.remote(list(common), COMMON_IDS, tag, hosts)
    return common


def _id_set(values: Any, what: str) -> set:
    if not isinstance(values, list):
        raise DataError(f"{what} should be a list, got {type(values).__name__}")
    try:
        return set(values)
    except TypeError:
        raise DataError(f"{what} hold values that cannot be ids") from None
