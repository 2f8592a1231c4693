"""/v1/permission: FATE-Flow 1.6's privilege API and FATE-Flow 1.9's grants, over one store."""
import logging
from dataclasses import replace

import pytest

from fate_flow.settings import PermissionSettings

pytestmark = pytest.mark.db

GUEST = {"src_party_id": 9999, "src_role": "guest"}
BUILT_IN = ["dataio", "datatransform", "evaluation", "featurescale", "heterofeaturebinning", "heterofeatureselection",
            "heterolr", "homolr", "intersection", "reader", "secureaddexample"]


def all_components():
    """Every registered module in lower case: the built-in ones and those plugins (of other tests) added."""
    from fate_flow.components import registry
    names = sorted(m.lower() for m in registry.ComponentRegistry().module_names())
    assert set(BUILT_IN) <= set(names)
    return names


def post(client, path, body):
    return client.post(path, json=body).get_json()


def privileges(client, **who):
    return post(client, "/v1/permission/query/privilege", who or GUEST)


def test_privileges_granted_queried_and_deleted_as_fate_flow_1_6_answers(client):
    assert privileges(client) == {"retcode": 0, "retmsg": "success", "data": {
        "src_party_id": "9999", "role": "guest", "privilege_role": [], "privilege_command": [],
        "privilege_component": []}}
    answer = post(client, "/v1/permission/grant/privilege", {**GUEST, "privilege_role": "host,arbiter",
                                                             "privilege_command": "all",
                                                             "privilege_component": "Reader, dataio"})
    assert answer == {"retcode": 0, "retmsg": "success"}
    assert privileges(client)["data"] == {"src_party_id": "9999", "role": "guest", "privilege_role": ["host", "arbiter"],
                                          "privilege_command": ["create", "run", "stop"],
                                          "privilege_component": ["dataio", "reader"]}
    assert privileges(client, src_party_id="9999", src_role="host")["data"]["privilege_role"] == []  # per role

    assert post(client, "/v1/permission/delete/privilege", {**GUEST, "privilege_command": "stop",
                                                            "privilege_component": "all"})["retcode"] == 0
    data = privileges(client)["data"]
    assert data["privilege_command"] == ["create", "run"] and data["privilege_component"] == []
    assert post(client, "/v1/permission/delete/privilege", {**GUEST, "privilege_command": "stop"}) == {
        "retcode": 100, "retmsg": "command stop is not authorized ,it cannot be deleted"}
    assert post(client, "/v1/permission/grant/privilege", {**GUEST, "privilege_component": "all"})["retcode"] == 0
    assert privileges(client)["data"]["privilege_component"] == all_components()


def test_a_grant_with_no_privilege_is_a_no_op_as_flow_sdk_sends_it(client):
    assert post(client, "/v1/permission/grant/privilege", {"src_party_id": "9999", "src_role": "guest"}) == {
        "retcode": 0, "retmsg": "success"}
    assert privileges(client)["data"]["privilege_role"] == []


@pytest.mark.parametrize("body,retcode,message", [
    ({**GUEST, "privilege_role": "host,boss"}, 100, "boss does not exist in the permission role"),
    ({**GUEST, "privilege_command": "delete"}, 100, "delete does not exist in the permission command"),
    ({**GUEST, "privilege_component": "heteronn"}, 100,
     "heteronn does not exist in the permission component"),
    ({"src_role": "guest"}, 100, "required parameters are missing: src_party_id;"),
    ({"src_party_id": "9999"}, 100, "required parameters are missing: src_role;"),
    ({"src_party_id": "x", "src_role": "guest"}, 101,
     "parameter src_party_id must be a party id (an integer of at most 10 digits), got 'x'"),
    ({"src_party_id": "9999", "src_role": "boss"}, 101,
     "parameter src_role must be one of ['arbiter', 'guest', 'host'], got 'boss'"),
    ({**GUEST, "privilege_role": ["host"]}, 101, "parameter privilege_role must be a string, got list"),
])
def test_bad_privilege_requests_name_the_value(client, body, retcode, message):
    assert post(client, "/v1/permission/grant/privilege", body) == {"retcode": retcode, "retmsg": message}
    assert privileges(client)["data"]["privilege_role"] == []


