"""The toy two-party job's component: guest and host exchange masked shares over a real gRPC data plane
(two sites, one per party, with site keys), and the guest learns the sum of both tables."""
import threading

import pytest

from fate_flow.components.secure_add_example import party_total
from fate_flow.computing.standalone import StandaloneSession
from fate_flow.computing.storage.standalone import StandaloneStore
from fate_flow.entity.errors import ParameterError
from fate_flow.federation.parties import PartyRef
from tests.components.harness import run_component, spec
from tests.federation.sites import make_sites


@pytest.fixture
def sites(tmp_path):
    sites = make_sites(tmp_path / "sites", {"guest_site": ["9999"], "host_site": ["10000"]})
    for site in sites.values():
        site.start()
    yield sites
    for site in sites.values():
        site.stop()


def run_party(role, party_id, seed, site, tmp_path, results, job_id="job_sa"):
    session = StandaloneSession(StandaloneStore(tmp_path / role))
    try:
        task = spec("SecureAddExample", role=role, party_id=party_id, job_id=job_id,
                    parameters={"seed": seed, "partition": 3, "data_num": 500}, output_data=(), output_model=())
        results[role] = run_component(task, session, site.client.session(job_id, PartyRef(role, party_id)))
    except Exception as e:  # reported to the test thread
        results[role] = e
    finally:
        session.stop()


def test_guest_learns_the_sum_of_both_tables(sites, tmp_path):
    results = {}
    threads = [threading.Thread(target=run_party, args=("guest", 9999, 1, sites["guest_site"], tmp_path, results)),
               threading.Thread(target=run_party, args=("host", 10000, 2, sites["host_site"], tmp_path, results))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not isinstance(results["guest"], Exception), results["guest"]
    assert not isinstance(results["host"], Exception), results["host"]
    output, tracker = results["guest"]
    expected = party_total(1, 500) + party_total(2, 500)
    assert output.summary["sum"] == pytest.approx(expected, abs=1e-6)
    assert tracker.data[("secure_add_example", "sum")][0][1] == pytest.approx(expected, abs=1e-6)
    assert "sum" not in results["host"][0].summary, "the host never learns the sum"


def test_bad_parameters():
    from fate_flow.components.secure_add_example import SecureAddExampleParams
    with pytest.raises(ParameterError, match="parameter data_num must be at least 1"):
        SecureAddExampleParams.from_dict({"data_num": 0})
    with pytest.raises(ParameterError, match="parameter partition must be between 1 and 1023"):
        SecureAddExampleParams.from_dict({"partition": 0})
