"""Computing engines a job may run on and the Spark settings a job gives in `spark_run` (contract §3.6).
Pure: the server checks them at submit, the worker turns them into a Spark conf."""
from typing import Any, Mapping

from fate_flow.entity.dsl_errors import RuntimeConfError

STANDALONE = "STANDALONE"
SPARK = "SPARK"
COMPUTING_ENGINES = (STANDALONE, SPARK)
# FATE's `backend`: 0 EGGROLL, 1 SPARK + RabbitMQ, 2 SPARK + Pulsar. Federation here is always fate_flow's own
# gRPC data plane, so 1 and 2 both mean "compute on Spark"; 0 means the server's default engine.
SPARK_BACKENDS = (1, 2)
# spark-submit options a job may give in `spark_run`, as the Spark conf keys they stand for
SPARK_SUBMIT_OPTIONS = {
    "num-executors": "spark.executor.instances",
    "executor-cores": "spark.executor.cores",
    "executor-memory": "spark.executor.memory",
    "total-executor-cores": "spark.cores.max",
    "driver-memory": "spark.driver.memory",
    "driver-cores": "spark.driver.cores",
    "queue": "spark.yarn.queue",
}
# spark_run keys that are not Spark conf: the master URL, FATE's deploy mode (client only) and `conf: {...}`
SPARK_RUN_KEYS = ("master", "deploy-mode", "conf")


def spark_conf(spark_run: Any, where: str) -> tuple[str | None, dict[str, str]]:
    """(master or None, Spark conf) from a job's `spark_run`: spark-submit options (`num-executors`,
    `executor-cores`, `executor-memory`, ...) become their conf keys, `conf: {...}` and top-level `spark.*`
    keys are taken as they are. Raises RuntimeConfError naming the bad `spark_run` key."""
    if spark_run in (None, ""):
        return None, {}
    if not isinstance(spark_run, Mapping):
        raise RuntimeConfError(f"job_parameters.spark_run for {where} must be an object", field="spark_run")
    conf: dict[str, str] = {}
    for key, value in spark_run.items():
        field = f"job_parameters.spark_run.{key}"
        if key in SPARK_SUBMIT_OPTIONS:
            conf[SPARK_SUBMIT_OPTIONS[key]] = _conf_value(value, field, where)
        elif str(key).startswith("spark."):
            conf[str(key)] = _conf_value(value, field, where)
        elif key == "conf":
            if not isinstance(value, Mapping):
                raise RuntimeConfError(f"{field} for {where} must be an object of spark.* keys", field=field)
            for sub, sub_value in value.items():
                conf[str(sub)] = _conf_value(sub_value, f"{field}.{sub}", where)
        elif key == "deploy-mode":
            if value != "client":
                raise RuntimeConfError(f"{field} for {where} must be client (the driver runs in the task), got "
                                       f"{value!r}", field=field)
        elif key != "master":
            known = ", ".join([*SPARK_SUBMIT_OPTIONS, *SPARK_RUN_KEYS, "spark.*"])
            raise RuntimeConfError(f"{field} for {where} is not a spark_run key; use one of {known}", field=field)
    master = spark_run.get("master")
    if master is not None and (not isinstance(master, str) or not master.strip()):
        raise RuntimeConfError(f"job_parameters.spark_run.master for {where} must be a Spark master URL "
                               f"(local[2], spark://host:7077, yarn...), got {master!r}",
                               field="job_parameters.spark_run.master")
    return (master.strip() if master else None), conf


def _conf_value(value: Any, field: str, where: str) -> str:
    if isinstance(value, (Mapping, list)) or value is None:
        raise RuntimeConfError(f"{field} for {where} must be a string or a number, got {value!r}", field=field)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
