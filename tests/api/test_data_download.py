"""/v1/data/download: writes the table to a server-side file, header first, rows in upload order."""
import pytest

from fate_flow.settings import PROJECT_ROOT
from tests.api.upload_helpers import multipart_upload, upload_config

BREAST = PROJECT_ROOT / "examples" / "data" / "breast_hetero_guest.csv"


@pytest.fixture
def breast(client):
    assert multipart_upload(client, upload_config("breast"), BREAST.read_bytes()).get_json()["retcode"] == 0


def download(client, output_path, **extra):
    body = {"namespace": "experiment", "table_name": "breast", "output_path": str(output_path), **extra}
    return client.post("/v1/data/download", json=body).get_json()


def test_round_trip_is_byte_identical(client, breast, tmp_path):
    out = tmp_path / "sub" / "breast.csv"
    body = download(client, out)
    assert body["retcode"] == 0 and body["data"]["count"] == 569
    assert body["jobId"] == body["data"]["job_id"]
    assert out.read_bytes() == BREAST.read_bytes()
    [job] = client.post("/v1/job/query", json={"job_id": body["jobId"]}).get_json()["data"]
    assert job["f_status"] == "success" and job["f_dsl"] == {"components": {"download_0": {"module": "Download"}}}


def test_other_delimiter(client, breast, tmp_path):
    out = tmp_path / "breast.tsv"
    assert download(client, out, delimiter="\t")["retcode"] == 0
    lines = out.read_text().splitlines()
    assert lines[0] == BREAST.read_text().splitlines()[0].replace(",", "\t")
    assert lines[1] == BREAST.read_text().splitlines()[1].replace(",", "\t")


def test_seed_spelling_delimitor_is_read_as_the_delimiter(client, breast, tmp_path):
    out = tmp_path / "breast.psv"
    assert download(client, out, delimitor="|")["retcode"] == 0
    assert out.read_text().splitlines()[1] == BREAST.read_text().splitlines()[1].replace(",", "|")
    both = tmp_path / "both.tsv"
    assert download(client, both, delimiter="\t", delimitor="|")["retcode"] == 0  # the canonical name wins
    assert "\t" in both.read_text().splitlines()[1]


def test_missing_table(client, tmp_path):
    body = download(client, tmp_path / "x.csv")
    assert body == {"retcode": 101, "retmsg": "table experiment.breast does not exist (namespace 'experiment', "
                                              "table_name 'breast')"}


@pytest.mark.parametrize("path", ["/etc/fate_flow_should_not_write.csv", "examples/../setup.py.csv", "/root/x.csv"])
def test_output_outside_allowed_dirs_is_refused(client, breast, path):
    body = download(client, path)
    assert body["retcode"] == 100
    assert body["retmsg"].startswith(f"parameter output_path: {path} is outside the directories")


def test_output_path_that_is_a_directory(client, breast, tmp_path):
    body = download(client, tmp_path)
    assert body == {"retcode": 100, "retmsg": f"parameter output_path: {tmp_path} is a directory; give a file path"}


def test_missing_output_path_is_named(client, breast):
    body = client.post("/v1/data/download", json={"namespace": "experiment", "table_name": "breast"}).get_json()
    assert body == {"retcode": 100, "retmsg": "required parameters are missing: output_path;"}
