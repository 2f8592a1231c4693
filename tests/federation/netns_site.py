"""One federation site run inside a network namespace (`ip netns exec NS python -m tests.federation.netns_site
CONF`), driven by the test over its stdin/stdout: one JSON request per line, one JSON answer per line.

CONF (JSON): {home, party, role, addr, port, peer: {party, role, addr, port, public_key}}. The site listens on
`addr:port` (an address of the namespace's veth, not loopback) and routes the peer's party to its address.

Requests: {"op": "ping"}; {"op": "remote", "name", "size"} (random bytes, answers their sha256);
{"op": "get", "name"} (answers the sha256 of what arrived); {"op": "remote_table", "name", "rows"};
{"op": "get_table", "name"} (answers the row count and the sum of the values' x).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from fate_flow.federation import CommandRegistry, FederationSettings, Pairs, PartyRef, Route, start_federation
from fate_flow.entity.clock import Clock
from fate_flow.services.partners.commands import ping

JOB = "netns-job"


def site_settings(conf: dict) -> FederationSettings:
    peer = conf["peer"]
    routes = {conf["party"]: Route(conf["party"], conf["addr"], conf["port"]),
              peer["party"]: Route(peer["party"], peer["addr"], peer["port"], peer["public_key"])}
    return FederationSettings(home=Path(conf["home"]), local_parties=(conf["party"],), host=conf["addr"],
                              grpc_port=conf["port"], routes=routes, command_timeout=10.0, get_timeout=20.0,
                              connect_timeout=2.0, route_source="netns test routes")


def answer(request: dict, client, me: PartyRef, peer: PartyRef) -> dict:
    session = client.session(JOB, me)
    op = request["op"]
    if op == "ping":
        return client.send_command(peer, "ping", src=me)
    if op == "remote":
        value = os.urandom(request["size"])
        session.remote(value, request["name"], "0", [peer])
        return {"sha256": hashlib.sha256(value).hexdigest()}
    if op == "get":
        [value] = session.get(request["name"], "0", [peer])
        return {"sha256": hashlib.sha256(value).hexdigest()}
    if op == "remote_table":
        session.remote(Pairs([(i, {"x": i * 0.5}) for i in range(request["rows"])]), request["name"], "0", [peer])
        return {}
    if op == "get_table":
        [table] = session.get(request["name"], "0", [peer])
        rows = list(table)
        return {"rows": len(rows), "x_sum": sum(value["x"] for _, value in rows)}
    raise ValueError(f"unknown op {op!r}")


def main() -> int:
    conf = json.loads(Path(sys.argv[1]).read_text())
    registry = CommandRegistry()
    registry.register("ping", ping(Clock()))
    handle = start_federation(site_settings(conf), registry)
    me = PartyRef(conf["role"], conf["party"])
    peer = PartyRef(conf["peer"]["role"], conf["peer"]["party"])
    print(json.dumps({"ready": True}), flush=True)
    try:
        for line in sys.stdin:
            try:
                reply = answer(json.loads(line), handle.client, me, peer)
            except Exception as e:  # reported to the test, which fails with it
                reply = {"error": f"{type(e).__name__}: {getattr(e, 'message', e)}"}
            print(json.dumps(reply), flush=True)
    finally:
        handle.stop(grace=0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
