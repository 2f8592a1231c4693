"""Model tags (contract §1.5.12): tags created, listed, renamed and destroyed; attached to and removed from
model versions; a name that collides refused."""
from __future__ import annotations

import pytest

from tests.api.test_model_store import MODEL_ID, VERSION, make_model

OTHER_VERSION = "202104011200000123452"


def post(client, path: str, body: dict) -> dict:
    return client.post(f"/v1/model/{path}", json=body).get_json()


@pytest.fixture
def models(client, settings):
    """Two model versions recorded in t_machine_learning_model_info (guest 9999 and host 10000 of VERSION,
    guest 9999 of OTHER_VERSION), through the model query's record of local models."""
    make_model(settings, "guest", "9999")
    make_model(settings, "host", "10000")
    make_model(settings, "guest", "9999", version=OTHER_VERSION)
    for version in (VERSION, OTHER_VERSION):
        assert post(client, "query", {"model_version": version})["retcode"] == 0


def test_tag_create_list_update_destroy(client):
    assert post(client, "tag/create", {"tag_name": "prod", "tag_desc": "serving now"}) == {
        "retcode": 0, "retmsg": "'prod' tag has been created successfully."}
    assert post(client, "tag/create", {"tag_name": "prod-old"})["retcode"] == 0
    assert post(client, "tag/create", {"tag_name": "prod"}) == {
        "retcode": 100, "retmsg": "'prod' has already exists in database."}
    assert post(client, "tag/create", {}) == {
        "retcode": 100, "retmsg": "'None' tag created failed. Please input a valid tag name."}

    assert post(client, "tag/list", {"limit": 10}) == {"retcode": 0, "retmsg": "success", "data": {"tags": [
        {"name": "prod", "description": "serving now", "model_count": 0},
        {"name": "prod-old", "description": None, "model_count": 0}]}}
    assert post(client, "tag/list", {"limit": 1})["data"]["tags"] == [
        {"name": "prod", "description": "serving now", "model_count": 0}]
    assert post(client, "tag/retrieve", {"tag_name": "old"})["data"] == {
        "tags": [{"name": "prod-old", "description": None}]}
    assert post(client, "tag/retrieve", {"tag_name": "staging"}) == {"retcode": 100, "retmsg": "No tags found."}

    assert post(client, "tag/update", {"tag_name": "prod", "new_tag_name": "prod-old"}) == {
        "retcode": 100, "retmsg": "'prod-old' tag already exists."}
    assert post(client, "tag/update", {"tag_name": "prod"}) == {"retcode": 100, "retmsg": "Nothing to be updated."}
    assert post(client, "tag/update", {"tag_name": "nope", "new_tag_desc": "x"}) == {
        "retcode": 100, "retmsg": "Can not found 'nope' tag."}
    assert post(client, "tag/update", {"tag_name": "prod", "new_tag_name": "live"}) == {
        "retcode": 0, "retmsg": "Infomation of 'prod' tag has been updated successfully."}
    assert post(client, "tag/update", {"tag_name": "prod-old", "new_tag_desc": "retired"})["retcode"] == 0
    assert post(client, "tag/list", {"limit": 10})["data"]["tags"] == [
        {"name": "live", "description": "serving now", "model_count": 0},
        {"name": "prod-old", "description": "retired", "model_count": 0}]

    assert post(client, "tag/destroy", {"tag_name": "live"}) == {
        "retcode": 0, "retmsg": "'live' tag has been deleted successfully."}
    assert post(client, "tag/destroy", {"tag_name": "live"}) == {"retcode": 100, "retmsg": "Can not found 'live' tag."}
    assert [t["name"] for t in post(client, "tag/list", {"limit": 10})["data"]["tags"]] == ["prod-old"]
    assert len(post(client, "tag/list", {})["data"]["tags"]) == 1  # no limit: FATE clients' 10
    assert post(client, "tag/list", {"limit": 0}) == {
        "retcode": 101, "retmsg": "parameter limit must be between 1 and 10000, got 0"}
    assert post(client, "tag/rename", {}) == {"retcode": 100, "retmsg": "The rename operation is not currently "
                                                                        "supported."}
    assert post(client, "tag/create", {"tag_name": "x" * 101}) == {
        "retcode": 101, "retmsg": "parameter tag_name must be a tag name of at most 100 characters, got 101"}
    assert post(client, "tag/create", {"tag_name": "a\nb"})["retcode"] == 101


