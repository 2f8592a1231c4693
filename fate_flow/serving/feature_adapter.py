"""The host feature adapter (FATE-Serving's name): a host's features for one sample id, looked up in the table
the serving conf names for that party (`serving.feature_tables`), else in the table the party's model was trained
on (recorded in the model's Pipeline, `train_input_table`), which the serving log then names.

The table is found through the flow server's /v1/table/table_info (its LMDB directory, partitions, header and
delimiter) and read in place, read-only; a table replaced since (re-uploaded with drop) is found again."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import lmdb

from fate_flow.client.http_client import FlowHttpClient, NotJSONResponseError, ServerUnreachableError
from fate_flow.computing.storage.standalone import ENGINE, StandaloneTable
from fate_flow.entity.errors import DataError, FateFlowError, NotFoundError
from fate_flow.entity.retcode import RetCode
from fate_flow.model.pipeline import json_field
from fate_flow.proto.pipeline_pb2 import Pipeline
from fate_flow.serde.codec import Codec
from fate_flow.serving.settings import FeatureTable

LOG = logging.getLogger("fate_flow.serving")


def trained_on(pipeline: Pipeline) -> FeatureTable | None:
    """The table a party's model was trained on, as its Pipeline records it (None for older models)."""
    table = json_field(pipeline, "train_input_table")
    if isinstance(table, dict) and table.get("namespace") and table.get("name"):
        return FeatureTable(str(table["namespace"]), str(table["name"]))
    return None


@dataclass(frozen=True)
class _Location:
    table: StandaloneTable
    header: list[str]
    delimiter: str


class TableFeatureAdapter:
    def __init__(self, tables: Mapping[str, FeatureTable], flow: FlowHttpClient):
        self.tables = dict(tables)
        self.flow = flow
        self.codec = Codec()
        self._lock = threading.Lock()
        self._locations: dict[tuple[str, FeatureTable], _Location] = {}

    def features(self, party_id: str, sample_id: Any, trained_on: FeatureTable | None = None) -> dict[str, str]:
        """{feature name: raw value} of `sample_id` in party_id's feature table: the configured one, else
        `trained_on` (the table the party's model was trained on)."""
        table = self.tables.get(party_id)
        if table is None:
            if trained_on is None:
                raise NotFoundError(f"party {party_id} has no feature table: set serving.feature_tables."
                                    f"\"{party_id}\" {{namespace, name}} in its service conf (its model records no "
                                    f"training table to look features up in)")
            table = trained_on
        key = self.codec.dumps(str(sample_id))
        location = self._location(party_id, table, refresh=False)
        try:
            raw = location.table.get(key)
        except (lmdb.Error, FileNotFoundError):
            location = self._location(party_id, table, refresh=True)  # replaced by a new upload since
            raw = location.table.get(key)
        if raw is None:
            raise DataError(f"party {party_id} has no row with id {sample_id!r} in its feature table {table}")
        cells = str(self.codec.loads(raw)).split(location.delimiter)
        if len(cells) != len(location.header):
            raise DataError(f"party {party_id}: row {sample_id!r} of {table} has {len(cells)} values, its header "
                            f"{len(location.header)} columns")
        return dict(zip(location.header, cells))

    def _location(self, party_id: str, table: FeatureTable, refresh: bool) -> _Location:
        with self._lock:
            location = self._locations.get((party_id, table))
            if location is not None and not refresh:
                return location
            location = self._find(party_id, table)
            self._locations[(party_id, table)] = location
            return location

    def _find(self, party_id: str, table: FeatureTable) -> _Location:
        try:
            answer = self.flow.table_info({"namespace": table.namespace, "table_name": table.name})
        except (ServerUnreachableError, NotJSONResponseError) as e:
            raise FateFlowError(f"party {party_id} cannot find its feature table {table}: {e}",
                                retcode=RetCode.CONNECTION_ERROR) from None
        info = answer.get("data") or {}
        if answer.get("retcode") != 0 or not info.get("exist"):
            source = "serving.feature_tables" if party_id in self.tables else "the table its model was trained on"
            raise NotFoundError(f"party {party_id}: feature table {table} ({source}) does not exist at the fate_flow "
                                f"server {self.flow.address}: {answer.get('retmsg') or 'no such table'}")
        if str(info.get("engine", ENGINE)).upper() != ENGINE or not (info.get("address") or {}).get("path"):
            raise DataError(f"party {party_id}: feature table {table} is stored in {info.get('engine')}; the serving "
                            f"reads {ENGINE} tables only")
        delimiter = info.get("id_delimiter") or ","
        header = (info.get("schema") or {}).get("header") or ""
        names = header.split(delimiter) if isinstance(header, str) else list(header)
        if party_id in self.tables:
            LOG.info("party %s looks host features up in %s (%s columns; serving.feature_tables)", party_id, table,
                     len(names))
        else:
            LOG.info("party %s has no serving.feature_tables entry: it looks host features up in %s, the table its "
                     "model was trained on (%s columns)", party_id, table, len(names))
        return _Location(StandaloneTable(Path(info["address"]["path"]), int(info.get("partition") or 1)),
                         names, delimiter)
