"""/v1/model/export and /v1/model/import (contract §1.5.4, §1.5.5, §8.7): a party's model zipped on one
server and imported on a fresh one (its own home and database); hostile or broken archives refused with
nothing written; the legacy CLI `-f export|import -c conf`."""
from __future__ import annotations

import io
import json
import shutil
import stat
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from fate_flow import fate_flow_client
from fate_flow.db.base import DB
from fate_flow.db.models import MachineLearningModelInfo, ModelOperationLog
from fate_flow.proto.pipeline_pb2 import Pipeline
from fate_flow.services.models import package as model_package
from fate_flow.services.models.paths import model_dir
from tests.api.test_model_store import MODEL_ID, VERSION, make_model, snapshot
from tests.conftest import make_app, make_settings

REF = {"model_id": MODEL_ID, "model_version": VERSION, "role": "host", "party_id": "10001"}
PARTY_MODEL_ID = f"host#10001#{MODEL_ID}"
ZIP_NAME = f"{PARTY_MODEL_ID}_{VERSION}.zip"


def export(client, body: dict = REF, method: str = "GET"):
    return client.open("/v1/model/export", method=method, json=body)


def import_zip(client, data: bytes, form: dict = REF) -> dict:
    fields = {**form, "file": (io.BytesIO(data), "model.zip")}
    return client.post("/v1/model/import", data=fields, content_type="multipart/form-data").get_json()


def exported_zip(client, settings) -> tuple[bytes, dict[str, bytes]]:
    root = make_model(settings, "host", "10001")
    answer = export(client)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_data(), snapshot(root)


def test_export_streams_the_model_zip_with_the_contract_filename(client, settings):
    data, files = exported_zip(client, settings)
    answer = export(client, method="POST")
    assert answer.headers["Content-Disposition"] == f"attachment; filename={ZIP_NAME}"
    assert answer.mimetype == "application/zip" and answer.get_data() == data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # archive root = the version directory's contents
        assert {name: archive.read(name) for name in archive.namelist()} == files
    assert "pipeline.pb" in files and "variables/data/trainer_0/model/TestModelParam" in files
    assert (settings.temp_dir / "fate_flow" / ZIP_NAME).read_bytes() == data  # also left where FATE leaves it
    assert [(r.f_operation_type, r.f_operation_status) for r in ModelOperationLog.select()] == [
        ("export", "success"), ("export", "success")]


def test_export_refusals(client, settings):
    answer = export(client)
    assert answer.status_code == 210
    assert answer.get_json() == {"retcode": 210, "retmsg": f"Model {PARTY_MODEL_ID} {VERSION} is not exist."}
    missing = export(client, {"model_id": MODEL_ID, "model_version": VERSION})
    assert missing.status_code == 200
    assert missing.get_json() == {"retcode": 100, "retmsg": "required parameters are missing: role,party_id;"}
    assert export(client, dict(REF, model_version="../x")).get_json()["retcode"] == 101


def test_export_then_import_on_a_fresh_server_gives_the_same_files_and_a_queryable_model(app, client, settings,
                                                                                        tmp_path):
    data, files = exported_zip(client, settings)

    fresh = make_settings(tmp_path / "fresh_home")  # another server: its own home and SQLite database
    fresh_client = make_app(fresh).test_client()
    assert import_zip(fresh_client, data) == {"retcode": 0, "retmsg": "success"}
    root = model_dir(fresh, "host", "10001", MODEL_ID, VERSION)
    assert snapshot(root) == files
    assert not list((fresh.temp_dir / "fate_flow").iterdir())  # no staging left

    rows = fresh_client.post("/v1/model/query", json={"model_version": VERSION, "role": "host"}).get_json()
    assert rows["retmsg"] == "Query model info from db success.", rows
    [row] = rows["data"]
    assert (row["f_model_id"], row["f_model_version"], row["f_party_id"], row["f_imported"], row["f_parent"]) == (
        MODEL_ID, VERSION, "10001", 1, True)
    assert row["f_roles"] == {"guest": [9999], "host": [10000, 10001], "arbiter": [10000]}
    assert row["f_train_dsl"]["components"]["trainer_0"]["module"] == "TestModelTrainer"
    conf = fresh_client.post("/v1/model/get/predict/dsl", json={"model_id": MODEL_ID, "model_version": VERSION})
    assert conf.get_json() == {"retcode": 0, "retmsg": "success", "data": {}}  # a v2 parent: nothing deployed yet

    again = import_zip(fresh_client, data)
    assert again == {"retcode": 100, "retmsg": f"Model {PARTY_MODEL_ID} {VERSION} local cache already existed at "
                                               f"$FATE_FLOW_HOME/{root.relative_to(fresh.home).as_posix()}; import refused"}
    assert snapshot(root) == files
    assert [(r.f_operation_type, r.f_operation_status) for r in ModelOperationLog.select()] == [
        ("import", "success"), ("import", "failed")]


