"""/v1/model/deploy's request keys: unknown ones are refused (retcode 101, named) instead of silently ignored;
`cpn_path` / `dsl_path` name files on the client, which the legacy CLI's `-f deploy` reads and sends as
`cpn_list` / `predict_dsl` (a successful deploy from those files: tests/integration/test_predict_with_dsl.py)."""
import json

import pytest

from fate_flow import fate_flow_client

MODEL = {"model_id": "arbiter-10000#guest-9999#host-10000#model", "model_version": "202101011200000000001"}
NO_MODEL = f"Deploy model failed, no model {MODEL['model_id']} {MODEL['model_version']} found."


@pytest.mark.parametrize("extra, named", [
    ({"cpn_lst": ["dataio_0"]}, "unknown deploy parameters: cpn_lst;"),
    ({"components": "a", "dsl_version": 2}, "unknown deploy parameters: components, dsl_version;"),
    ({"cpn_path": "component_list.txt"}, "parameters cpn_path name files on the client: send their content as "
                                         "cpn_list"),
    ({"dsl_path": "predict_dsl.json", "cpn_path": "c.txt"}, "parameters cpn_path, dsl_path name files on the "
                                                            "client: send their content as cpn_list, predict_dsl"),
])
def test_unknown_deploy_keys_are_refused_by_name(client, extra, named):
    body = client.post("/v1/model/deploy", json={**MODEL, **extra}).get_json()
    assert body["retcode"] == 101 and named in body["retmsg"], body


@pytest.mark.parametrize("extra", [{}, {"cpn_list": ["dataio_0"]}, {"cpn_list": "dataio_0, hetero_lr_0"},
                                   {"predict_dsl": {"components": {}}}, {"dsl": "{}"}])
def test_the_deploy_keys_fate_clients_send_are_known(client, extra):
    body = client.post("/v1/model/deploy", json={**MODEL, **extra}).get_json()
    assert body == {"retcode": 100, "retmsg": NO_MODEL}, body


def run_cli(tmp_path, capsys, conf: dict) -> tuple[int, dict]:
    path = tmp_path / "deploy.json"
    path.write_text(json.dumps(conf))
    rc = fate_flow_client.main(["-f", "deploy", "-c", str(path)])
    return rc, json.loads(capsys.readouterr().out)


def test_legacy_cli_deploy_reads_the_conf_files_on_the_client(served, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FLOW_IP", "127.0.0.1")
    monkeypatch.setenv("FLOW_PORT", str(served))
    components = tmp_path / "component_list.txt"
    components.write_text("dataio_0, hetero_lr_0\n")
    dsl = tmp_path / "predict_dsl.json"
    dsl.write_text(json.dumps({"components": {"dataio_0": {"module": "DataIO"}}}))
    # the files are read and sent as cpn_list / predict_dsl: the server looks for the model, not at the keys
    for conf in ({**MODEL, "cpn_path": str(components)}, {**MODEL, "dsl_path": str(dsl)}):
        assert run_cli(tmp_path, capsys, conf) == (1, {"retcode": 100, "retmsg": NO_MODEL})
    # other keys go to the server as given, which names the ones it does not know
    rc, answer = run_cli(tmp_path, capsys, {**MODEL, "cpn_path": str(components), "dsl_versoin": 2})
    assert rc == 1 and answer["retcode"] == 101 and "unknown deploy parameters: dsl_versoin;" in answer["retmsg"]


@pytest.mark.parametrize("conf, message", [
    ({**MODEL, "cpn_path": "missing.txt"}, "cannot read cpn_path file missing.txt: No such file or directory"),
    ({**MODEL, "dsl_path": "missing.json"}, "cannot read dsl_path file missing.json: No such file or directory"),
    ({**MODEL, "cpn_list": ["a"], "dsl_path": "x.json"}, "the deploy conf gives cpn_list, dsl_path: give only one"),
    ({"model_id": "m"}, "must give model_version"),
])
def test_legacy_cli_deploy_conf_mistakes_are_named_before_sending(tmp_path, monkeypatch, capsys, conf, message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLOW_IP", "127.0.0.1")
    monkeypatch.setenv("FLOW_PORT", "9")  # nothing is sent: no server needed
    rc, answer = run_cli(tmp_path, capsys, conf)
    assert rc == 1 and answer["retcode"] == 100 and message in answer["retmsg"], answer
