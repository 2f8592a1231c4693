"""The Spark driver of a task: whether one can start here, starting and stopping it (its JVM included), and
running a Spark job so that its failure reads as the failing task's Python error.

pyspark is imported inside functions only, so this module imports without it."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

_STOP_TIMEOUT = 30.0  # seconds to wait for the JVM to exit once asked to
_PYTHON_ERROR = "org.apache.spark.api.python.PythonException: "


class SparkJobError(RuntimeError):
    """A Spark job failed; the message is the Python traceback of the failing task when there was one (e.g.
    the exception a function passed to map_values raised), without the JVM's stack."""


def spark_unavailable_reason(java_home: str = "") -> str | None:
    """Why a Spark driver cannot start here (pyspark or a Java runtime missing), or None when it can.
    `java_home` (fate_on_spark.java_home) wins over $JAVA_HOME, which wins over java on PATH."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[spark]')"
    home = java_home or os.environ.get("JAVA_HOME", "")
    if home:
        if not (Path(home) / "bin" / "java").is_file():
            source = "fate_on_spark.java_home" if java_home else "JAVA_HOME"
            return f"{source} {home} has no bin/java"
        return None
    if shutil.which("java") is None:
        return "no Java runtime: java is not on PATH (bin/java.sh installs a headless JRE) and no java_home is set"
    return None


def start_spark(master: str = "local[2]", app_name: str = "fate_flow", conf: Mapping[str, str] | None = None) \
        -> "SparkSession":
    """A SparkSession on `master` (local[N], spark://..., yarn, k8s://...), its Python workers running this
    interpreter. `conf` entries override the defaults; in local mode the driver binds to 127.0.0.1 and the
    web UI is off unless conf says otherwise."""
    from pyspark.sql import SparkSession

    settings = {"spark.pyspark.python": sys.executable, "spark.pyspark.driver.python": sys.executable}
    if master.startswith("local"):
        settings.update({"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
                         "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"})
    settings.update(conf or {})
    # pyspark hands each Python function to the executors with PYSPARK_PYTHON as the interpreter to run it
    # (the spark.pyspark.python conf alone only reaches spark-submit); without it they run `python3` from
    # PATH, which need not have fate_flow's dependencies
    os.environ["PYSPARK_PYTHON"] = str(settings["spark.pyspark.python"])
    os.environ["PYSPARK_DRIVER_PYTHON"] = str(settings["spark.pyspark.driver.python"])
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, str(value))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def stop_spark(spark: "SparkSession") -> None:
    """Stop the SparkContext and the JVM pyspark launched for it, and wait (bounded) for the JVM to exit,
    so no java process outlives the session. A later start_spark launches a new JVM."""
    from pyspark import SparkContext

    spark.stop()
    gateway = SparkContext._gateway
    if gateway is None:
        return
    proc = getattr(gateway, "proc", None)  # None when the JVM was not launched by this process
    try:
        gateway.shutdown()
    finally:
        SparkContext._gateway = None
        SparkContext._jvm = None
        if proc is not None:
            if proc.stdin is not None:
                proc.stdin.close()  # the JVM exits when its stdin closes
            try:
                proc.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(_STOP_TIMEOUT)


def run_job(action: Callable[[], Any]) -> Any:
    """`action()`, a Spark job; its failure raised as a SparkJobError carrying the task's Python traceback."""
    from py4j.protocol import Py4JJavaError

    try:
        return action()
    except Py4JJavaError as e:
        text = str(e)
        start = text.find(_PYTHON_ERROR)
        if start < 0:
            raise SparkJobError(text.split("\n\tat ", 1)[0]) from None
        raise SparkJobError(text[start + len(_PYTHON_ERROR):].split("\n\tat ", 1)[0].rstrip()) from None
