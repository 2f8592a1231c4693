"""/v1/model/store and /v1/model/restore (contract §1.5.6, §8.6) with the file-system model store, on the app
over SQLite; the legacy CLI `-f store|restore -c conf`; an unreachable MySQL store named without its password."""
from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pytest
from google.protobuf.struct_pb2 import Struct
from google.protobuf.wrappers_pb2 import BytesValue

from fate_flow import fate_flow_client
from fate_flow.db.models import ModelOperationLog
from fate_flow.model.pipeline import build_pipeline
from fate_flow.model.pipelined_model import PipelinedModel
from fate_flow.services.models.local import proto_sources
from fate_flow.services.models.paths import model_dir
from tests.conftest import free_port

MODEL_ID = "arbiter-10000#guest-9999#host-10000_10001#model"
ROLES = {"guest": [9999], "host": [10000, 10001], "arbiter": [10000]}
VERSION = "202103311200000123451"
TRAIN_DSL = {"components": {"trainer_0": {"module": "TestModelTrainer", "output": {"model": ["model"]}}}}
PASSWORD = "s3cret-Model-pw"


def make_model(settings, role: str, party_id: str, version: str = VERSION, model_id: str = MODEL_ID,
               roles: dict = ROLES, weights: bytes = b"") -> Path:
    """A trained party model as a training job leaves it: one component model (a Struct and, when given, a
    BytesValue of `weights`) and the Pipeline record of a DSL v2 job initiated by guest 9999."""
    root = model_dir(settings, role, party_id, model_id, version)
    buffers = root / "variables" / "data" / "trainer_0" / "model"
    buffers.mkdir(parents=True)
    param = Struct()
    param.update({"weights": [0.25, -1.5, 3.0], "intercept": 0.125, "party": f"{role}_{party_id}"})
    (buffers / "TestModelParam").write_bytes(param.SerializeToString())
    types = {"TestModelParam": "google.protobuf.Struct"}
    if weights:
        (buffers / "TestModelWeights").write_bytes(BytesValue(value=weights).SerializeToString())
        types["TestModelWeights"] = "google.protobuf.BytesValue"
    (buffers / ".types.json").write_text(json.dumps(types))
    common = {"work_mode": 0, "model_id": model_id, "model_version": version}
    conf = {"dsl_version": 2, "initiator": {"role": "guest", "party_id": 9999}, "role": roles,
            "job_parameters": {"common": common}}
    on_party = dict(conf, job_parameters=dict(common, task_cores=4))
    pipeline = build_pipeline(inference_dsl={}, train_dsl=TRAIN_DSL, train_runtime_conf=conf, model_id=model_id,
                              model_version=version, parent=True, roles=roles, work_mode=0, initiator_role="guest",
                              initiator_party_id=9999, runtime_conf_on_party=on_party)
    PipelinedModel(root).save_pipeline(pipeline, {"trainer_0": "TestModelTrainer"}, proto_sources())
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def with_store(settings, address: dict):
    return replace(settings, raw=MappingProxyType({**settings.raw, "model_store_address": address}))


@pytest.fixture
def store_address(tmp_path) -> dict | None:
    """The model_store_address section under test (tests parametrize it); None: the conf has none."""
    return {"storage": "filesystem", "path": str(tmp_path / "store")}


@pytest.fixture
def settings(settings, store_address):
    if store_address is None:
        return replace(settings, raw=MappingProxyType(
            {k: v for k, v in settings.raw.items() if k != "model_store_address"}))
    return with_store(settings, store_address)


def post(client, path: str, body: dict) -> dict:
    return client.post(path, json=body).get_json()


REF = {"model_id": MODEL_ID, "model_version": VERSION, "role": "host", "party_id": "10001"}
PARTY_MODEL_ID = f"host#10001#{MODEL_ID}"


