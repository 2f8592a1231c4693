"""Which engine each party of a job computes on (`computing_engine`, FATE's `backend`), the Spark conf a job's
`spark_run` stands for, the `fate_on_spark` service conf, and the refusals (retcode 100, naming the field)."""
import json
from pathlib import Path

import pytest

from fate_flow.entity.dsl_errors import RuntimeConfError
from fate_flow.entity.engines import spark_conf
from fate_flow.components.registry import ComponentRegistry
from fate_flow.services.jobs.plan import party_parameters, plan_job
from fate_flow.settings import PROJECT_ROOT, SettingsError, settings_from_dict, spark_settings

EXAMPLES = PROJECT_ROOT / "examples"


def settings(tmp_path: Path, **raw):
    return settings_from_dict(raw, conf_path=tmp_path / "service_conf.yaml", home=tmp_path)


def engines(tmp_path: Path, job_parameters: dict, conf_settings=None) -> dict:
    conf = json.loads((EXAMPLES / "hetero_lr_breast_conf.json").read_text())
    conf["job_parameters"] = job_parameters
    plan = plan_job(ComponentRegistry(), json.loads((EXAMPLES / "hetero_lr_simple_dsl.json").read_text()), conf)
    s = conf_settings or settings(tmp_path)
    return {(role, party): party_parameters(plan, s, role, party)["computing_engine"]
            for role, party in (("guest", 9999), ("host", 10000), ("arbiter", 10000))}


def test_backend_1_and_computing_engine_choose_spark_per_party(tmp_path):
    standalone = {("guest", 9999): "STANDALONE", ("host", 10000): "STANDALONE", ("arbiter", 10000): "STANDALONE"}
    spark = {k: "SPARK" for k in standalone}
    assert engines(tmp_path, {"common": {"work_mode": 0, "backend": 0}}) == standalone
    assert engines(tmp_path, {"common": {"work_mode": 0, "backend": 1}}) == spark
    assert engines(tmp_path, {"common": {"work_mode": 0, "backend": 2}}) == spark
    assert engines(tmp_path, {"common": {"work_mode": 0, "computing_engine": "spark"}}) == spark
    # computing_engine wins over backend; a role section picks its own engine
    assert engines(tmp_path, {"common": {"work_mode": 0, "backend": 1, "computing_engine": "STANDALONE"}}) == standalone
    mixed = engines(tmp_path, {"common": {"work_mode": 0},
                               "role": {"guest": {"0": {"computing_engine": "SPARK"}}}})
    assert mixed == {**standalone, ("guest", 9999): "SPARK"}
    v1 = json.loads((EXAMPLES / "test_hetero_lr_job_conf_v1.json").read_text())
    v1["job_parameters"]["backend"] = 1
    plan = plan_job(ComponentRegistry(), json.loads((EXAMPLES / "test_hetero_lr_job_dsl_v1.json").read_text()), v1)
    params = party_parameters(plan, settings(tmp_path), "host", 10000)
    assert params["computing_engine"] == params["storage_engine"] == "SPARK" and params["spark_run"] == {}


@pytest.mark.parametrize("job_parameters, message", [
    ({"computing_engine": "EGGROLL"}, "job_parameters.computing_engine 'EGGROLL' for guest 9999 is not supported"),
    ({"backend": "spark"}, "job_parameters.backend for guest 9999 must be 0"),
    ({"backend": 3}, "job_parameters.backend for guest 9999 must be 0"),
    ({"backend": 1, "spark_run": ["num-executors"]}, "job_parameters.spark_run for guest 9999 must be an object"),
    ({"backend": 1, "spark_run": {"executor_memory": "2g"}}, "job_parameters.spark_run.executor_memory for "
                                                              "guest 9999 is not a spark_run key"),
    ({"backend": 1, "spark_run": {"master": ""}}, "job_parameters.spark_run.master for guest 9999"),
    ({"backend": 1, "spark_run": {"conf": {"spark.executor.memory": None}}},
     "job_parameters.spark_run.conf.spark.executor.memory for guest 9999 must be a string or a number"),
])
def test_bad_engine_parameters_name_the_field(tmp_path, job_parameters, message):
    with pytest.raises(RuntimeConfError) as e:
        engines(tmp_path, {"common": {"work_mode": 0, **job_parameters}})
    assert message in e.value.message and e.value.retcode == 100


def test_spark_run_becomes_spark_conf():
    master, conf = spark_conf({"master": "spark://10.0.0.5:7077", "num-executors": 2, "executor-cores": 4,
                               "executor-memory": "4g", "total-executor-cores": 8, "driver-memory": "1g",
                               "deploy-mode": "client", "spark.sql.shuffle.partitions": 16,
                               "conf": {"spark.dynamicAllocation.enabled": False}}, "guest 9999")
    assert master == "spark://10.0.0.5:7077"
    assert conf == {"spark.executor.instances": "2", "spark.executor.cores": "4", "spark.executor.memory": "4g",
                    "spark.cores.max": "8", "spark.driver.memory": "1g", "spark.sql.shuffle.partitions": "16",
                    "spark.dynamicAllocation.enabled": "false"}
    assert spark_conf({}, "guest 9999") == (None, {})


def test_a_party_without_java_refuses_spark_naming_the_party(tmp_path):
    no_java = settings(tmp_path, fate_on_spark={"java_home": str(tmp_path / "no-jdk")})
    with pytest.raises(RuntimeConfError) as e:
        engines(tmp_path, {"common": {"work_mode": 0}, "role": {"host": {"0": {"backend": 1}}}}, no_java)
    assert e.value.message == (f"job_parameters.computing_engine SPARK for host 10000: this party cannot run Spark "
                               f"tasks (fate_on_spark.java_home {tmp_path / 'no-jdk'} has no bin/java)")
    # parties on STANDALONE never need Java
    assert engines(tmp_path, {"common": {"work_mode": 0}}, no_java)[("host", 10000)] == "STANDALONE"


def test_fate_on_spark_service_conf(tmp_path):
    default = spark_settings(settings(tmp_path))
    assert (default.master, default.home, dict(default.conf)) == ("local[2]", "", {})
    assert default.storage_root == str(tmp_path / "data" / "spark")
    cluster = spark_settings(settings(tmp_path, fate_on_spark={
        "spark": {"master": "spark://10.0.0.5:7077", "home": "/opt/spark", "conf": {"spark.executor.memory": "2g"}},
        "storage_root": "hdfs://namenode:8020/fate"}))
    assert (cluster.master, cluster.home, cluster.storage_root) == ("spark://10.0.0.5:7077", "/opt/spark",
                                                                    "hdfs://namenode:8020/fate")
    assert dict(cluster.conf) == {"spark.executor.memory": "2g"}
    with pytest.raises(SettingsError, match="fate_on_spark.spark.conf may hold spark.\\* keys only"):
        spark_settings(settings(tmp_path, fate_on_spark={"spark": {"conf": {"executor-memory": "2g"}}}))
