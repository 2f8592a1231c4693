"""How the guest learns the WOE/IV of host features without either party seeing the other's data.

1. The guest Paillier-encrypts its 0/1 labels (in the order of its row ids) and sends the ids, the ciphertexts and
   (inside them) the public key to each host.
2. Each host bins its own features, adds up the ciphertexts of the rows in each bin of each feature (rows the guest
   does not have are left out) and sends back only those per-bin encrypted sums, the number of rows in each bin and
   the anonymous name of each feature (role_partyid_index). Split points and feature values stay on the host.
3. The guest decrypts the sums: the events of each host bin; non-events are the bin's rows minus its events.
The host only ever sees ciphertexts, so it learns nothing about the labels.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fate_flow.components.base import ComponentContext
from fate_flow.entity.errors import DataError
from fate_flow.federation.parties import PartyRef
from fate_flow.secure import paillier

LABELS = "encrypted_label"
BIN_SUMS = "encrypted_bin_sum"


@dataclass
class HostBinCounts:
    """What the guest learns about one host: per feature (anonymous name), events and rows of each bin."""
    party: PartyRef
    names: list[str]
    events: list[np.ndarray]
    counts: list[np.ndarray]


def guest_exchange(ctx: ComponentContext, ids: list[Any], labels: np.ndarray, key_length: int,
                   hosts: list[PartyRef]) -> list[HostBinCounts]:
    """Send the encrypted labels to every host; decrypt what each sends back."""
    public_key, private_key = paillier.generate_keypair(bits=key_length)
    encrypted = public_key.encrypt(labels.astype(np.float64))
    ctx.federation.remote({"ids": list(ids), "labels": encrypted}, LABELS, ctx.tag("binning", LABELS), hosts)
    replies = ctx.federation.get(BIN_SUMS, ctx.tag("binning", BIN_SUMS), hosts)
    results = []
    for party, reply in zip(hosts, replies):
        names, bin_nums = list(reply["names"]), [int(b) for b in reply["bin_nums"]]
        counts = np.asarray(reply["counts"], dtype=np.int64)
        total = sum(bin_nums)
        events = np.rint(private_key.decrypt(reply["event_sums"])).astype(np.int64) if total else \
            np.zeros(0, dtype=np.int64)
        if len(names) != len(bin_nums) or len(counts) != total or len(events) != total:
            raise DataError(f"host {party.party_id} sent inconsistent bin sums ({len(names)} features, "
                            f"{total} bins, {len(counts)} counts, {len(events)} sums)")
        if np.any(events < 0) or np.any(events > counts):
            raise DataError(f"host {party.party_id} sent bin sums that do not fit its bin counts")
        bounds = np.cumsum([0] + bin_nums)
        results.append(HostBinCounts(party, names, [events[a:b] for a, b in zip(bounds, bounds[1:])],
                                     [counts[a:b] for a, b in zip(bounds, bounds[1:])]))
    return results


def host_exchange(ctx: ComponentContext, ids: list[Any], bins: list[np.ndarray], bin_nums: list[int],
                  names: list[str], guest: PartyRef) -> int:
    """Answer the guest: encrypted label sums and row counts per bin of each feature (`bins[f][row]` is the bin of
    row `row` in feature f). Returns how many rows the guest and this host have in common."""
    [message] = ctx.federation.get(LABELS, ctx.tag("binning", LABELS), [guest])
    guest_position = {key: i for i, key in enumerate(message["ids"])}
    rows = np.array([r for r, key in enumerate(ids) if key in guest_position], dtype=np.int64)
    if rows.size == 0:
        raise DataError("the host has no row ids in common with the guest; run Intersection before binning")
    positions = np.array([guest_position[ids[r]] for r in rows], dtype=np.int64)
    offsets = np.cumsum([0] + bin_nums)[:-1]
    total = int(sum(bin_nums))
    segments = np.concatenate([offset + b[rows] for offset, b in zip(offsets, bins)]) if bins else \
        np.zeros(0, dtype=np.int64)
    counts = np.bincount(segments, minlength=total).astype(np.int64)
    event_sums = message["labels"][np.tile(positions, len(bins))].segment_sum(segments, total) if total else None
    ctx.federation.remote({"names": names, "bin_nums": bin_nums, "counts": counts, "event_sums": event_sums},
                          BIN_SUMS, ctx.tag("binning", BIN_SUMS), [guest])
    return int(rows.size)