def zip_of(entries: dict[str, bytes], modes: dict[str, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (modes or {}).get(name, stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def assert_nothing_written(settings, tmp_path: Path) -> None:
    cache = settings.home / "model_local_cache"
    assert not (cache / PARTY_MODEL_ID).exists()
    assert not [p.name for p in (settings.temp_dir / "fate_flow").glob(".import-*")]
    assert not (tmp_path / "evil").exists()
    assert MachineLearningModelInfo.select().count() == 0


@pytest.mark.parametrize("case", ["dotdot", "absolute", "backslash", "symlink", "not_a_zip", "no_pipeline",
                                  "corrupt_pipeline", "too_many_entries", "too_large", "other_party",
                                  "other_model", "define_meta_traversal", "pipeline_roles_traversal"])
def test_hostile_or_broken_archives_are_refused_and_nothing_is_written(client, settings, tmp_path, monkeypatch,
                                                                       case):
    data, files = exported_zip(client, settings)
    shutil.rmtree(settings.home / "model_local_cache")
    evil = str(tmp_path / "evil")
    what = f"{PARTY_MODEL_ID} {VERSION}"
    form, expected_code = REF, 102
    if case == "dotdot":
        data = zip_of({**files, "../../../evil": b"x"})
        message = f"model archive of {what} holds a path outside the model directory: '../../../evil'"
    elif case == "absolute":
        data = zip_of({**files, evil: b"x"})
        message = f"model archive of {what} holds a path outside the model directory: {evil!r}"
    elif case == "backslash":
        data = zip_of({**files, "..\\..\\evil": b"x"})
        message = f"model archive of {what} holds a path outside the model directory: '..\\\\..\\\\evil'"
    elif case == "symlink":
        data = zip_of({**files, "variables/link": evil.encode()}, {"variables/link": stat.S_IFLNK | 0o777})
        message = f"model archive of {what} holds a symbolic link: 'variables/link'"
    elif case == "not_a_zip":
        data = b"this is not a zip file at all" * 10
        message = f"model archive of {what} is not a valid zip file: File is not a zip file"
    elif case == "no_pipeline":
        data = zip_of({k: v for k, v in files.items() if k != "pipeline.pb"})
        message = (f"model archive of {what} is not a model: it has no Pipeline record (pipeline.pb at the archive "
                   f"root)")
    elif case == "corrupt_pipeline":
        data = zip_of({**files, "pipeline.pb": b"\xff\xff\xff\xff"})
        message = f"model archive of {what} has a corrupt Pipeline record: Error parsing message"
    elif case == "too_many_entries":
        monkeypatch.setattr(model_package, "MAX_ENTRIES", 4)
        message = f"model archive of {what} holds {len(files)} entries, more than the limit of 4"
    elif case == "too_large":  # a small zip of many zero bytes
        monkeypatch.setattr(model_package, "MAX_UNPACKED_BYTES", 100_000)
        data = zip_of({**files, "variables/padding": bytes(200_000)})
        assert len(data) < 20_000  # a zip bomb in miniature: 10x smaller than what it unpacks to
        message = f"model archive of {what} unpacks to {sum(map(len, files.values())) + 200_000} bytes, more " \
                  f"than the limit of 100000"
    elif case == "other_party":  # host 10002 is not one of the model's hosts
        form, expected_code = dict(REF, party_id="10002"), 100
        what = f"host#10002#{MODEL_ID} {VERSION}"
        message = "party id 10002 is not in model roles (host: ['10000', '10001']), please check if the party id " \
                  "is valid."
    elif case == "define_meta_traversal":  # a later transfer would read files named by define_meta.yaml
        data = zip_of({**files, "define/define_meta.yaml": b"model_proto:\n  trainer_0:\n    ../../../..:\n"
                                                           b"      keys: x\n"})
        expected_code = 101
        message = (f"model archive of {what}: parameter define_meta.yaml model_proto.trainer_0 alias must be a plain "
                   f"file name")
    elif case == "pipeline_roles_traversal":
        pipeline = Pipeline.FromString(files["pipeline.pb"])
        pipeline.roles = json.dumps({"host": ["10001/../../x"]}).encode()
        data = zip_of({**files, "pipeline.pb": pipeline.SerializeToString()})
        expected_code = 101
        message = (f"model archive of {what}: parameter Pipeline roles.host must be a party id (an integer of at "
                   f"most 10 digits), got '10001/../../x'")
    else:  # the archive of another model version
        form = dict(REF, model_version="20990101000000000000")
        message = f"model archive holds model {MODEL_ID} {VERSION}, not the requested {MODEL_ID} 20990101000000000000"
    answer = import_zip(client, data, form)
    assert answer["retcode"] == expected_code, answer
    assert answer["retmsg"].startswith(message), answer
    assert_nothing_written(settings, tmp_path)
    assert not (settings.home / "model_local_cache" / f"host#10002#{MODEL_ID}").exists()


def test_import_needs_the_ids_and_the_file(client, settings):
    answer = client.post("/v1/model/import", data={"model_id": MODEL_ID}, content_type="multipart/form-data")
    assert answer.get_json() == {"retcode": 100, "retmsg": "required parameters are missing: "
                                                           "file,model_version,role,party_id;"}
    answer = client.post("/v1/model/import", data=REF, content_type="multipart/form-data")
    assert answer.get_json() == {"retcode": 100, "retmsg": "required parameters are missing: file;"}
    answer = client.post("/v1/model/import", json=REF)
    assert answer.get_json()["retcode"] == 100 and "multipart/form-data part 'file'" in answer.get_json()["retmsg"]


def test_legacy_cli_export_then_import(served, settings, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FLOW_IP", "127.0.0.1")
    monkeypatch.setenv("FLOW_PORT", str(served))
    root = make_model(settings, "host", "10001")
    before = snapshot(root)
    out = tmp_path / "exported"
    conf = tmp_path / "export_model.json"
    conf.write_text(json.dumps(dict(REF, output_path=str(out))))
    assert fate_flow_client.main(["-f", "export", "-c", str(conf)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["file"] == str(out / ZIP_NAME) and printed["retcode"] == 0

    shutil.rmtree(root)
    conf = tmp_path / "import_model.json"
    conf.write_text(json.dumps(dict(REF, file=str(out / ZIP_NAME))))
    assert fate_flow_client.main(["-f", "import", "-c", str(conf)]) == 0
    assert json.loads(capsys.readouterr().out) == {"retcode": 0, "retmsg": "success"}
    assert snapshot(root) == before

    assert fate_flow_client.main(["-f", "import", "-c", str(conf)]) == 1
    assert "local cache already existed" in json.loads(capsys.readouterr().out)["retmsg"]
    conf.write_text(json.dumps(dict(REF, model_version="20990101000000000000")))
    assert fate_flow_client.main(["-f", "export", "-c", str(conf), "-o", str(out)]) == 1
    assert json.loads(capsys.readouterr().out) == {
        "retcode": 210, "retmsg": f"Model {PARTY_MODEL_ID} 20990101000000000000 is not exist."}


def test_an_import_body_is_not_held_to_the_json_body_limit(tmp_path):
    small_json_limit = make_settings(tmp_path / "home")
    small_json_limit = replace(small_json_limit, http=replace(small_json_limit.http, max_json_bytes=1000))
    client = make_app(small_json_limit).test_client()
    try:
        make_model(small_json_limit, "host", "10001", weights=bytes(range(256)) * 20)
        data = export(client).get_data()
        assert len(data) > 1000
        shutil.rmtree(small_json_limit.home / "model_local_cache")
        assert import_zip(client, data) == {"retcode": 0, "retmsg": "success"}
        assert client.post("/v1/model/query", json={"model_version": "x" * 2000}).status_code == 413
    finally:
        DB.obj.close()
