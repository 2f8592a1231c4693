"""Who is talking: a party is a (role, party id) pair; the route table only cares about the party id."""
from __future__ import annotations

from dataclasses import dataclass

from fate_flow.proto import federation_pb2 as pb


@dataclass(frozen=True)
class PartyRef:
    role: str
    party_id: str

    def __init__(self, role: str, party_id: str | int):
        object.__setattr__(self, "role", str(role or ""))
        object.__setattr__(self, "party_id", str(party_id))

    def __str__(self) -> str:
        return f"{self.role} party {self.party_id}" if self.role else f"party {self.party_id}"

    def to_pb(self) -> pb.Party:
        return pb.Party(role=self.role, party_id=self.party_id)

    @classmethod
    def from_pb(cls, party: pb.Party) -> "PartyRef":
        return cls(party.role, party.party_id)