def test_dataset_and_component_grants_as_fate_flow_1_9_answers(client):
    assert post(client, "/v1/permission/query", {"party_id": 9999}) == {
        "retcode": 0, "retmsg": "success", "data": {"component": [], "dataset": []}}
    body = {"party_id": 9999, "component": "reader,dataio",
            "dataset": [{"namespace": "experiment", "name": "breast_hetero_host"},
                        {"namespace": "experiment", "name": "breast_hetero_guest"}]}
    assert post(client, "/v1/permission/grant", body) == {"retcode": 0, "retmsg": "success"}
    assert post(client, "/v1/permission/grant", {"party_id": "9999", "dataset": {"namespace": "a", "name": "b"}}
                )["retcode"] == 0
    assert post(client, "/v1/permission/query", {"party_id": "9999"})["data"] == {
        "component": ["dataio", "reader"],
        "dataset": [{"namespace": "a", "name": "b"}, {"namespace": "experiment", "name": "breast_hetero_guest"},
                    {"namespace": "experiment", "name": "breast_hetero_host"}]}
    assert post(client, "/v1/permission/query", {"party_id": 10000})["data"] == {"component": [], "dataset": []}

    assert post(client, "/v1/permission/delete", {"party_id": 9999, "component": "dataio",
                                                  "dataset": {"namespace": "a", "name": "b"}})["retcode"] == 0
    data = post(client, "/v1/permission/query", {"party_id": 9999})["data"]
    assert data["component"] == ["reader"] and len(data["dataset"]) == 2
    assert post(client, "/v1/permission/delete", {"party_id": 9999, "component": "*", "dataset": "*"})["retcode"] == 0
    assert post(client, "/v1/permission/query", {"party_id": 9999})["data"] == {"component": [], "dataset": []}
    assert post(client, "/v1/permission/grant", {"party_id": 9999, "component": "*"})["retcode"] == 0
    assert post(client, "/v1/permission/query", {"party_id": 9999})["data"]["component"] == all_components()


def test_the_two_apis_share_one_store(client):
    """A 1.9 component grant holds for every role of the partner; 1.6's per role. Both count in the checks
    (tests/db/test_permissions.py); each API lists what it granted."""
    post(client, "/v1/permission/grant", {"party_id": 9999, "component": "reader"})
    post(client, "/v1/permission/grant/privilege", {**GUEST, "privilege_component": "dataio"})
    assert privileges(client)["data"]["privilege_component"] == ["dataio"]
    assert post(client, "/v1/permission/query", {"party_id": 9999})["data"]["component"] == ["reader"]


@pytest.mark.parametrize("body,message", [
    ({"component": "reader"}, "required parameters are missing: party_id;"),
    ({"party_id": 9999, "component": "nosuchmodule"}, "nosuchmodule does not exist in the permission component"),
    ({"party_id": 9999, "dataset": "*"}, 'parameter dataset must be an object {"namespace", "name"}'),
    ({"party_id": 9999, "dataset": [{"namespace": "a"}]}, "parameter dataset[0].name must be a non-empty string"),
    ({"party_id": 9999, "dataset": [1]}, 'parameter dataset[0] must be an object {"namespace", "name"}'),
])
def test_bad_grants_name_the_field(client, body, message):
    assert post(client, "/v1/permission/grant", body) == {"retcode": 100, "retmsg": message}
    assert post(client, "/v1/permission/query", {"party_id": 9999})["data"] == {"component": [], "dataset": []}


@pytest.mark.parametrize("dataset,message", [
    ({"namespace": "a", "name": "x" * 101}, "parameter dataset.name must be a table name of at most 100 characters, "
                                            "got 101"),
    ({"namespace": "../a", "name": "t"}, "parameter dataset.namespace must be a table namespace"),
])
def test_grants_of_tables_that_cannot_exist_are_refused(client, dataset, message):
    answer = post(client, "/v1/permission/grant", {"party_id": 9999, "dataset": dataset})
    assert answer["retcode"] == 101 and answer["retmsg"].startswith(message), answer
    assert post(client, "/v1/permission/query", {"party_id": 9999})["data"] == {"component": [], "dataset": []}


def test_checks_turned_off_are_logged_as_a_warning(settings, caplog):
    from tests.conftest import make_app
    from fate_flow.db.base import DB
    from tests.conftest import _drop_test_database_tables
    try:
        with caplog.at_level(logging.WARNING):
            make_app(replace(settings, permission=PermissionSettings(enabled=False)))
    finally:
        _drop_test_database_tables()
        DB.obj.close()
    assert any("permission.enabled is false" in r.getMessage() for r in caplog.records)
