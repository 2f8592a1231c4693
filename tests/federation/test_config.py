"""The route table and federation keys of the service conf, read into FederationSettings."""
import pytest
import yaml

from fate_flow.federation import FederationConfigError, UnknownPartyError, federation_settings
from fate_flow.settings import PROJECT_ROOT
from tests.conftest import make_settings


def write_conf(tmp_path, conf: dict):
    path = tmp_path / "service_conf.yaml"
    base = {"fateflow": {"host": "127.0.0.1", "http_port": 9380, "grpc_port": 9370, "party_ids": [9999]}}
    path.write_text(yaml.safe_dump({**base, **conf}))
    return make_settings(tmp_path / "home", path)


def test_hosted_parties_route_to_this_server_by_default(tmp_path):
    fed = federation_settings(write_conf(tmp_path, {"route_table": {}}), PROJECT_ROOT)
    assert fed.route(9999).address == "127.0.0.1:9370"
    assert fed.site_auth is True and fed.tls.enabled is False


def test_a_hosted_party_is_served_here_even_when_a_table_routes_it_elsewhere(tmp_path, caplog):
    settings = write_conf(tmp_path, {"route_table": {"9999": {"host": "127.0.0.1", "grpc_port": 9360}}})
    fed = federation_settings(settings, PROJECT_ROOT)
    assert fed.route(9999).address == "127.0.0.1:9370"
    assert "routes party 9999 to 127.0.0.1:9360, but this server hosts it" in caplog.text


def test_inline_route_table_overrides_the_default_file(tmp_path):
    settings = write_conf(tmp_path, {"route_table": {
        "10000": {"host": "10.0.0.2", "grpc_port": 9361, "public_key": "keys/10000.pub.pem"}}})
    fed = federation_settings(settings, PROJECT_ROOT)
    route = fed.route("10000")
    assert route.address == "10.0.0.2:9361"
    # relative key paths resolve against the directory of the conf that names them
    assert route.public_key == str(tmp_path / "keys" / "10000.pub.pem")
    assert "9999" in fed.routes


def test_default_file_is_conf_route_table_yaml_of_the_project(tmp_path):
    root = tmp_path / "project"
    (root / "conf").mkdir(parents=True)
    (root / "conf" / "route_table.yaml").write_text(yaml.safe_dump(
        {"route_table": {"10001": {"host": "127.0.0.1", "grpc_port": 9999}}}))
    fed = federation_settings(write_conf(tmp_path, {}), root)
    assert fed.route(10001).grpc_port == 9999


def test_route_table_path_names_another_file(tmp_path):
    table = tmp_path / "routes.yaml"
    table.write_text(yaml.safe_dump({"10000": {"host": "h", "port": 1234}}))
    fed = federation_settings(write_conf(tmp_path, {"route_table_path": str(table)}), PROJECT_ROOT)
    assert fed.route("10000").address == "h:1234"


def test_unknown_party_error_names_the_party_and_the_table(tmp_path):
    fed = federation_settings(write_conf(tmp_path, {"route_table": {}}), PROJECT_ROOT)
    with pytest.raises(UnknownPartyError, match="no route to party 4242.*route_table of the service conf") as e:
        fed.route(4242)
    assert e.value.retcode == 104


@pytest.mark.parametrize("conf, message", [
    ({"route_table": {"1": {"host": "h"}}}, "party 1: host and grpc_port are required"),
    ({"route_table": {"1": {"host": "h", "grpc_port": "x"}}}, "grpc_port must be an integer"),
    ({"route_table": ["1"]}, "route_table must be a mapping"),
    ({"route_table_path": "/nonexistent/routes.yaml"}, "does not exist"),
    ({"site_auth": "maybe"}, "site_auth must be true or false"),
    ({"federation": {"command_timeout": "soon"}}, "federation.command_timeout must be a number"),
    ({"federation": {"tls": {"enabled": True, "cert": "a.pem"}}}, "tls needs cert, key and ca"),
])
def test_bad_federation_conf_is_refused_naming_the_key(tmp_path, conf, message):
    with pytest.raises(FederationConfigError, match=message):
        federation_settings(write_conf(tmp_path, conf), PROJECT_ROOT)


def test_limits_and_switches_are_read_from_the_federation_section(tmp_path):
    fed = federation_settings(write_conf(tmp_path, {"site_auth": False, "federation": {
        "command_timeout": 3, "chunk_bytes": 4096, "max_value_bytes": 10, "fsync": True}}), PROJECT_ROOT)
    assert (fed.site_auth, fed.command_timeout, fed.chunk_bytes, fed.max_value_bytes, fed.fsync) == (
        False, 3.0, 4096, 10, True)
