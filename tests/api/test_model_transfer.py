"""/v1/model/transfer (contract §1.5.3): the buffers FATE-Serving downloads, keyed `<component>.<alias>:<buffer>`
with the base64 of each buffer file, for every buffer define_meta.yaml lists; through the app and through
FlowHttpClient.model_transfer (what the bundled serving calls) against a served app."""
from __future__ import annotations

import base64

import pytest
from google.protobuf.struct_pb2 import Struct
from google.protobuf.wrappers_pb2 import BytesValue

from fate_flow.client.http_client import FlowHttpClient
from fate_flow.proto.pipeline_pb2 import Pipeline
from tests.api.test_model_store import MODEL_ID, VERSION, make_model, post

NAMESPACE = f"host#10001#{MODEL_ID}"


def test_transfer_answers_every_buffer_of_define_meta_as_base64(client, settings):
    root = make_model(settings, "host", "10001", weights=b"\x00\x01weights")
    answer = post(client, "/v1/model/transfer", {"namespace": NAMESPACE, "name": VERSION})
    assert answer["retcode"] == 0 and answer["retmsg"] == "success", answer
    data = answer["data"]
    assert sorted(data) == ["pipeline.pipeline:Pipeline", "trainer_0.model:TestModelParam",
                            "trainer_0.model:TestModelWeights"]
    pipeline = Pipeline()
    pipeline.ParseFromString(base64.b64decode(data["pipeline.pipeline:Pipeline"]))
    assert (pipeline.model_id, pipeline.model_version) == (MODEL_ID, VERSION)
    param = Struct()
    param.ParseFromString(base64.b64decode(data["trainer_0.model:TestModelParam"]))
    assert param["party"] == "host_10001" and list(param["weights"]) == [0.25, -1.5, 3.0]
    assert BytesValue.FromString(base64.b64decode(data["trainer_0.model:TestModelWeights"])).value == b"\x00\x01weights"
    # byte for byte the files on disk
    assert base64.b64decode(data["trainer_0.model:TestModelParam"]) == (
        root / "variables/data/trainer_0/model/TestModelParam").read_bytes()


@pytest.mark.parametrize("body, retcode, words", [
    ({"namespace": NAMESPACE, "name": "20200101000000000000"}, 101,
     [NAMESPACE, "20200101000000000000", "does not exist"]),
    ({"namespace": f"guest#9999#{MODEL_ID}", "name": VERSION}, 101, [f"guest#9999#{MODEL_ID}", "does not exist"]),
    ({"namespace": "not-a-party-model-id", "name": VERSION}, 101, ["namespace", "<role>#<party_id>#<model_id>"]),
    ({"namespace": NAMESPACE, "name": "../x"}, 101, ["name", "must be a model version"]),
    ({"namespace": "guest#../../x#m", "name": VERSION}, 101, ["namespace", "must be a table namespace"]),
    ({"namespace": "guest#x#m", "name": VERSION}, 101, ["namespace (party id)", "must be a party id"]),
    ({"name": VERSION}, 100, ["required parameters are missing: namespace"]),
    ({"namespace": NAMESPACE}, 100, ["required parameters are missing: name"]),
])
def test_unknown_models_and_bad_requests_are_named(client, settings, body, retcode, words):
    make_model(settings, "host", "10001")
    answer = post(client, "/v1/model/transfer", body)
    assert answer["retcode"] == retcode, answer
    assert all(word in answer["retmsg"] for word in words), answer


def test_a_buffer_listed_but_missing_is_named(client, settings):
    root = make_model(settings, "host", "10001")
    (root / "variables/data/trainer_0/model/TestModelParam").unlink()
    answer = post(client, "/v1/model/transfer", {"namespace": NAMESPACE, "name": VERSION})
    assert answer["retcode"] == 101 and "trainer_0.model:TestModelParam" in answer["retmsg"], answer


def test_the_http_client_method_fetches_the_buffers(served, settings):
    make_model(settings, "host", "10001")
    client = FlowHttpClient("127.0.0.1", served, timeout=10)
    answer = client.model_transfer(NAMESPACE, VERSION)
    assert answer["retcode"] == 0 and "trainer_0.model:TestModelParam" in answer["data"], answer
    missing = client.model_transfer(NAMESPACE, "20200101000000000000")
    assert missing["retcode"] == 101 and "does not exist" in missing["retmsg"], missing
