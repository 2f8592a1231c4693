"""The host feature adapter over a real flow server (the app on a loopback port) and real uploaded tables: the
table `serving.feature_tables` names for the party wins; without one, the table the party's model was trained
on (recorded in its Pipeline), which the serving log names; with neither, an error naming the conf key."""
import logging

import pytest

from fate_flow.client.http_client import FlowHttpClient
from fate_flow.entity.errors import NotFoundError
from fate_flow.model.pipeline import build_pipeline
from fate_flow.serving.feature_adapter import TableFeatureAdapter, trained_on
from fate_flow.serving.settings import FeatureTable
from tests.api.upload_helpers import multipart_upload, upload_config

CONFIGURED, TRAINED = FeatureTable("experiment", "configured"), FeatureTable("experiment", "trained")


@pytest.fixture
def flow(client, served):
    for table, value in ((CONFIGURED, "1.5"), (TRAINED, "2.5")):
        body = multipart_upload(client, upload_config(table.name), f"id,x0,x1\n7,{value},0\n".encode()).get_json()
        assert body["retcode"] == 0, body
    http = FlowHttpClient("127.0.0.1", served)
    yield http
    http.session.close()


def test_the_configured_table_wins(flow, caplog):
    adapter = TableFeatureAdapter({"10000": CONFIGURED}, flow)
    with caplog.at_level(logging.INFO, logger="fate_flow.serving"):
        assert adapter.features("10000", "7", trained_on=TRAINED) == {"x0": "1.5", "x1": "0"}
    assert "party 10000 looks host features up in experiment.configured" in caplog.text


def test_without_a_configured_table_the_models_training_table_is_used_and_logged(flow, caplog):
    adapter = TableFeatureAdapter({}, flow)
    with caplog.at_level(logging.INFO, logger="fate_flow.serving"):
        assert adapter.features("10000", 7, trained_on=TRAINED) == {"x0": "2.5", "x1": "0"}
    assert ("party 10000 has no serving.feature_tables entry: it looks host features up in experiment.trained, "
            "the table its model was trained on") in caplog.text


def test_without_either_the_error_names_the_conf_key(flow):
    with pytest.raises(NotFoundError) as info:
        TableFeatureAdapter({}, flow).features("10000", "7")
    assert 'set serving.feature_tables."10000" {namespace, name}' in info.value.message
    with pytest.raises(NotFoundError) as info:
        TableFeatureAdapter({}, flow).features("10000", "7", trained_on=FeatureTable("experiment", "gone"))
    assert "feature table experiment.gone (the table its model was trained on) does not exist" in info.value.message


def test_the_recorded_table_is_read_from_the_pipeline():
    common = dict(inference_dsl={}, train_dsl={}, train_runtime_conf={}, model_id="m", model_version="1",
                  parent=False, roles={}, work_mode=0, initiator_role="guest", initiator_party_id=9999,
                  runtime_conf_on_party={})
    recorded = build_pipeline(**common, train_input_table={"namespace": "experiment", "name": "trained"})
    assert trained_on(recorded) == TRAINED
    assert trained_on(build_pipeline(**common)) is None
