"""Deleting tables and registering existing data as tables (/v1/table/add, /v1/table/bind).

Data this server wrote (uploads, component outputs) is destroyed with its table. Data registered from
outside (a file, a MySQL table) belongs to its owner: deleting such a table removes only the meta.
"""
from __future__ import annotations

from dataclasses import dataclass

import pymysql

from fate_flow.db.base import write_transaction
from fate_flow.db.models import TrackingOutputDataInfo
from fate_flow.entity.errors import AlreadyExistsError, FateFlowError, NotFoundError, ParameterError
from fate_flow.services.runtime import Runtime
from fate_flow.services.data import table_meta as tables
from fate_flow.services.data.table_meta import TableMeta
from fate_flow.services.files.file_access import FileAccess
from fate_flow.services.jobs.status_updates import job_exists

FILE_ENGINES = ("FILE", "PATH")
MYSQL = "MYSQL"
ADDABLE_ENGINES = (*FILE_ENGINES, MYSQL)
MYSQL_ADDRESS_KEYS = ("user", "passwd", "host", "port", "db", "name")

ADD_EXISTS_MSG = ("The data table already exists.If you still want to continue uploading, please add the parameter "
                  "-drop.1 means to add again after deleting the table")


@dataclass(frozen=True)
class Registration:
    engine: str
    address: dict
    namespace: str
    name: str
    head: bool
    id_delimiter: str
    partitions: int
    drop: bool
    id_name: str | None = None
    feature_names: str | None = None


def delete_table(namespace: str, name: str) -> dict:
    with write_transaction():
        meta = tables.get_meta(namespace, name)
        if meta is None:
            raise NotFoundError("no find table")
        tables.delete_meta(namespace, name)
    tables.destroy_owned_data(meta)
    return {"table_name": name, "namespace": namespace}


def delete_job_tables(job_id: str, role: str | None, party_id: str | None, component: str | None) -> list[dict]:
    """Delete the output tables recorded for a job (optionally one role/party/component)."""
    query = TrackingOutputDataInfo.select().where(TrackingOutputDataInfo.f_job_id == job_id)
    for column, value in ((TrackingOutputDataInfo.f_role, role), (TrackingOutputDataInfo.f_party_id, party_id),
                          (TrackingOutputDataInfo.f_component_name, component)):
        if value is not None:
            query = query.where(column == value)
    deleted = []
    for row in query:
        try:
            deleted.append(delete_table(row.f_table_namespace, row.f_table_name))
        except NotFoundError:
            continue
    if not deleted:
        raise NotFoundError("no find table")
    return deleted


def register(ctx: Runtime, reg: Registration) -> dict:
    if reg.engine not in ADDABLE_ENGINES:
        raise ParameterError(f"parameter engine: {reg.engine} cannot be added; use one of {', '.join(ADDABLE_ENGINES)}")
    if tables.get_meta(reg.namespace, reg.name) is not None and not reg.drop:
        raise AlreadyExistsError(ADD_EXISTS_MSG)
    if reg.engine in FILE_ENGINES:
        meta = _file_meta(ctx, reg)
    else:
        meta = _mysql_meta(reg)
    with write_transaction():
        old = tables.get_meta(reg.namespace, reg.name)
        if old is not None:
            if not reg.drop:
                raise AlreadyExistsError(ADD_EXISTS_MSG)
            tables.delete_meta(reg.namespace, reg.name)
        tables.insert_meta(meta)
    if old is not None:
        tables.destroy_owned_data(old)
    return {"table_name": reg.name, "namespace": reg.namespace}


def _schema(reg: Registration, id_name: str | None, features: list[str]) -> dict:
    header = reg.feature_names if reg.feature_names is not None else reg.id_delimiter.join(features)
    return {"header": header, "sid": reg.id_name or id_name or "id"}


def _file_meta(ctx: Runtime, reg: Registration) -> TableMeta:
    raw_path = reg.address.get("path")
    if not raw_path:
        raise ParameterError("parameter address.path is required for engine " + reg.engine)
    count, first = 0, None
    with FileAccess.from_settings(ctx.settings).reading(str(raw_path), "address.path") as checked:
        path = checked.path
        with open(checked.open_path, "r", encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    continue
                if first is None:
                    first = line.rstrip("\r\n")
                count += 1
    columns = first.split(reg.id_delimiter) if (first and reg.head) else []
    return TableMeta(namespace=reg.namespace, name=reg.name, engine=reg.engine, storage_type="CSV",
                     address={"path": str(path), "path_type": "file"}, partitions=reg.partitions,
                     schema=_schema(reg, columns[0] if columns else None, columns[1:]),
                     count=count - 1 if reg.head and count else count, id_delimiter=reg.id_delimiter,
                     have_head=reg.head, in_serialized=False, options={tables.EXTERNAL: True})


def _mysql_meta(reg: Registration) -> TableMeta:
    missing = [f"address.{k}" for k in MYSQL_ADDRESS_KEYS if reg.address.get(k) in (None, "")]
    if missing:
        raise ParameterError("required parameters are missing: " + ",".join(missing) + ";")
    a = reg.address
    try:
        port = int(a["port"])
    except (TypeError, ValueError):
        raise ParameterError(f"parameter address.port must be an integer, got {a['port']!r}") from None
    try:
        conn = pymysql.connect(host=str(a["host"]), port=port, user=str(a["user"]), password=str(a["passwd"]),
                               database=str(a["db"]), connect_timeout=5, read_timeout=30)
    except pymysql.MySQLError as e:
        raise FateFlowError(f"cannot open MySQL database {a['db']} at {a['host']}:{port} as user {a['user']}: "
                            f"{e.args[-1] if e.args else e}") from None
    try:
        with conn.cursor() as cur:
            table = "`" + str(a["name"]).replace("`", "``") + "`"
            try:
                cur.execute(f"SELECT COUNT(*) FROM {table}")
                count = cur.fetchone()[0]
                cur.execute(f"SELECT * FROM {table} LIMIT 0")
                columns = [d[0] for d in cur.description]
            except pymysql.MySQLError as e:
                raise FateFlowError(f"cannot read MySQL table {a['db']}.{a['name']}: "
                                    f"{e.args[-1] if e.args else e}") from None
    finally:
        conn.close()
    address = {k: a[k] for k in MYSQL_ADDRESS_KEYS}
    address["port"] = port
    return TableMeta(namespace=reg.namespace, name=reg.name, engine=MYSQL, storage_type="InnoDB", address=address,
                     partitions=reg.partitions, schema=_schema(reg, columns[0] if columns else None, columns[1:]),
                     count=count, id_delimiter=reg.id_delimiter, have_head=True, in_serialized=False,
                     options={tables.EXTERNAL: True})


def job_table_list(job_id: str, role: str, party_id: str) -> dict:
    """The tables a job read and wrote on this party, by component (contract §1.6.4)."""
    if not job_exists(job_id):
        raise NotFoundError("no find job")
    rows = TrackingOutputDataInfo.select().where(TrackingOutputDataInfo.f_job_id == job_id,
                                                 TrackingOutputDataInfo.f_role == role,
                                                 TrackingOutputDataInfo.f_party_id == party_id)
    listing: dict = {}
    for row in rows:
        entry = listing.setdefault(row.f_component_name, {"input": {}, "output": {}})
        entry["output"][row.f_data_name] = {"name": row.f_table_name, "namespace": row.f_table_namespace}
    return listing
