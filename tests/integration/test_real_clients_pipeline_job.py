"""FATE-Pipeline 1.6.1, unchanged, building and fitting a Reader -> DataIO job against a real server that
hosts guest and host: it submits, monitors the job to success and reads the summary and output data back."""
import pytest

from tests.integration.client_venv import CLIENT_VENV, require_client_venv, run_client, run_python
from tests.server_process import make_server

pytestmark = pytest.mark.slow

FIT = """
import json
from pipeline.backend.pipeline import PipeLine
from pipeline.component import Reader, DataIO
from pipeline.interface import Data
from pipeline.runtime.entity import JobParameters
p = PipeLine().set_initiator(role="guest", party_id=9999).set_roles(guest=9999, host=10000)
reader_0 = Reader(name="reader_0")
reader_0.get_party_instance(role="guest", party_id=9999).component_param(
    table={"name": "breast_hetero_guest", "namespace": "experiment"})
reader_0.get_party_instance(role="host", party_id=10000).component_param(
    table={"name": "breast_hetero_host", "namespace": "experiment"})
dataio_0 = DataIO(name="dataio_0")
dataio_0.get_party_instance(role="guest", party_id=9999).component_param(with_label=True, output_format="dense")
dataio_0.get_party_instance(role="host", party_id=10000).component_param(with_label=False)
p.add_component(reader_0)
p.add_component(dataio_0, data=Data(data=reader_0.output.data))
p.compile()
p.fit(JobParameters(work_mode=0))
print(json.dumps({"summary": p.get_component("dataio_0").get_summary(),
                  "output": p.get_component("dataio_0").get_output_data(limits=3)}))
"""


def test_pipeline_fits_reader_and_dataio(tmp_path):
    require_client_venv()
    server = make_server(tmp_path / "s", party_ids=(9999, 10000)).start()
    try:
        from fate_flow.settings import PROJECT_ROOT
        from fate_flow.client.http_client import FlowHttpClient
        client = FlowHttpClient("127.0.0.1", server.http_port)
        for role in ("guest", "host"):
            path = PROJECT_ROOT / "examples" / "data" / f"breast_hetero_{role}.csv"
            answer = client.upload({"namespace": "experiment", "table_name": f"breast_hetero_{role}", "head": 1,
                                    "partition": 4}, path)
            assert answer["retcode"] == 0, answer
        init = run_client([str(CLIENT_VENV / "bin" / "pipeline"), "init", "--ip", "127.0.0.1",
                           "--port", str(server.http_port)])
        assert init.returncode == 0, init.stderr
        result = run_python(FIT, timeout=240)
        assert result["summary"]["features"] == 10
        assert result["output"]["meta"] == ["id", "y"] + [f"x{i}" for i in range(10)]
        assert result["output"]["data"][0] == "id,y," + ",".join(f"x{i}" for i in range(10))
    finally:
        server.stop()
