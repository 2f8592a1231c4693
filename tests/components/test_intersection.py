"""Intersection over a real gRPC data plane: raw and RSA give exactly the set intersection of the parties'
ids, keep each party's own rows, and (RSA) send nothing from which a party could read another's ids."""
import base64
import csv
import hashlib
import time
from pathlib import Path

import numpy as np
import pytest

from fate_flow.components.id_hashing import digest, encode_id, hash_to_int
from fate_flow.components.intersection import IntersectionParams
from fate_flow.computing.standalone import StandaloneSession
from fate_flow.computing.storage.standalone import ENGINE, StandaloneStore
from fate_flow.entity.errors import ParameterError
from fate_flow.entity.task_spec import TableRef
from fate_flow.federation.data_plane import FederationSession
from fate_flow.serde.instance import Instance
from fate_flow.settings import PROJECT_ROOT
from tests.components.harness import run_component, run_parties, spec, upload_csv

DATA = PROJECT_ROOT / "examples" / "data"
CREDIT = Path("/work/shared/data")
GUEST_ID, HOST_IDS = 9999, (10000, 10001)


def read_csv(path: Path) -> tuple[list[str], dict[str, list[str]]]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], {r[0]: r[1:] for r in rows[1:]}


def ids_of(path: Path, keep) -> set[str]:
    return {i for i in read_csv(path)[1] if keep(int(i))}


class Party:
    """One party's computing session with its input table of Instances (as DataTransform outputs them)."""

    def __init__(self, tmp_path: Path, role: str, party_id: int, path: Path, keep=lambda i: True):
        self.role, self.party_id = role, party_id
        self.session = StandaloneSession(StandaloneStore(tmp_path / f"{role}_{party_id}"))
        header, rows = read_csv(path)
        labelled = header[1] == "y"
        self.rows = {i: Instance(np.asarray(v[1:] if labelled else v, dtype=float), label=int(v[0]) if labelled
                                 else None) for i, v in rows.items() if keep(int(i))}
        table = self.session.parallelize(self.rows.items(), 4)
        self.schema = {"header": header[2:] if labelled else header[1:], "sid_name": "id"}
        if labelled:
            self.schema["label_name"] = "y"
        self.ref = TableRef("job", f"in_{role}_{party_id}", ENGINE, self.session.keep(table), 4, self.schema,
                            source="data_transform_0")


def run_intersection(tmp_path, guest: Party, hosts: list[Party], params: dict, **site_overrides) -> dict:
    roles = {"guest": [guest.party_id], "host": [h.party_id for h in hosts]}
    tasks = [spec("Intersection", role=p.role, party_id=p.party_id, parameters=params, roles=roles,
                  input_data={"data": [p.ref]}, output_model=(), job_id="job_psi")
             for p in [guest, *hosts]]
    return run_parties(tmp_path, tasks, sessions={(p.role, p.party_id): p.session for p in [guest, *hosts]},
                       **site_overrides)


def output_rows(results, party: Party) -> dict:
    out, _ = results[(party.role, party.party_id)]
    return dict(out.data["data"].collect())


@pytest.fixture
def traffic(monkeypatch):
    """Everything the parties send over the data plane: (sender role, sender id, variable name, value)."""
    sent = []
    original = FederationSession.remote

    def recording_remote(self, value, name, tag, parties, timeout=None):
        sent.append((self.me.role, int(self.me.party_id), name, value))
        return original(self, value, name, tag, parties, timeout)

    monkeypatch.setattr(FederationSession, "remote", recording_remote)
    return sent


