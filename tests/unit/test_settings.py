import tempfile
from pathlib import Path

import pytest

from fate_flow.serving.settings import serving_settings
from fate_flow.settings import PROJECT_ROOT, SettingsError, load_settings


def write(tmp_path, text):
    path = tmp_path / "conf.yaml"
    path.write_text(text)
    return path


def test_defaults_from_the_shipped_conf(tmp_path):
    s = load_settings(env={"FATE_FLOW_HOME": str(tmp_path)})
    assert s.home == tmp_path
    assert (s.fateflow.host, s.fateflow.http_port, s.fateflow.grpc_port) == ("127.0.0.1", 9380, 9360)
    assert s.fateflow.party_ids == (9999, 10000)
    assert s.database.url == f"sqlite:///{tmp_path}/fate_flow.db"
    assert s.storage.root == tmp_path / "data"
    assert s.file_access.read_dirs == (tmp_path / "data_in", PROJECT_ROOT / "examples")
    assert s.file_access.write_dirs == (tmp_path / "data_out", Path(tempfile.gettempdir()).resolve())
    assert not s.file_access.legacy_key and s.permission.enabled


def test_file_access_read_and_write_dirs_and_the_older_allowed_dirs(tmp_path):
    conf = write(tmp_path, "file_access: {read_dirs: [/srv/in], write_dirs: [out]}\npermission: {enabled: false}\n")
    s = load_settings(conf, env={"FATE_FLOW_HOME": str(tmp_path)})
    assert s.file_access.read_dirs == (Path("/srv/in"),)
    assert s.file_access.write_dirs == (PROJECT_ROOT / "out",) and not s.permission.enabled
    legacy = load_settings(write(tmp_path, "file_access: {allowed_dirs: [/srv/both]}"), env={"FATE_FLOW_HOME": "/h"})
    assert legacy.file_access.read_dirs == legacy.file_access.write_dirs == (Path("/srv/both"),)
    assert legacy.file_access.legacy_key


def test_fate_flow_conf_selects_the_file_and_home_is_interpolated(tmp_path):
    conf = write(tmp_path, "fateflow: {http_port: 9480, party_ids: ['9999', 10000]}\n"
                           "database: {url: 'mysql://u:p@h:3306/${FATE_FLOW_HOME}'}\n")
    s = load_settings(env={"FATE_FLOW_CONF": str(conf), "FATE_FLOW_HOME": str(tmp_path / "h")})
    assert s.conf_path == conf and s.fateflow.http_port == 9480 and s.fateflow.party_ids == (9999, 10000)
    assert s.database.url == f"mysql://u:p@h:3306/{tmp_path / 'h'}"


def test_settings_are_frozen(tmp_path):
    s = load_settings(env={"FATE_FLOW_HOME": str(tmp_path)})
    with pytest.raises(AttributeError):
        s.fateflow.http_port = 1


@pytest.mark.parametrize("text,message", [
    ("fateflow: {http_port: abc}", "service conf key fateflow.http_port must be an integer, got 'abc'"),
    ("fateflow: [1, 2]", "service conf section 'fateflow' must be a mapping"),
    ("fateflow: {party_ids: [x]}", "service conf key fateflow.party_ids must be a list of integers"),
    ("database: {url: '${NOT_SET_ANYWHERE}'}", "service conf refers to ${NOT_SET_ANYWHERE}, which is not set"),
    ("- a\n- b", "must be a mapping at the top level"),
    ("fateflow: {host: [", "is not valid YAML"),
    ("file_access: {read_dirs: /srv}", "service conf key file_access.read_dirs must be a list of directories"),
    ("file_access: {allowed_dirs: [1, '']}", "service conf key file_access.allowed_dirs must be a list of directories"),
    ("permission: {enabled: 'no'}", "service conf key permission.enabled must be true or false, got 'no'"),
])
def test_bad_conf_names_the_key(tmp_path, text, message):
    with pytest.raises(SettingsError) as e:
        load_settings(write(tmp_path, text), env={"FATE_FLOW_HOME": str(tmp_path)})
    assert message in str(e.value)


@pytest.mark.parametrize("text,message", [
    ("serving: {grpc_port: -1}", "service conf key serving.grpc_port must be at least 0, got -1"),
    ("serving: {http_port: x}", "service conf key serving.http_port must be an integer, got 'x'"),
    ("serving: {remote_timeout: 0}", "service conf key serving.remote_timeout must be positive, got 0"),
    ("serving: {route_table: {'10000': {host: h}}}",
     "service conf key serving.route_table, party 10000: host and grpc_port are required"),
    ("serving: {route_table: {'10000': {host: h, grpc_port: x}}}",
     "service conf key serving.route_table, party 10000: grpc_port must be an integer, got 'x'"),
])
def test_bad_serving_conf_names_the_key(tmp_path, text, message):
    settings = load_settings(write(tmp_path, text), env={"FATE_FLOW_HOME": str(tmp_path)})
    with pytest.raises(SettingsError) as e:
        serving_settings(settings)
    assert message in str(e.value)


def test_a_serving_route_takes_the_federation_key_of_its_party_unless_it_names_one(tmp_path):
    (tmp_path / "fed.pub.pem").write_text("x")
    conf = write(tmp_path, "fateflow: {party_ids: [9999]}\n"
                           "route_table: {'10000': {host: h, grpc_port: 9360, public_key: fed.pub.pem}}\n"
                           "serving: {route_table: {'10000': {host: s, grpc_port: 8000},"
                           " '10001': {host: t, grpc_port: 8001, public_key: own.pub.pem}}}\n")
    routes = serving_settings(load_settings(conf, env={"FATE_FLOW_HOME": str(tmp_path)})).routes
    assert (routes["10000"].host, routes["10000"].grpc_port) == ("s", 8000)
    assert routes["10000"].public_key == str(tmp_path / "fed.pub.pem")
    assert routes["10001"].public_key == str(tmp_path / "own.pub.pem")


def test_missing_conf_file(tmp_path):
    with pytest.raises(SettingsError) as e:
        load_settings(tmp_path / "none.yaml", env={})
    assert "cannot read service conf" in str(e.value)
