"""The README's commands work when pasted: every code block marked ```bash runnable is run, in README order, in one
bash (as a user pastes them into one shell after `bash bin/demo.sh`), against a real server with its own
FATE_FLOW_HOME and ports (FLOW_IP/FLOW_PORT point the CLI at it). Any command that exits non-zero fails the test."""
import os
import re
import subprocess

import pytest

from fate_flow.settings import PROJECT_ROOT
from tests.server_process import make_server

pytestmark = pytest.mark.slow

README = PROJECT_ROOT / "README.md"
RUNNABLE = re.compile(r"^```bash runnable[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def runnable_blocks(text: str) -> list[str]:
    return RUNNABLE.findall(text)


def test_the_marker_finds_blocks_and_only_marked_ones():
    text = "```bash\nnot me\n```\n```bash runnable\necho a\necho b\n```\nprose\n```bash runnable\necho c\n```\n"
    assert runnable_blocks(text) == ["echo a\necho b\n", "echo c\n"]
    assert len(runnable_blocks(README.read_text())) >= 4


def test_the_readme_runnable_blocks_pass_against_a_server(tmp_path):
    blocks = runnable_blocks(README.read_text(encoding="utf-8"))
    server = make_server(tmp_path / "server", party_ids=(9999, 10000)).start()
    try:
        # -x: each command is echoed to stderr, so a failure shows which line it was
        script = "set -euxo pipefail\n" + "\n".join(blocks)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path), "LANG": "C.UTF-8",
               "FLOW_IP": "127.0.0.1", "FLOW_PORT": str(server.http_port)}
        result = subprocess.run(["bash", "-c", script], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                                timeout=420)
    finally:
        server.stop()
    assert result.returncode == 0, f"{result.stderr[-4000:]}\n--- stdout ---\n{result.stdout[-2000:]}"
    out = tmp_path / "fate_flow_out"
    weights = re.search(r"^\{'x\d+': -?\d+\.\d+.*\}$", result.stdout, re.M)
    assert weights, "the host's weights, names and values, are printed"
    assert len(list(out.glob("job_*_hetero_lr_0_guest_9999_output_data/*.csv"))) == 2  # training and predict
    assert os.path.isdir(next(out.glob("job_*_log")))
