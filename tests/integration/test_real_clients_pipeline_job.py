"""FATE-Pipeline 1.6.1, unchanged, against a real server that hosts guest and host: a Reader -> DataIO job fitted
and read back, then HeteroLR and HeteroSecureBoost jobs fitted, deployed and used by a predict job."""
import contextlib

import pytest

from fate_flow.client.http_client import FlowHttpClient
from fate_flow.settings import PROJECT_ROOT
from tests.integration.client_venv import CLIENT_VENV, require_client_venv, run_client, run_python
from tests.server_process import make_server

pytestmark = pytest.mark.slow

# the start of every script: the two parties' tables read and transformed, as FATE's examples do
READ_AND_TRANSFORM = """
import json
from pipeline.backend.pipeline import PipeLine
from pipeline.component import Reader, DataIO, Intersection, HeteroLR, HeteroSecureBoost, Evaluation
from pipeline.interface import Data
from pipeline.runtime.entity import JobParameters
p = PipeLine().set_initiator(role="guest", party_id=9999).set_roles(ROLES)
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
"""

FIT = READ_AND_TRANSFORM.replace("ROLES", "guest=9999, host=10000") + """
p.compile()
p.fit(JobParameters(work_mode=0))
print(json.dumps({"summary": p.get_component("dataio_0").get_summary(),
                  "output": p.get_component("dataio_0").get_output_data(limits=3)}))
"""

# the rest of a model's script: MODEL is replaced by the model component's constructor call
FIT_DEPLOY_PREDICT = """
intersection_0 = Intersection(name="intersection_0")
model_0 = MODEL
evaluation_0 = Evaluation(name="evaluation_0", eval_type="binary")
p.add_component(intersection_0, data=Data(data=dataio_0.output.data))
p.add_component(model_0, data=Data(train_data=intersection_0.output.data))
p.add_component(evaluation_0, data=Data(data=model_0.output.data))
p.compile()
p.fit(JobParameters(work_mode=0))
out = {"evaluation": p.get_component("evaluation_0").get_summary(),
       "model": p.get_component(model_0.name).get_model_param()}
p.deploy_component([dataio_0, intersection_0, model_0])
predict = PipeLine()
predict.add_component(reader_0)
predict.add_component(p, data=Data(predict_input={p.dataio_0.input.data: reader_0.output.data}))
predict.predict(JobParameters(work_mode=0))
out["predict_job"] = predict.get_predict_job_id()
out["train_job"] = p.get_train_job_id()
print(json.dumps(out))
"""

HETERO_LR = READ_AND_TRANSFORM.replace("ROLES", "guest=9999, host=10000, arbiter=10000") + \
    FIT_DEPLOY_PREDICT.replace("MODEL", """HeteroLR(name="hetero_lr_0", penalty="L2", optimizer="adam",
    learning_rate=0.05, alpha=0.01, max_iter=10, batch_size=-1, init_param={"init_method": "zeros"})""")

HETERO_SECUREBOOST = READ_AND_TRANSFORM.replace("ROLES", "guest=9999, host=10000") + \
    FIT_DEPLOY_PREDICT.replace("MODEL", """HeteroSecureBoost(name="hetero_secureboost_0", num_trees=3,
    task_type="classification", objective_param={"objective": "cross_entropy"}, encrypt_param={"method": "Paillier"},
    tree_param={"max_depth": 3})""")


@contextlib.contextmanager
def pipeline_server(tmp_path):
    """A server hosting guest 9999 and host 10000 with the breast tables uploaded, and `pipeline init` pointed
    at it."""
    require_client_venv()
    server = make_server(tmp_path / "s", party_ids=(9999, 10000)).start()
    try:
        client = FlowHttpClient("127.0.0.1", server.http_port)
        for role in ("guest", "host"):
            path = PROJECT_ROOT / "examples" / "data" / f"breast_hetero_{role}.csv"
            answer = client.upload({"namespace": "experiment", "table_name": f"breast_hetero_{role}", "head": 1,
                                    "partition": 4}, path)
            assert answer["retcode"] == 0, answer
        init = run_client([str(CLIENT_VENV / "bin" / "pipeline"), "init", "--ip", "127.0.0.1",
                           "--port", str(server.http_port)])
        assert init.returncode == 0, init.stderr
        yield server
    finally:
        server.stop()


def assert_predict_scores_equal_training(server, result: dict, component: str) -> None:
    """The predict job's scores of every row are the training output's, for the 100 rows read back."""
    scores = {}
    for job in (result["train_job"], result["predict_job"]):
        rows = server.post("/v1/tracking/component/output/data", json={
            "job_id": job, "component_name": component, "role": "guest", "party_id": 9999}).json()
        score = rows["meta"]["header"][0].index("predict_score")
        scores[job] = {row[0]: row[score] for row in rows["data"][0]}
    assert scores[result["train_job"]] == scores[result["predict_job"]] and len(scores[result["train_job"]]) == 100


def test_pipeline_fits_reader_and_dataio(tmp_path):
    with pipeline_server(tmp_path):
        result = run_python(FIT, timeout=240)
    assert result["summary"]["features"] == 10
    assert result["output"]["meta"] == ["id", "y"] + [f"x{i}" for i in range(10)]
    assert result["output"]["data"][0] == "id,y," + ",".join(f"x{i}" for i in range(10))


def test_pipeline_fits_deploys_and_predicts_hetero_lr(tmp_path):
    with pipeline_server(tmp_path) as server:
        result = run_python(HETERO_LR, timeout=300)
        assert result["evaluation"]["hetero_lr_0"]["train"]["auc"] > 0.99, result["evaluation"]
        assert set(result["model"]["weight"]) == {f"x{i}" for i in range(10)}
        assert_predict_scores_equal_training(server, result, "hetero_lr_0")


def test_pipeline_fits_deploys_and_predicts_hetero_secureboost(tmp_path):
    """FATE-Pipeline's own HeteroSecureBoost component, unchanged: fit with evaluation, the trees in the rendered
    model, deploy, and a predict job whose scores equal the training output's."""
    with pipeline_server(tmp_path) as server:
        result = run_python(HETERO_SECUREBOOST, timeout=300)
        assert result["evaluation"]["hetero_secureboost_0"]["train"]["auc"] > 0.99, result["evaluation"]
        model = result["model"]
        assert model["tree_num"] == 3 and len(model["trees_"]) == 3 and model["classes_"] == ["0", "1"]
        assert {node["sitename"] for tree in model["trees_"] for node in tree["tree_"]} >= {"guest:9999", "host:10000"}
        assert_predict_scores_equal_training(server, result, "hetero_secureboost_0")
