"""Reader (contract §6.5): copies the table named by its `table` parameter into a new table of the job, in
the task's computing engine, so later components work on data the job owns. A STANDALONE table read by a
SPARK task (or the reverse) is converted on the way; tables registered from a file or MySQL are read row by
row."""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice

from fate_flow.components.base import Component, ComponentContext, ComponentOutput
from fate_flow.components.params import ComponentParams
from fate_flow.computing.storage.raw_sources import file_rows, mysql_rows
from fate_flow.entity.engines import COMPUTING_ENGINES
from fate_flow.entity.errors import DataError, ParameterError
from fate_flow.entity.task_spec import TableRef

SAMPLE_ROWS = 100
SAMPLE_VALUES = 5


@dataclass
class ReaderParams(ComponentParams):
    table: dict = field(default_factory=dict)

    def check(self, where: str) -> None:
        missing = [k for k in ("name", "namespace") if not self.table.get(k)]
        if missing:
            raise ParameterError(f"{where}parameter table must name the table to read: table.{missing[0]} is missing")


class Reader(Component):
    module = "Reader"
    params_class = ReaderParams

    def run(self, ctx: ComponentContext, params: ReaderParams) -> ComponentOutput:
        source = _input_table(ctx)
        partitions = int(ctx.spec.job_parameters.get("computing_partitions") or source.partitions or 4)
        if source.engine in COMPUTING_ENGINES:
            # the worker opens a table of its own engine in place (copied here) and converts the other's
            table = ctx.load_table(source).map_values(lambda v: v)
        elif source.engine in ("FILE", "PATH"):
            table = ctx.computing.parallelize(file_rows(source.address["path"], source.id_delimiter,
                                                        source.have_head), partitions)
        elif source.engine == "MYSQL":
            table = ctx.computing.parallelize(mysql_rows(source.address, source.id_delimiter), partitions)
        else:
            raise DataError(f"Reader cannot read {source.namespace}.{source.name}: engine {source.engine} "
                            f"is not supported")
        count = table.count()
        schema = dict(source.schema)
        ctx.tracker.set_metric_meta("reader_namespace", "reader_name", {
            "name": "reader", "metric_type": "data_info", "table_name": source.name, "namespace": source.namespace,
            "table_info": _column_samples(table, schema, source.id_delimiter), "partitions": table.partitions,
            "storage_engine": source.engine, "count": count})
        ctx.log.info("read %s rows of %s.%s (%s)", count, source.namespace, source.name, source.engine)
        name = ctx.spec.output_data[0] if ctx.spec.output_data else "data"
        return ComponentOutput(data={name: table}, schemas={name: schema},
                               summary={"table": f"{source.namespace}.{source.name}", "count": count})


def _input_table(ctx: ComponentContext) -> TableRef:
    tables = [t for refs in ctx.spec.input_data.values() for t in refs]
    if not tables:
        table = ctx.spec.parameters.get("table") or {}
        raise DataError(f"table {table.get('namespace')}.{table.get('name')} was not found at "
                        f"{ctx.role} {ctx.party_id}")
    return tables[0]


def _column_samples(table, schema: dict, delimiter: str) -> dict[str, str]:
    """Up to 5 distinct values of each column among the first rows, as FATE-Board shows them."""
    header = schema.get("header") or ""
    columns = header.split(delimiter) if isinstance(header, str) else list(header)
    columns = [c for c in columns if c]
    seen: dict[str, list[str]] = {c: [] for c in columns}
    for _, value in islice(table.collect(), SAMPLE_ROWS):
        if not isinstance(value, str):
            break
        for column, cell in zip(columns, value.split(delimiter)):
            if cell not in seen[column] and len(seen[column]) < SAMPLE_VALUES:
                seen[column].append(cell)
    return {c: ",".join(v) for c, v in seen.items()}