def test_store_then_restore_gives_back_the_same_files(client, settings, tmp_path):
    root = make_model(settings, "host", "10001")
    before = snapshot(root)
    answer = post(client, "/v1/model/store", REF)
    stored = tmp_path / "store" / PARTY_MODEL_ID / f"{VERSION}.zip"
    assert answer == {"retcode": 0, "retmsg": "success", "data": {
        **REF, "store": f"filesystem {tmp_path / 'store'}", "size": stored.stat().st_size, "slices": 1}}

    shutil.rmtree(root)
    answer = post(client, "/v1/model/restore", REF)
    assert answer["retcode"] == 0 and answer["data"]["path"] == str(root), answer
    assert snapshot(root) == before
    assert not [p.name for p in root.parent.iterdir() if p.name.startswith(".")]  # no staging left
    operations = [(r.f_operation_type, r.f_operation_status, r.f_model_version, r.f_initiator_party_id)
                  for r in ModelOperationLog.select().order_by(ModelOperationLog.f_id)]
    assert operations == [("store", "success", VERSION, "10001"), ("restore", "success", VERSION, "10001")]


def test_storing_again_needs_force_update_which_replaces_the_stored_model(client, settings):
    root = make_model(settings, "host", "10001")
    assert post(client, "/v1/model/store", REF)["retcode"] == 0
    assert post(client, "/v1/model/store", REF) == {
        "retcode": 100, "retmsg": f"Model {PARTY_MODEL_ID} {VERSION} has already been stored in filesystem "
                                  f"{settings.home.parent / 'store'}; set force_update to replace it"}

    buffer = root / "variables/data/trainer_0/model/TestModelParam"
    changed = Struct()
    changed.update({"weights": [9.0]})
    buffer.write_bytes(changed.SerializeToString())
    after = snapshot(root)
    assert post(client, "/v1/model/store", dict(REF, force_update=True))["retcode"] == 0
    shutil.rmtree(root)
    assert post(client, "/v1/model/restore", REF)["retcode"] == 0
    assert snapshot(root) == after


def test_restore_refuses_an_existing_local_model_and_an_unknown_one(client, settings):
    root = make_model(settings, "host", "10001")
    before = snapshot(root)
    assert post(client, "/v1/model/store", REF)["retcode"] == 0
    answer = post(client, "/v1/model/restore", REF)
    assert answer == {"retcode": 100, "retmsg": f"Model {PARTY_MODEL_ID} {VERSION} local cache already existed at "
                                                f"$FATE_FLOW_HOME/{root.relative_to(settings.home).as_posix()}; restore refused"}
    assert snapshot(root) == before

    answer = post(client, "/v1/model/restore", dict(REF, party_id="10000"))
    assert answer == {"retcode": 101, "retmsg": f"Model host#10000#{MODEL_ID} {VERSION} is not stored in filesystem "
                                                f"{settings.home.parent / 'store'}"}
    assert not model_dir(settings, "host", "10000", MODEL_ID, VERSION).exists()
    assert post(client, "/v1/model/store", dict(REF, model_version="20200101000000000000")) == {
        "retcode": 101, "retmsg": f"Model {PARTY_MODEL_ID} 20200101000000000000 is not exist."}
    assert post(client, "/v1/model/store", {"model_id": MODEL_ID, "model_version": VERSION}) == {
        "retcode": 100, "retmsg": "required parameters are missing: role,party_id;"}
    assert post(client, "/v1/model/store", dict(REF, model_id="../../etc")) == {
        "retcode": 101, "retmsg": "parameter model_id must be a model id (letters, digits, '_', '-', '.' and '#', "
                                  "e.g. arbiter-10000#guest-9999#host-10000#model), got '../../etc'"}
    assert post(client, "/v1/model/store", dict(REF, force_update="maybe")) == {
        "retcode": 101, "retmsg": "parameter force_update must be true or false, got 'maybe'"}