def test_tags_attached_to_and_removed_from_models(client, models):
    assert post(client, "model_tag/create", {"job_id": VERSION, "tag_name": "prod"}) == {
        "retcode": 0, "retmsg": f"Adding prod tag for model with job id: {VERSION} successfully."}  # tag created
    assert post(client, "model_tag/create", {"job_id": VERSION, "tag_name": "prod"}) == {
        "retcode": 100, "retmsg": f"Model {MODEL_ID} {VERSION} already been tagged as tag 'prod'."}
    assert post(client, "tag/create", {"tag_name": "candidate"})["retcode"] == 0
    assert post(client, "model_tag/create", {"job_id": VERSION, "tag_name": "candidate"})["retcode"] == 0
    assert post(client, "model_tag/create", {"job_id": OTHER_VERSION, "tag_name": "candidate"})["retcode"] == 0
    assert post(client, "model_tag/create", {"job_id": "20990101000000000000", "tag_name": "prod"}) == {
        "retcode": 100, "retmsg": "Can not found model by job id: '20990101000000000000'."}

    assert post(client, "model_tag/retrieve", {"job_id": VERSION}) == {"retcode": 0, "retmsg": "success", "data": {
        "tags": [{"name": "prod", "description": None}, {"name": "candidate", "description": None}], "count": 2}}
    models = post(client, "tag/retrieve", {"tag_name": "candidate", "with_model": True})["data"]
    assert models["count"] == 3
    assert [(m["model_version"], m["role"], m["party_id"], m["model_id"]) for m in models["models"]] == [
        (VERSION, "guest", "9999", MODEL_ID), (VERSION, "host", "10000", MODEL_ID),
        (OTHER_VERSION, "guest", "9999", MODEL_ID)]
    assert all(m["model_size"] >= 1 for m in models["models"])
    assert post(client, "tag/retrieve", {"tag_name": "cand", "with_model": True}) == {
        "retcode": 100, "retmsg": "Can not found 'cand' tag."}
    counts = {t["name"]: t["model_count"] for t in post(client, "tag/list", {"limit": 10})["data"]["tags"]}
    assert counts == {"prod": 1, "candidate": 2}

    assert post(client, "model_tag/remove", {"job_id": VERSION, "tag_name": "candidate"}) == {
        "retcode": 0, "retmsg": f"'candidate' tag has been removed from tag list of model {MODEL_ID} {VERSION}."}
    assert post(client, "model_tag/remove", {"job_id": VERSION, "tag_name": "candidate"}) == {
        "retcode": 100, "retmsg": f"Model {MODEL_ID} {VERSION} does not have tag 'candidate'."}
    assert post(client, "model_tag/remove", {"job_id": VERSION, "tag_name": "nope"}) == {
        "retcode": 100, "retmsg": "Can not found 'nope' tag."}
    assert post(client, "model_tag/retrieve", {"job_id": VERSION})["data"] == {
        "tags": [{"name": "prod", "description": None}], "count": 1}

    assert post(client, "tag/destroy", {"tag_name": "prod"})["retcode"] == 0  # its links go with it
    assert post(client, "model_tag/retrieve", {"job_id": VERSION})["data"] == {"tags": [], "count": 0}
    assert post(client, "model_tag/retrieve", {"job_id": OTHER_VERSION})["data"]["count"] == 1
    assert post(client, "model_tag/create", {"tag_name": "x"}) == {
        "retcode": 100, "retmsg": "required parameters are missing: job_id;"}
    assert post(client, "model_tag/delete", {}) == {"retcode": 100, "retmsg": "'delete' is not currently supported."}
