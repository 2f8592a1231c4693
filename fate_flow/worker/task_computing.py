"""The computing engine of one task: a standalone session, or a Spark session started in the task's own
process (never in the fork server, which must stay free of threads and JVMs: fate_flow.computing.spark
imports pyspark inside its functions only), chosen by the party's `computing_engine` job parameter.

Tables of the task's engine are opened in place; tables of the other engine (a STANDALONE upload read by a
Spark job, or the reverse) are copied into the task's engine. Output tables are kept in the
task's engine: LMDB under the storage root, or Parquet under `fate_on_spark.storage_root`.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Callable

from fate_flow.computing.spark import SparkComputingSession
from fate_flow.computing.spark_driver import start_spark
from fate_flow.computing.standalone import StandaloneSession
from fate_flow.computing.storage.standalone import ENGINE as STANDALONE
from fate_flow.computing.storage.standalone import STORAGE_TYPE, StandaloneStore
from fate_flow.computing.table import ComputingSession, Table
from fate_flow.entity.engines import COMPUTING_ENGINES, SPARK, spark_conf
from fate_flow.entity.errors import FateFlowError
from fate_flow.entity.home_paths import home_path
from fate_flow.entity.task_spec import TableRef, TaskSpec
from fate_flow.settings import Settings, SparkSettings, spark_settings
from fate_flow.worker.launcher import SESSIONS_DIR, session_id


class TaskComputing:
    """One task's computing session, how to open its input tables and how to keep its output tables."""

    def __init__(self, engine: str, session: ComputingSession, keep: Callable[[Table, str, str], dict],
                 load: Callable[[dict, int], Table], convert: Callable[[TableRef], Table]):
        self.engine = engine
        self.session = session
        self._keep = keep
        self._load = load
        self._convert = convert

    def load(self, ref: TableRef) -> Table:
        """A stored table as a table of this task's engine (copied over when stored in the other engine)."""
        if ref.engine == self.engine:
            return self._load(ref.address, ref.partitions)
        if ref.engine not in COMPUTING_ENGINES:
            raise FateFlowError(f"table {ref.namespace}.{ref.name} is stored in {ref.engine}; a {self.engine} "
                                f"task opens {' and '.join(COMPUTING_ENGINES)} tables only")
        return self._convert(ref)

    def keep(self, table: Table, namespace: str, name: str) -> dict:
        """Keep an output table after the task; its address for the table meta."""
        return self._keep(table, namespace, name)

    def stop(self) -> None:
        """Destroy the tables the task made and did not keep; a Spark task's Spark (and JVM) stops here."""
        self.session.stop()


def open_task_computing(spec: TaskSpec, settings: Settings, log: logging.Logger) -> TaskComputing:
    engine = str(spec.job_parameters.get("computing_engine") or settings.storage.engine).upper()
    if engine == SPARK:
        return _spark_computing(spec, settings, log)
    if engine != STANDALONE:
        raise FateFlowError(f"job_parameters.computing_engine {engine} of {spec.role} {spec.party_id} is not "
                            f"supported by this worker; use {' or '.join(COMPUTING_ENGINES)}")
    store = StandaloneStore(home_path(settings.storage.root, SESSIONS_DIR,
                                      session_id(spec.task_id, spec.task_version, spec.role, spec.party_id)))
    session = StandaloneSession(store)

    def keep(table: Table, namespace: str, name: str) -> dict:
        return {**session.keep(table), "namespace": namespace, "name": name, "storage_type": STORAGE_TYPE}

    def convert(ref: TableRef) -> Table:
        """A Spark table read with a Spark session of its own (it may be on HDFS or S3, which only Spark
        reads here), stopped again once the rows are copied."""
        log.info("copying table %s.%s from SPARK into STANDALONE", ref.namespace, ref.name)
        spark = spark_settings(settings)
        reader = SparkComputingSession(start_spark_session(spark, spark.master, f"{spec.task_id}_read",
                                                           dict(spark.conf)), spark.storage_root)
        try:
            return reader.to_standalone(reader.load(ref.address, ref.partitions), session)
        finally:
            reader.stop()

    return TaskComputing(STANDALONE, session, keep, session.load, convert)


def _spark_computing(spec: TaskSpec, settings: Settings, log: logging.Logger) -> TaskComputing:
    spark = spark_settings(settings)
    master, job_conf = spark_conf(spec.job_parameters.get("spark_run"), f"{spec.role} {spec.party_id}")
    master = master or spark.master
    conf = {**spark.conf, **job_conf}
    log.info("starting Spark for %s: master %s, conf %s, tables under %s", spec.task_id, master, conf,
             spark.storage_root)
    # SparkComputingSession.stop() stops this SparkSession and waits for its JVM to exit
    session = SparkComputingSession(start_spark_session(spark, master, spec.task_id, conf), spark.storage_root)

    def convert(ref: TableRef) -> Table:
        log.info("copying table %s.%s from STANDALONE into SPARK", ref.namespace, ref.name)
        stored = StandaloneStore(settings.storage.root).open(ref.address, ref.partitions)
        return session.from_encoded(stored.items(), ref.partitions, unique_keys=True)

    return TaskComputing(SPARK, session, session.keep, session.load, convert)


def start_spark_session(spark: SparkSettings, master: str, app_name: str, conf: dict[str, str]) -> Any:
    """A SparkSession for this process. pyspark starts the driver's JVM as a child of this process, so it is
    in the task's process group and a stop of the task kills it too."""
    if spark.java_home:
        os.environ["JAVA_HOME"] = spark.java_home
    if spark.home:
        os.environ["SPARK_HOME"] = spark.home
    try:
        return start_spark(master, app_name, conf)
    except ImportError as e:
        raise FateFlowError(f"this worker cannot run Spark tasks: {e} (pip install pyspark)") from e
    except Exception as e:  # pyspark raises plain exceptions when the JVM cannot start or the master is bad
        raise FateFlowError(f"cannot start Spark (master {master}): {type(e).__name__}: {e}") from e
