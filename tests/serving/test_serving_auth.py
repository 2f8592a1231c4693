"""The bundled serving under `http_auth.unsigned_from: []`: its HTTP inference takes signed requests only, and the
serving signs its own calls to the flow server (the model download of publishLoad, the host's feature table)
with `fateflow.http_app_key`/`http_secret_key`, which the flow server, checking the same conf, accepts."""
from __future__ import annotations

import pytest
import requests

from fate_flow.client.http_client import FlowHttpClient
from fate_flow.client.signing import Credentials, HttpSignatureAuth
from fate_flow.serving.http_api import INFERENCE_PATH, STATUS_PATH
from tests.serving.serving_process import ServingProcess, make_server_with_serving, serving_conf
from tests.serving.test_model_service import (DATA, GUEST_FEATURES, HOST_FEATURES, HOST_W, GUEST_W, INTERCEPT,
                                              VERSION, publish, reference, rows, write_model)

pytestmark = pytest.mark.slow

SERVING_KEY, SERVING_SECRET = "serving", "5e1f0c9d2b7a4e6f8a3c1d0b9e8f7a6c"
USER = Credentials("analyst", "0f9e8d7c6b5a49382716a5b4c3d2e1f0")


class SignedServing(ServingProcess):
    """Ready as soon as it answers at all (an unsigned status call is refused here)."""

    def _answers(self) -> bool:
        try:
            requests.post(self.base_url + STATUS_PATH, json={}, timeout=5).json()
            return True
        except (requests.RequestException, ValueError):
            return False


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    base = tmp_path_factory.mktemp("serving_auth")
    serving = serving_conf()
    server = make_server_with_serving(base, serving=serving, extra_conf={
        "http_auth": {"clients": {USER.app_key: USER.secret_key}, "unsigned_from": []}})
    import yaml
    conf = yaml.safe_load(server.conf_path.read_text())
    conf["fateflow"].update(http_app_key=SERVING_KEY, http_secret_key=SERVING_SECRET)
    server.conf_path.write_text(yaml.safe_dump(conf))
    server.start()
    proc = SignedServing.beside(server, serving)
    try:
        answer = FlowHttpClient("127.0.0.1", server.http_port, credentials=USER).upload(
            {"namespace": "experiment", "table_name": "breast_hetero_host", "head": 1, "partition": 4},
            DATA / "breast_hetero_host.csv")
        assert answer["retcode"] == 0, answer
        write_model(server.home, "guest", 9999, VERSION, GUEST_FEATURES, GUEST_W, INTERCEPT, scale=True)
        write_model(server.home, "host", 10000, VERSION, HOST_FEATURES, HOST_W, 0.0, scale=False)
        proc.start()
        channel, stub = proc.stub()
        yield {"server": server, "serving": proc, "stub": stub,
               "transfer": f"http://127.0.0.1:{server.http_port}/v1/model/transfer"}
        channel.close()
    finally:
        proc.stop()
        server.stop()


def test_inference_takes_signed_requests_and_the_serving_signs_its_calls_to_the_flow_server(env):
    stub, serving = env["stub"], env["serving"]
    for role, party in (("guest", 9999), ("host", 10000)):  # the serving downloads each model, signed
        answer = stub.publishLoad(publish(role, party, file_path=env["transfer"]), timeout=30)
        assert answer.statusCode == 0, answer
    assert stub.publishBind(publish("guest", 9999, service_id="svc"), timeout=30).statusCode == 0

    sample_id, guest_x, host_x = rows(1)[0]
    body = {"head": {"serviceId": "svc"},
            "body": {"featureData": dict(zip(GUEST_FEATURES, guest_x)), "sendToRemoteFeatureData": {"id": sample_id}}}
    unsigned = requests.post(serving.base_url + INFERENCE_PATH, json=body, timeout=30).json()
    assert unsigned["retcode"] == 109 and "unsigned request from 127.0.0.1" in unsigned["retmsg"], unsigned
    forged = requests.post(serving.base_url + INFERENCE_PATH, json=body, timeout=30,
                           auth=HttpSignatureAuth(Credentials(USER.app_key, "wrong"))).json()
    assert forged["retcode"] == 109 and forged["retmsg"] == "signature does not match the request", forged

    signed = requests.post(serving.base_url + INFERENCE_PATH, json=body, timeout=30,
                           auth=HttpSignatureAuth(USER)).json()  # the host's features come from the flow server
    assert signed["retcode"] == 0, signed
    assert signed["data"]["score"] == pytest.approx(reference(guest_x, host_x), abs=1e-12)

    audit = (env["server"].home / "logs" / "fate_flow" / "fate_flow_audit.log").read_text()
    assert audit.count(f'"route": "{INFERENCE_PATH}"') == 2 and USER.secret_key not in audit
