"""Table meta: (namespace, name) -> engine, address, schema, count, sample rows (contract §6.1)."""
from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from typing import Any

from fate_flow.computing.storage.standalone import ENGINE as STANDALONE
from fate_flow.db.models import StorageTableMeta
from fate_flow.entity.engines import SPARK
from fate_flow.entity.errors import NotFoundError

LOG = logging.getLogger(__name__)

# options flag of tables registered from outside (table/add): their data belongs to its owner
EXTERNAL = "external"
# address keys never shown to clients or written to logs
SECRET_ADDRESS_KEYS = ("passwd", "password")


@dataclass
class TableMeta:
    namespace: str
    name: str
    engine: str
    address: dict
    partitions: int | None
    schema: dict = field(default_factory=dict)
    count: int | None = None
    part_of_data: list = field(default_factory=list)
    id_delimiter: str = ","
    have_head: bool = True
    in_serialized: bool = True
    storage_type: str = ""
    options: dict = field(default_factory=dict)
    description: str = ""
    create_time: int | None = None

    @classmethod
    def from_row(cls, row: StorageTableMeta) -> "TableMeta":
        return cls(namespace=row.f_namespace, name=row.f_name, engine=row.f_engine, address=row.f_address,
                   partitions=row.f_partitions, schema=row.f_schema, count=row.f_count,
                   part_of_data=row.f_part_of_data, id_delimiter=row.f_id_delimiter or ",",
                   have_head=row.f_have_head, in_serialized=row.f_in_serialized, storage_type=row.f_type,
                   options=row.f_options, description=row.f_description or "", create_time=row.f_create_time)

    def row_values(self) -> dict[str, Any]:
        return dict(f_namespace=self.namespace, f_name=self.name, f_engine=self.engine, f_address=self.address,
                    f_partitions=self.partitions, f_schema=self.schema, f_count=self.count,
                    f_part_of_data=self.part_of_data, f_id_delimiter=self.id_delimiter, f_have_head=self.have_head,
                    f_in_serialized=self.in_serialized, f_type=self.storage_type, f_options=self.options,
                    f_description=self.description)

    def public_address(self) -> dict:
        return {k: ("***" if k in SECRET_ADDRESS_KEYS else v) for k, v in self.address.items()}


def get_meta(namespace: str, name: str) -> TableMeta | None:
    row = StorageTableMeta.get_or_none(StorageTableMeta.f_namespace == namespace, StorageTableMeta.f_name == name)
    return None if row is None else TableMeta.from_row(row)


def require_meta(namespace: str, name: str) -> TableMeta:
    meta = get_meta(namespace, name)
    if meta is None:
        raise NotFoundError(f"table {namespace}.{name} does not exist (namespace {namespace!r}, table_name {name!r})")
    return meta


def destroy_owned_data(meta: TableMeta) -> None:
    """Remove the data of a table this server wrote; data registered from outside is left alone."""
    if meta.options.get(EXTERNAL):
        return
    path = str(meta.address.get("path") or "")
    if meta.engine == STANDALONE and path:
        shutil.rmtree(path, ignore_errors=True)
    elif meta.engine == SPARK and path:
        local = path[len("file://"):] if path.startswith("file://") else path
        if "://" in local:  # HDFS, S3...: only a Spark session reaches it, and the server runs none
            LOG.warning("table %s.%s: its Parquet data at %s is left in place (remove it with your storage's "
                        "tools)", meta.namespace, meta.name, path)
        else:
            shutil.rmtree(local, ignore_errors=True)


def insert_meta(meta: TableMeta) -> None:
    """Insert the meta row; call inside a write transaction together with whatever it replaces."""
    StorageTableMeta.insert(**meta.row_values(), **StorageTableMeta.audit_values()).execute()


def delete_meta(namespace: str, name: str) -> int:
    return StorageTableMeta.delete().where(StorageTableMeta.f_namespace == namespace,
                                           StorageTableMeta.f_name == name).execute()


def table_info(namespace: str, name: str) -> dict:
    meta = get_meta(namespace, name)
    if meta is None:
        return {"table_name": name, "namespace": namespace, "exist": 0, "count": 0, "partition": None,
                "schema": None}
    return {"table_name": name, "namespace": namespace, "exist": 1, "count": meta.count or 0,
            "partition": meta.partitions, "schema": meta.schema, "engine": meta.engine,
            "storage_type": meta.storage_type, "address": meta.public_address(), "id_delimiter": meta.id_delimiter,
            "have_head": meta.have_head, "create_time": meta.create_time}