def leaves(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from leaves(v)
    elif isinstance(value, (list, tuple, set)):
        for v in value:
            yield from leaves(v)
    else:
        yield value


# ------------------------------------------------------------------------------------------ raw
def test_raw_after_upload_and_data_transform_gives_the_set_intersection(tmp_path):
    """The whole chain: CSV subsets uploaded, DataTransform, then raw intersection (join role guest)."""
    parties = {}
    for role, pid, name, keep, params in (
            ("guest", GUEST_ID, "breast_hetero_guest.csv", lambda i: i % 3 != 0,
             {"with_label": True, "label_name": "y"}),
            ("host", 10000, "breast_hetero_host.csv", lambda i: i % 2 == 0, {})):
        header, rows = read_csv(DATA / name)
        subset = tmp_path / f"{role}.csv"
        with open(subset, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows([i, *v] for i, v in rows.items() if keep(int(i)))
        store = StandaloneStore(tmp_path / f"{role}_store")
        session = StandaloneSession(store)
        out, _ = run_component(spec("DataTransform", role=role, party_id=pid, parameters=params,
                                    input_data={"data": [upload_csv(store, subset)]}), session)
        table = out.data["data"]
        ref = TableRef("job", f"dt_{role}", ENGINE, session.keep(table), table.partitions, out.schemas["data"])
        parties[role] = (session, ref, dict(table.collect()), out.schemas["data"], len(rows))
    expected = ids_of(DATA / "breast_hetero_guest.csv", lambda i: i % 3 != 0 and i % 2 == 0)
    roles = {"guest": [GUEST_ID], "host": [10000]}
    tasks = [spec("Intersection", role=role, party_id=pid, parameters={"intersect_method": "raw"}, roles=roles,
                  input_data={"data": [parties[role][1]]}, output_model=())
             for role, pid in (("guest", GUEST_ID), ("host", 10000))]
    results = run_parties(tmp_path, tasks, sessions={("guest", GUEST_ID): parties["guest"][0],
                                                     ("host", 10000): parties["host"][0]})
    for role, pid in (("guest", GUEST_ID), ("host", 10000)):
        out, tracker = results[(role, pid)]
        rows = dict(out.data["data"].collect())
        _, _, inputs, schema, _ = parties[role]
        assert set(rows) == expected
        assert out.schemas["data"] == schema
        for key, inst in rows.items():
            assert np.array_equal(inst.features, inputs[key].features) and inst.label == inputs[key].label
        assert out.summary == {"intersect_num": len(expected), "intersect_rate": len(expected) / len(inputs)}
        assert tracker.metas[("train", "intersection")] == {"name": "intersection", "metric_type": "INTERSECTION"}
        assert tracker.data[("train", "intersection")] == [("intersect_count", len(expected)),
                                                           ("intersect_rate", len(expected) / len(inputs))]
    assert 0 < len(expected) < len(parties["guest"][2])


def test_raw_with_sha256_and_salt_sends_only_salted_hashes(tmp_path, traffic):
    guest = Party(tmp_path, "guest", GUEST_ID, DATA / "breast_hetero_guest.csv", lambda i: i < 400)
    host = Party(tmp_path, "host", 10000, DATA / "breast_hetero_host.csv", lambda i: i >= 250)
    params = {"intersect_method": "raw", "join_role": "host", "with_encode": True,
              "encode_params": {"encode_method": "SHA256", "salt": "pepper"}}
    results = run_intersection(tmp_path, guest, [host], params)
    expected = set(guest.rows) & set(host.rows)
    assert set(output_rows(results, guest)) == set(output_rows(results, host)) == expected
    [guest_sent] = [v for role, _, name, v in traffic if role == "guest"]
    assert sorted(guest_sent) == sorted(hashlib.sha256(f"{i}pepper".encode()).hexdigest() for i in guest.rows)
    [host_sent] = [v for role, _, name, v in traffic if role == "host"]
    assert sorted(host_sent) == sorted(hashlib.sha256(f"{i}pepper".encode()).hexdigest() for i in expected)


@pytest.mark.parametrize("method", ["raw", "rsa"])
def test_without_sync_only_the_join_role_learns_the_intersection(tmp_path, method):
    guest = Party(tmp_path, "guest", GUEST_ID, DATA / "breast_hetero_guest.csv", lambda i: i % 2 == 0)
    host = Party(tmp_path, "host", 10000, DATA / "breast_hetero_host.csv", lambda i: i % 5 != 0)
    results = run_intersection(tmp_path, guest, [host], {"intersect_method": method, "sync_intersect_ids": False})
    assert set(output_rows(results, guest)) == set(guest.rows) & set(host.rows)
    host_out, host_tracker = results[("host", 10000)]
    assert host_out.data == {} and host_out.summary == {"intersect_num": -1, "intersect_rate": -1}
    assert host_tracker.data[("train", "intersection")] == [("intersect_count", -1), ("intersect_rate", -1)]


@pytest.mark.parametrize("params", [{"intersect_method": "raw"}, {"intersect_method": "raw", "join_role": "host"},
                                    {"intersect_method": "rsa"}], ids=["raw-guest-joins", "raw-hosts-join", "rsa"])
def test_two_hosts_get_the_common_intersection(tmp_path, params):
    guest = Party(tmp_path, "guest", GUEST_ID, DATA / "breast_hetero_guest.csv", lambda i: i % 2 == 0)
    host1 = Party(tmp_path, "host", HOST_IDS[0], DATA / "breast_hetero_host.csv", lambda i: i % 3 == 0)
    host2 = Party(tmp_path, "host", HOST_IDS[1], DATA / "breast_hetero_host.csv", lambda i: i < 300)
    results = run_intersection(tmp_path, guest, [host1, host2], params)
    expected = set(guest.rows) & set(host1.rows) & set(host2.rows)
    assert 0 < len(expected) < len(set(guest.rows) & set(host1.rows))
    for party in (guest, host1, host2):
        rows = output_rows(results, party)
        assert set(rows) == expected
        assert all(np.array_equal(v.features, party.rows[k].features) for k, v in rows.items())


# ------------------------------------------------------------------------------------------ rsa
def test_rsa_gives_the_set_intersection_and_keeps_each_partys_rows(tmp_path):
    guest = Party(tmp_path, "guest", GUEST_ID, DATA / "breast_hetero_guest.csv", lambda i: i % 3 != 0)
    host = Party(tmp_path, "host", 10000, DATA / "breast_hetero_host.csv", lambda i: 100 <= i < 500)
    results = run_intersection(tmp_path, guest, [host], {"intersect_method": "rsa",
                                                         "rsa_params": {"final_hash_method": "sm3", "salt": "s"}})
    expected = set(guest.rows) & set(host.rows)
    for party in (guest, host):
        out, tracker = results[(party.role, party.party_id)]
        rows = output_rows(results, party)
        assert set(rows) == expected
        for key, inst in rows.items():
            assert np.array_equal(inst.features, party.rows[key].features) and inst.label == party.rows[key].label
        assert out.schemas["data"] == party.schema
        assert out.summary == {"intersect_num": len(expected), "intersect_rate": len(expected) / len(party.rows)}
        assert tracker.data[("train", "intersection")][0] == ("intersect_count", len(expected))


def test_only_output_key(tmp_path):
    guest = Party(tmp_path, "guest", GUEST_ID, DATA / "breast_hetero_guest.csv", lambda i: i < 200)
    host = Party(tmp_path, "host", 10000, DATA / "breast_hetero_host.csv", lambda i: i >= 150)
    results = run_intersection(tmp_path, guest, [host], {"intersect_method": "rsa", "only_output_key": True})
    expected = {i: "intersect_id" for i in set(guest.rows) & set(host.rows)}
    for party in (guest, host):
        assert output_rows(results, party) == expected
        assert results[(party.role, party.party_id)][0].schemas["data"] == {"sid_name": "id", "header": []}


def test_rsa_sends_no_id_and_no_plain_hash_of_an_id(tmp_path, traffic):
    """What crosses: the host's public key, blinded guest values (uniform modulo n), their signatures, the
    host's final hashes of its signatures, and the host's hashes of the common ids. No raw id, no plain hash
    of an id, and the host gets back only hashes of its own ids that are in the intersection."""
    guest = Party(tmp_path, "guest", GUEST_ID, DATA / "breast_hetero_guest.csv", lambda i: i % 2 == 0)
    host = Party(tmp_path, "host", 10000, DATA / "breast_hetero_host.csv", lambda i: i % 3 == 0)
    results = run_intersection(tmp_path, guest, [host], {"intersect_method": "rsa"})
    expected = set(guest.rows) & set(host.rows)
    assert set(output_rows(results, guest)) == set(output_rows(results, host)) == expected

    sent = {(role, name): value for role, _, name, value in traffic}
    assert set(sent) == {("host", "rsa_public_key"), ("host", "host_id_signatures"), ("guest", "guest_blinded_ids"),
                         ("host", "guest_ids_signed_by_host"), ("guest", "intersect_ids")}
    key = sent[("host", "rsa_public_key")]
    n, width = int.from_bytes(key["n"], "big"), len(key["n"])
    assert n.bit_length() == 1024 and int.from_bytes(key["e"], "big") == 65537

    all_ids = set(guest.rows) | set(host.rows)
    forbidden = set()
    for i in all_ids:
        h = hash_to_int(i, "sha256")
        forbidden |= {i, i.encode(), int(i), h, h.to_bytes(width, "big"), digest(i, "sha256"),
                      digest(i, "sha256").hex(), hashlib.sha256(i.encode()).hexdigest()}
    for (role, name), value in sent.items():
        for leaf in leaves(value):
            assert leaf not in forbidden, f"{role} sent an id or a plain hash of one in {name}"
            assert isinstance(leaf, (bytes, str)), f"{role} sent a {type(leaf).__name__} in {name}"
            if isinstance(leaf, bytes) and name != "rsa_public_key":
                assert len(leaf) in (width, 32), f"{name} holds a value that is neither mod n nor a digest"

    blinded = [int.from_bytes(b, "big") for b in sent[("guest", "guest_blinded_ids")]]
    assert len(blinded) == len(guest.rows) and len(set(blinded)) == len(blinded) and max(blinded) < n
    # blinded values are spread over all of Z_n, not small like a hash or a short blinding factor
    assert sum(b.bit_length() > 1000 for b in blinded) > 0.95 * len(blinded)
    # the host learns only which of its own values are common: exactly the intersection's size, all its own
    host_values = set(sent[("host", "host_id_signatures")])
    returned = sent[("guest", "intersect_ids")]
    assert len(returned) == len(expected) and set(returned) <= host_values


# ------------------------------------------------------------------------------------------ params
@pytest.mark.parametrize("params, message", [
    ({"intersect_method": "dh"}, "parameter intersect_method must be one of raw, rsa, got 'dh'"),
    ({"join_role": "arbiter"}, "parameter join_role must be one of guest, host"),
    ({"encode_params": {"encode_method": "sha3"}}, "parameter encode_params.encode_method must be one of"),
    ({"encode_params": {"salt": 1}}, "parameter encode_params.salt must be of type str"),
    ({"encode_params": {"pepper": "x"}}, "redundant parameter\\(s\\) encode_params.pepper"),
    ({"rsa_params": {"hash_method": "md5"}}, "parameter rsa_params.hash_method must be one of sha256, sha384"),
    ({"rsa_params": {"key_length": 512}}, "parameter rsa_params.key_length must be between 1024 and 8192"),
    ({"rsa_params": {"split_calculation": True}}, "parameter rsa_params.split_calculation must be false"),
    ({"rsa_params": {"random_base_fraction": 0.5}}, "parameter rsa_params.random_base_fraction must be null"),
    ({"intersect_cache_param": {"use_cache": True}}, "parameter intersect_cache_param.use_cache must be false"),
    ({"repeated_id_process": True}, "parameter repeated_id_process must be false"),
    ({"join_method": "left_join"}, "parameter join_method must be one of inner_join"),
    ({"random_bit": 0}, "parameter random_bit must be a positive integer"),
    ({"sync_intersect_ids": "yes"}, "parameter sync_intersect_ids must be true or false"),
    ({"cardinality_only": True}, "redundant parameter\\(s\\) cardinality_only"),
])
def test_bad_parameters_name_the_field(params, message):
    with pytest.raises(ParameterError, match=message):
        IntersectionParams.from_dict(params, "intersection_0")


def test_defaults_follow_fate_and_methods_are_case_insensitive():
    p = IntersectionParams.from_dict({"intersect_method": "RSA", "rsa_params": {"hash_method": "SM3"}})
    assert (p.intersect_method, p.random_bit, p.sync_intersect_ids, p.join_role, p.only_output_key) == \
        ("rsa", 128, True, "guest", False)
    assert p.rsa_params == {"salt": "", "hash_method": "sm3", "final_hash_method": "sha256",
                            "split_calculation": False, "random_base_fraction": None, "key_length": 1024}
    assert IntersectionParams.from_dict({}).intersect_method == "raw"


def test_id_encodings_match_fate():
    assert digest("ab", "sm3", "c").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert encode_id(7, "md5", "s") == hashlib.md5(b"7s").hexdigest()
    assert encode_id("7", "sha1", "", as_base64=True) == base64.b64encode(hashlib.sha1(b"7").digest()).decode()
    assert hash_to_int("x", "sha256") == int(hashlib.sha256(b"x").hexdigest(), 16)


# ------------------------------------------------------------------------------------------ timing
@pytest.mark.skipif(not (CREDIT / "default_credit_hetero_guest.csv").exists(), reason="default_credit not present")
def test_rsa_timing_on_30000_ids(tmp_path):
    guest = Party(tmp_path, "guest", GUEST_ID, CREDIT / "default_credit_hetero_guest.csv")
    host = Party(tmp_path, "host", 10000, CREDIT / "default_credit_hetero_host.csv")
    started = time.perf_counter()
    results = run_intersection(tmp_path, guest, [host], {"intersect_method": "rsa"}, get_timeout=300.0)
    elapsed = time.perf_counter() - started
    assert len(output_rows(results, guest)) == len(set(guest.rows) & set(host.rows))
    print(f"\nRSA intersection of {len(guest.rows)} guest and {len(host.rows)} host ids (1024-bit key): "
          f"{elapsed:.1f} s")
