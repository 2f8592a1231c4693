"""The Spark fixture shared by the computing tests: one local[2] SparkSession per test module. It skips when
pyspark or java is missing, unless FATE_FLOW_REQUIRE_SPARK=1 (bin/test.sh, CI), where that is a failure."""
import os

import pytest

from fate_flow.computing.spark_driver import spark_unavailable_reason


def require_spark() -> None:
    reason = spark_unavailable_reason()
    if reason:
        if os.environ.get("FATE_FLOW_REQUIRE_SPARK") == "1":
            pytest.fail(f"FATE_FLOW_REQUIRE_SPARK=1 but the Spark engine cannot run: {reason}")
        pytest.skip(f"Spark engine unavailable: {reason}")


@pytest.fixture(scope="module")
def spark():
    require_spark()
    from fate_flow.computing.spark_driver import start_spark, stop_spark
    s = start_spark("local[2]", "fate_flow_tests", {"spark.default.parallelism": "2"})
    yield s
    stop_spark(s)
