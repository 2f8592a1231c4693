from tests.server_process import make_server


def test_two_servers_side_by_side_each_with_its_own_home(tmp_path):
    a = make_server(tmp_path / "a").start()
    b = make_server(tmp_path / "b").start()
    try:
        for server in (a, b):
            body = server.post("/v1/version/get").json()
            assert body["retcode"] == 0 and body["data"]["FATE"] == "1.6.1"
        assert (a.home / "fate_flow.db").exists() and (b.home / "fate_flow.db").exists()
        assert (a.home / "fate_flow.pid").read_text().strip() != (b.home / "fate_flow.pid").read_text().strip()
    finally:
        a.stop()
        b.stop()
