"""Reading models: /v1/model/query (contract §1.5.8) and the predict DSL and predict-conf template of a model
(§1.5.10, §1.5.11, §3.9)."""
from __future__ import annotations

import datetime
from typing import Any, Iterable

from fate_flow.db.base import write_transaction
from fate_flow.db.models import MachineLearningModelInfo
from fate_flow.dsl.predict_job import predict_conf_template
from fate_flow.entity.errors import FateFlowError, InvalidParameterError, NotFoundError
from fate_flow.entity.identifiers import shown
from fate_flow.model.pipeline import json_field, pipeline_fields
from fate_flow.services.models.local import find_local_models
from fate_flow.services.models.record import pipeline_model_info
from fate_flow.settings import Settings

QUERY_DB_SUCCESS = "Query model info from db success."
QUERY_FILE_SUCCESS = "Query model info from local model success."
QUERY_FAILED = ("Query model info failed, cannot find model from db. Try use both model id and model version to "
                "query model info from local models")
NO_MODEL = "No model found, please check if arguments are specified correctly."
# /v1/model/query renders datetimes this way (its own encoder), not as HTTP dates
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def query_model_info(settings: Settings, model_version: str, model_id: str | None = None, role: str | None = None,
                     party_id: str | None = None, query_filters: Iterable[str] | None = None) -> tuple[str, list[dict]]:
    """(retmsg, rows). The database first; failing that the model directories on disk, whose models are then
    recorded in the database (as FATE does). Nothing anywhere -> retcode 100 with `data: []`."""
    columns = _columns(query_filters)
    M = MachineLearningModelInfo
    conditions = [M.f_model_version == model_version]
    for field, value in ((M.f_model_id, model_id), (M.f_role, role), (M.f_party_id, party_id)):
        if value not in (None, ""):
            conditions.append(field == str(value))
    rows = [_row(r.to_dict(), columns) for r in M.select().where(*conditions).order_by(M.f_create_time, M.f_role)]
    if rows:
        return QUERY_DB_SUCCESS, rows
    records = []
    for found in find_local_models(settings, model_version, model_id, role, party_id):
        pipeline = found.model.read_pipeline()
        _record_if_missing(pipeline_model_info(pipeline, found.role, found.party_id, found.model.size_kb()))
        records.append(_row({**pipeline_fields(pipeline), "f_role": found.role, "f_party_id": found.party_id},
                            columns))
    if records:
        return QUERY_FILE_SUCCESS, records
    raise FateFlowError(QUERY_FAILED, data=[])


def predict_dsl(settings: Settings, model_id: str, model_version: str, role: str | None = None,
                party_id: str | None = None) -> dict:
    """The stored inference DSL (with CodePath for that party's role) of the first matching local model."""
    found = find_local_models(settings, model_version, model_id, role, party_id)
    if not found:
        raise NotFoundError(NO_MODEL)
    return json_field(found[0].model.read_pipeline(), "inference_dsl")


def predict_conf(settings: Settings, model_id: str, model_version: str) -> dict:
    """A predict conf to fill in (input tables), from a guest's copy of the model."""
    found = find_local_models(settings, model_version, model_id, role="guest")
    if not found:
        raise NotFoundError(NO_MODEL)
    pipeline = found[0].model.read_pipeline()
    return predict_conf_template(json_field(pipeline, "inference_dsl"), json_field(pipeline, "train_runtime_conf"),
                                 model_id, model_version)


def _columns(query_filters: Iterable[str] | None) -> list[str] | None:
    if query_filters in (None, "", []):
        return None
    if not isinstance(query_filters, list) or not all(isinstance(f, str) for f in query_filters):
        raise InvalidParameterError("parameter query_filters must be a list of column names, e.g. "
                                    "[\"model_id\", \"role\"]", field="query_filters")
    fields = MachineLearningModelInfo._meta.fields
    unknown = [f if len(f) <= 60 else shown(f) for f in query_filters if f"f_{f}" not in fields]
    if unknown:
        raise InvalidParameterError(f"parameter query_filters: {', '.join(unknown[:10])} is not a column of "
                                    f"t_machine_learning_model_info (name it without f_)", field="query_filters")
    return [f"f_{f}" for f in query_filters]


def _row(values: dict[str, Any], columns: list[str] | None) -> dict:
    picked = values if columns is None else {k: values[k] for k in columns if k in values}
    return {k: v.strftime(DATE_FORMAT) if isinstance(v, datetime.datetime) else v for k, v in picked.items()}


def _record_if_missing(values: dict) -> None:
    M = MachineLearningModelInfo
    with write_transaction():
        M.insert(**values, **M.audit_values()).on_conflict_ignore().execute()
