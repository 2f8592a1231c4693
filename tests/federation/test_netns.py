"""Two parties in network namespaces the test creates, joined by a veth pair: each federation site listens on
its namespace's own address (not loopback) and reaches the other over the link, signed and MAC'd as anywhere.
Skipped where network namespaces cannot be made (no root, no iproute2, not Linux)."""
from __future__ import annotations

import json
import select
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fate_flow.federation.keys import load_or_create_private_key, public_key_path
from fate_flow.settings import PROJECT_ROOT

PORT = 9360
REPLY_TIMEOUT = 60.0


def ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10)


@pytest.fixture
def namespaces():
    """{"guest": (namespace, address, veth), "host": ...}, removed afterwards (with their veth ends)."""
    if not sys.platform.startswith("linux") or shutil.which("ip") is None:
        pytest.skip("network namespaces need Linux and iproute2")
    tag = secrets.token_hex(3)
    subnet = 4 * secrets.randbelow(64)  # a /30 inside namespaces of our own: nothing else sees it
    made = []
    try:
        for name in ("g", "h"):
            result = ip("netns", "add", f"ff{name}{tag}")
            if result.returncode != 0:
                pytest.skip(f"cannot create a network namespace here: {result.stderr.strip()}")
            made.append(f"ff{name}{tag}")
        guest, host = made
        steps = [("-n", guest, "link", "add", f"vg{tag}", "type", "veth", "peer", "name", f"vh{tag}", "netns", host),
                 ("-n", guest, "addr", "add", f"10.231.7.{subnet + 1}/30", "dev", f"vg{tag}"),
                 ("-n", host, "addr", "add", f"10.231.7.{subnet + 2}/30", "dev", f"vh{tag}")]
        steps += [("-n", ns, "link", "set", dev, "up") for ns, veth in ((guest, f"vg{tag}"), (host, f"vh{tag}"))
                  for dev in ("lo", veth)]
        for step in steps:
            result = ip(*step)
            if result.returncode != 0:
                pytest.skip(f"cannot set up a veth link between namespaces: ip {' '.join(step)}: "
                            f"{result.stderr.strip()}")
        yield {"guest": (guest, f"10.231.7.{subnet + 1}", f"vg{tag}"),
               "host": (host, f"10.231.7.{subnet + 2}", f"vh{tag}")}
    finally:
        for ns in made:
            ip("netns", "del", ns)


class NetnsSite:
    """tests/federation/netns_site.py running in a namespace; request() sends one op and waits for its answer."""

    def __init__(self, namespace: str, conf_path: Path, log_path: Path):
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["ip", "netns", "exec", namespace, sys.executable, "-m", "tests.federation.netns_site",
                 str(conf_path)], cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                text=True)
        assert self._reply(30.0) == {"ready": True}, self._log()

    def request(self, **op) -> dict:
        self.process.stdin.write(json.dumps(op) + "\n")
        self.process.stdin.flush()
        reply = self._reply(REPLY_TIMEOUT)
        assert "error" not in reply, (reply, self._log())
        return reply

    def _reply(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            readable, _, _ = select.select([self.process.stdout], [], [], 0.2)
            if readable:
                line = self.process.stdout.readline()
                assert line, f"the site exited ({self.process.poll()}):\n{self._log()}"
                return json.loads(line)
            assert self.process.poll() is None, f"the site exited ({self.process.returncode}):\n{self._log()}"
        raise AssertionError(f"no answer within {timeout} s:\n{self._log()}")

    def _log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def start_sites(tmp_path: Path, namespaces: dict) -> dict[str, NetnsSite]:
    parties = {"guest": "9999", "host": "10000"}
    homes = {role: tmp_path / role for role in parties}
    for role, party in parties.items():
        load_or_create_private_key(homes[role] / "keys", party)
    sites = {}
    for role, party in parties.items():
        other = "host" if role == "guest" else "guest"
        conf = {"home": str(homes[role]), "party": party, "role": role, "addr": namespaces[role][1], "port": PORT,
                "peer": {"party": parties[other], "role": other, "addr": namespaces[other][1], "port": PORT,
                         "public_key": str(public_key_path(homes[other] / "keys", parties[other]))}}
        conf_path = tmp_path / f"{role}.json"
        conf_path.write_text(json.dumps(conf))
        sites[role] = NetnsSite(namespaces[role][0], conf_path, tmp_path / f"{role}.log")
    return sites


def received_bytes(namespace: str, veth: str) -> int:
    [link] = json.loads(ip("-j", "-s", "-n", namespace, "link", "show", veth).stdout)
    return link["stats64"]["rx"]["bytes"]


def test_parties_in_two_network_namespaces_exchange_commands_values_and_tables(tmp_path, namespaces):
    sites = start_sites(tmp_path, namespaces)
    try:
        guest, host = sites["guest"], sites["host"]
        host_ns, _, host_veth = namespaces["host"]
        before = received_bytes(host_ns, host_veth)
        pong = guest.request(op="ping")
        assert pong["retcode"] == 0 and pong["data"]["party_id"] == "10000" and pong["data"]["from"] == "9999"
        pong = host.request(op="ping")
        assert pong["retcode"] == 0 and pong["data"]["party_id"] == "9999" and pong["data"]["from"] == "10000"
        for name, size in (("one_call", 1 << 20), ("streamed", 6 << 20)):
            sent = guest.request(op="remote", name=name, size=size)
            assert host.request(op="get", name=name) == sent
        guest.request(op="remote_table", name="ids", rows=50_000)
        expected = {"rows": 50_000, "x_sum": sum(i * 0.5 for i in range(50_000))}
        assert host.request(op="get_table", name="ids") == expected
        # the values crossed the link between the namespaces
        assert received_bytes(host_ns, host_veth) - before > 7 << 20
    finally:
        for site in sites.values():
            site.stop()