def test_restore_treats_the_stored_zip_as_hostile(client, settings, tmp_path):
    """Whoever can write to the store must not be able to write outside the model directory on restore."""
    stored = tmp_path / "store" / PARTY_MODEL_ID / f"{VERSION}.zip"
    stored.parent.mkdir(parents=True)
    with zipfile.ZipFile(stored, "w") as archive:
        archive.writestr("pipeline.pb", b"")
        archive.writestr("../../escaped.txt", b"owned")
    answer = post(client, "/v1/model/restore", REF)
    assert answer == {"retcode": 102, "retmsg": f"model archive of {PARTY_MODEL_ID} {VERSION} holds a path outside "
                                                f"the model directory: '../../escaped.txt'; restore refused"}
    root = model_dir(settings, "host", "10001", MODEL_ID, VERSION)
    assert not root.parent.exists()  # not even the party model directory is made for a refused zip
    assert not list(settings.home.rglob("escaped.txt"))
    assert [(r.f_operation_type, r.f_operation_status) for r in ModelOperationLog.select()] == [("restore", "failed")]


def test_restore_refuses_a_stored_model_whose_define_meta_names_paths_outside_it(client, settings, tmp_path):
    """A store's zip whose define_meta.yaml lists a buffer at ../../.. would let a later model transfer read
    server files: refused at restore with the entry named, and nothing installed."""
    root = make_model(settings, "host", "10001")
    assert post(client, "/v1/model/store", REF)["retcode"] == 0
    shutil.rmtree(root)
    stored = tmp_path / "store" / PARTY_MODEL_ID / f"{VERSION}.zip"
    with zipfile.ZipFile(stored) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    files["define/define_meta.yaml"] = (b"model_proto:\n  ../../../../keys:\n    model:\n      9999.pem: x\n")
    with zipfile.ZipFile(stored, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    answer = post(client, "/v1/model/restore", REF)
    assert answer["retcode"] == 101, answer
    assert answer["retmsg"] == (f"model archive of {PARTY_MODEL_ID} {VERSION}: parameter define_meta.yaml "
                                f"model_proto component must be a component name (letters, digits, '_' and '-', "
                                f"starting with a letter or digit), got '../../../../keys'; restore refused")
    assert not root.exists()


UNREACHABLE_PORT = free_port()


@pytest.mark.parametrize("store_address", [{
    "storage": "mysql", "host": "127.0.0.1", "port": UNREACHABLE_PORT, "user": "fate", "password": PASSWORD,
    "name": "model_store", "connect_timeout": 2}])
@pytest.mark.parametrize("operation", ["store", "restore"])
def test_an_unreachable_mysql_store_is_named_by_host_and_port_never_by_password(client, settings, operation):
    root = make_model(settings, "host", "10001")
    if operation == "restore":
        shutil.rmtree(root)
    answer = post(client, f"/v1/model/{operation}", REF)
    assert answer["retcode"] == 100, answer
    assert answer["retmsg"].startswith(
        f"{operation.capitalize()} model {PARTY_MODEL_ID} {VERSION} failed: cannot connect to the model store "
        f"database 'model_store' at 127.0.0.1:{UNREACHABLE_PORT}: "), answer
    assert PASSWORD not in json.dumps(answer)
    if operation == "restore":  # nothing written
        assert list(root.parent.iterdir()) == []


@pytest.mark.parametrize("store_address", [None])
def test_without_a_configured_store_the_answer_says_how_to_configure_one(client, settings):
    answer = post(client, "/v1/model/store", REF)
    assert answer["retcode"] == 100 and answer["retmsg"].startswith(
        "no model store is configured: add a model_store_address section to the service conf"), answer


def test_legacy_cli_store_and_restore_with_a_conf_file(served, settings, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FLOW_IP", "127.0.0.1")
    monkeypatch.setenv("FLOW_PORT", str(served))
    root = make_model(settings, "host", "10001")
    before = snapshot(root)
    conf = tmp_path / "store_model.json"
    conf.write_text(json.dumps(REF))
    assert fate_flow_client.main(["-f", "store", "-c", str(conf)]) == 0
    assert json.loads(capsys.readouterr().out)["data"]["slices"] == 1
    shutil.rmtree(root)
    assert fate_flow_client.main(["-f", "restore", "-c", str(conf)]) == 0
    assert json.loads(capsys.readouterr().out)["data"]["path"] == str(root)
    assert snapshot(root) == before
    assert fate_flow_client.main(["-f", "restore", "-c", str(conf)]) == 1
    assert "local cache already existed" in json.loads(capsys.readouterr().out)["retmsg"]
