"""bin/service.sh start|status|stop serving: the bundled serving in the background from the same
FATE_FLOW_CONF/FATE_FLOW_HOME as the flow server, with its own pid file; the flow server's commands untouched."""
import os
import subprocess
from pathlib import Path

import psutil
import pytest
import requests
import yaml

from tests.conftest import free_port

pytestmark = pytest.mark.slow

SERVICE_SH = Path(__file__).resolve().parents[2] / "bin" / "service.sh"


@pytest.fixture
def service(tmp_path):
    home, conf_path = tmp_path / "home", tmp_path / "service_conf.yaml"
    http_port = free_port()
    conf_path.write_text(yaml.safe_dump({
        "fateflow": {"host": "127.0.0.1", "http_port": free_port(), "grpc_port": free_port(), "party_ids": [9999]},
        "database": {"url": "sqlite:///${FATE_FLOW_HOME}/fate_flow.db"},
        "serving": {"host": "127.0.0.1", "grpc_port": free_port(), "http_port": http_port}}))
    env = dict(os.environ, FATE_FLOW_HOME=str(home), FATE_FLOW_CONF=str(conf_path), FATE_FLOW_START_TIMEOUT="60",
               FATE_FLOW_STOP_TIMEOUT="20")

    def run(*args):
        return subprocess.run(["bash", str(SERVICE_SH), *args], env=env, capture_output=True, text=True, timeout=120)

    yield run, home, http_port
    pid_file = home / "fate_flow_serving.pid"
    if pid_file.exists():  # whatever a failed test left running
        run("stop", "serving")


def test_start_status_stop_serving(service):
    run, home, http_port = service
    address = f"http://127.0.0.1:{http_port}"
    assert (run("status", "serving").returncode, run("status", "serving").stdout.strip()) == (1, "stopped")
    started = run("start", "serving")
    assert started.returncode == 0, started.stdout + started.stderr
    assert "started (pid" in started.stdout and address in started.stdout
    pid = int((home / "fate_flow_serving.pid").read_text())
    assert "fate_flow.serving" in " ".join(psutil.Process(pid).cmdline())
    status = requests.post(f"{address}/serving/status", json={}, timeout=10).json()
    assert status["retcode"] == 0 and status["data"]["parties"] == ["9999"]
    assert run("status", "serving").stdout.strip() == f"running (pid {pid}) on {address}"
    again = run("start", "serving")
    assert again.returncode == 1 and f"already running (pid {pid}" in again.stderr
    # the flow server's own commands do not see the serving
    assert (run("status").returncode, run("status").stdout.strip()) == (1, "stopped")
    stopped = run("stop", "serving")
    assert stopped.returncode == 0 and f"stopped (pid {pid})" in stopped.stdout
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not (home / "fate_flow_serving.pid").exists()
    assert (run("status", "serving").returncode, run("stop", "serving").stdout.strip()) == (
        1, "service.sh: stopped (was not running)")


def test_unknown_target_and_bad_serving_conf(service, tmp_path):
    run, home, _ = service
    bad = run("start", "servng")
    assert bad.returncode == 2 and "usage:" in bad.stderr
    conf = tmp_path / "service_conf.yaml"
    data = yaml.safe_load(conf.read_text())
    data["serving"]["http_port"] = "eighty"
    conf.write_text(yaml.safe_dump(data))
    broken = run("start", "serving")
    assert broken.returncode == 2 and "serving.http_port must be an integer" in broken.stderr, broken.stderr
