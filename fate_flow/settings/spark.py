"""Spark (fate_on_spark: section): how tasks of jobs whose computing engine is SPARK run."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from fate_flow.settings.conf_values import SettingsError, conf_section, path_value
from fate_flow.settings.sections import Settings


@dataclass(frozen=True)
class SparkSettings:
    """How tasks of jobs whose `computing_engine` is SPARK run.

    master: the Spark master when a job's `spark_run` names none (`local[N]`, `spark://host:7077`, `yarn`,
    `k8s://...`); home: SPARK_HOME of a Spark distribution (empty: the pip-installed pyspark); java_home:
    JAVA_HOME for the driver (empty: the environment's, else `java` on PATH); conf: `spark.*` settings for
    every Spark task (a job's `spark_run` overrides them); storage_root: where Spark tables are kept as
    Parquet, a local directory or a URI Spark can write (`hdfs://namenode:8020/fate`, `s3a://bucket/fate`).
    """

    master: str = "local[2]"
    home: str = ""
    java_home: str = ""
    conf: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    storage_root: str = ""


def spark_settings(settings: Settings) -> SparkSettings:
    """The `fate_on_spark` section, checked; defaults when the conf has none."""
    section = conf_section(settings.raw, "fate_on_spark")
    spark = section.get("spark") or {}
    if not isinstance(spark, Mapping):
        raise SettingsError("service conf key fate_on_spark.spark must be a mapping")
    conf = spark.get("conf") or {}
    if not isinstance(conf, Mapping):
        raise SettingsError("service conf key fate_on_spark.spark.conf must map spark.* keys to values")
    bad = [k for k in conf if not str(k).startswith("spark.")]
    if bad:
        raise SettingsError(f"service conf key fate_on_spark.spark.conf may hold spark.* keys only, got {bad[0]!r}")
    root = str(section.get("storage_root") or "").strip()
    if not root:
        root = str(settings.home / "data" / "spark")
    elif "://" not in root:
        root = str(path_value(root, settings.home / "data" / "spark"))
    master = str(spark.get("master") or "local[2]").strip()
    return SparkSettings(master=master, home=str(spark.get("home") or ""),
                         java_home=str(section.get("java_home") or ""), conf=MappingProxyType({str(k): str(v) for k, v in conf.items()}), storage_root=root)
