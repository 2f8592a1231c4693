"""/v1/model (contract §1.5): deploy, query, get/predict/dsl, get/predict/conf; store, restore, export, import,
migrate; homo/convert, homo/deploy; the model tags (tag/create|retrieve|update|destroy|list|<other>,
model_tag/create|remove|retrieve|<other>); transfer (FATE-Serving's download); load, bind, unload, unbind."""
from __future__ import annotations

import json

from flask import Blueprint, Response, request

from fate_flow.apps.context import runtime
from fate_flow.apps.envelope import json_result
from fate_flow.apps.file_response import attachment, file_endpoint
from fate_flow.apps.request_body import (checked_form, get_id, get_limit, get_party_id, get_plain_filename, get_str,
                                         get_text, json_body, require)
from fate_flow.entity import api_paths, audit, identifiers
from fate_flow.entity.deploy_keys import CLIENT_FILE_KEYS, DEPLOY_REQUEST_KEYS
from fate_flow.entity.errors import FateFlowError, ParameterError
from fate_flow.entity.flags import parse_flag
from fate_flow.entity.retcode import RetCode
from fate_flow.services.models import (archive as model_archive, deploy as model_deploy, homo as model_homo,
                                       migrate as model_migrate, queries as model_queries, publish as model_serving,
                                       store as model_store, tags as model_tags, transfer as model_transfer)
from fate_flow.services.models.package import PartyModelRef
from fate_flow.services.models.serving_client import ServingNotConfiguredError, checked_servings, requested_servings

bp = Blueprint("model", __name__)


def _route(endpoint: api_paths.Endpoint):
    return bp.route(endpoint.path, methods=endpoint.methods)


@_route(api_paths.MODEL_DEPLOY)
def deploy():
    body = json_body()
    require(body, "model_id", "model_version")
    _refuse_unknown_deploy_keys(body)
    deploy_request = model_deploy.DeployRequest(
        model_id=_model_id(body), model_version=_model_version(body),
        predict_dsl=body.get("predict_dsl") or body.get("dsl"), cpn_list=body.get("cpn_list"))
    return json_result(data=model_deploy.deploy(runtime(), deploy_request, request.remote_addr or ""))


def _refuse_unknown_deploy_keys(body: dict) -> None:
    """A deploy key we do not know would be silently ignored and deploy something else than asked: refused."""
    unknown = sorted(set(body) - set(DEPLOY_REQUEST_KEYS))
    client_files = [k for k in unknown if k in CLIENT_FILE_KEYS]
    if client_files:
        raise ParameterError(f"parameters {', '.join(client_files)} name files on the client: send their content "
                             f"as {', '.join(CLIENT_FILE_KEYS[k] for k in client_files)} (the legacy "
                             f"CLI's -f deploy and `flow model deploy` read them for you)",
                             retcode=RetCode.PARAMETER_ERROR)
    if unknown:
        raise ParameterError(f"unknown deploy parameters: {', '.join(unknown)}; /v1/model/deploy takes "
                             f"{', '.join(DEPLOY_REQUEST_KEYS)}", retcode=RetCode.PARAMETER_ERROR)


@_route(api_paths.MODEL_QUERY)
def query():
    body = json_body()
    retmsg, rows = model_queries.query_model_info(
        runtime().settings, _model_version(body), model_id=_model_id(body, default=None),
        role=_role(body, default=None), party_id=get_party_id(body, default=None),
        query_filters=body.get("query_filters"))
    return json_result(retmsg=retmsg, data=rows)


@_route(api_paths.MODEL_GET_PREDICT_DSL)
def get_predict_dsl() -> Response:
    body = json_body()
    # model_id is optional (seed 000): the first local model of that version, as FATE looks it up
    require(body, "model_version")
    return _predict_dsl_answer(body)


@file_endpoint
def _predict_dsl_answer(body: dict) -> Response:
    dsl = model_queries.predict_dsl(runtime().settings, _model_id(body, default=None), _model_version(body),
                                    role=_role(body, default=None), party_id=get_party_id(body, default=None))
    return _json_or_file(dsl, get_plain_filename(body))


@_route(api_paths.MODEL_GET_PREDICT_CONF)
def get_predict_conf() -> Response:
    body = json_body()
    require(body, "model_id", "model_version")
    return _predict_conf_answer(body)


@file_endpoint
def _predict_conf_answer(body: dict) -> Response:
    conf = model_queries.predict_conf(runtime().settings, _model_id(body), _model_version(body))
    return _json_or_file(conf, get_plain_filename(body))


def _json_or_file(data: dict, filename: str | None) -> Response:
    """`data` in the envelope, or as a JSON file download when the caller names one."""
    if filename is None:
        return json_result(data=data)
    return attachment([json.dumps(data, indent=4).encode()], filename, "application/json")


@_route(api_paths.MODEL_STORE)
def store():
    """Store one party's model version in the configured model store (§1.5.6); synchronous, not a job."""
    body = json_body()
    data = model_store.store_model(runtime().settings, _party_model_ref(body), force_update=parse_flag(body.get("force_update", False), "force_update"),
                                   request_ip=request.remote_addr or "")
    return json_result(data=data)


@_route(api_paths.MODEL_RESTORE)
def restore():
    """Restore one party's model version from the configured model store (§1.5.6); synchronous, not a job."""
    body = json_body()
    data = model_store.restore_model(runtime().settings, _party_model_ref(body), request_ip=request.remote_addr or "")
    return json_result(data=data)


def _party_model_ref(body: dict, also_missing: tuple[str, ...] = ()) -> PartyModelRef:
    require(body, "model_id", "model_version", "role", "party_id", also=also_missing)
    return PartyModelRef(model_id=_model_id(body), model_version=_model_version(body), role=_role(body),
                         party_id=get_party_id(body))


def _model_id(body: dict, **default) -> str:
    return get_id(body, "model_id", identifiers.MODEL_ID, **default)


def _model_version(body: dict, **default) -> str:
    return get_id(body, "model_version", identifiers.MODEL_VERSION, **default)


def _role(body: dict, **default) -> str:
    return get_id(body, "role", identifiers.ROLE, **default)


@_route(api_paths.MODEL_MIGRATE)
def migrate():
    """Re-key a model to new party ids; one importable zip per executing party this server hosts (§1.5.7)."""
    body = json_body()
    migrate_request = model_migrate.parse_request(body)
    job_id = runtime().job_ids.next_id()
    data = model_migrate.migrate(runtime().settings, migrate_request, job_id, request.remote_addr or "")
    return json_result(data=data, job_id=job_id)


@_route(api_paths.MODEL_HOMO_CONVERT)
def homo_convert():
    """Convert a party's HomoLR model(s) to scikit-learn, saved with joblib beside the buffers (FATE-Flow 1.7)."""
    body = json_body()
    ref = _party_model_ref(body)
    detail = model_homo.convert(runtime().settings, ref, get_str(body, "framework_name", default=None))
    return json_result(retmsg=f"Conversion of homogeneous federated learning component(s) in model "
                              f"{ref.party_model_id} {ref.model_version} completed. Use export or homo/deploy "
                              f"to download or deploy the converted model.", data=detail)


@_route(api_paths.MODEL_HOMO_DEPLOY)
def homo_deploy():
    """Serve a converted HomoLR component as a KServe InferenceService (FATE-Flow 1.7)."""
    body = json_body()
    require(body, "service_id", "model_id", "model_version", "role", "party_id", "component_name", "deployment_type")
    deploy_request = model_homo.parse_deploy_request(
        _party_model_ref(body), get_id(body, "component_name", identifiers.COMPONENT_NAME),
        get_str(body, "service_id"),
        get_str(body, "deployment_type"), body.get("deployment_parameters"),
        get_str(body, "framework_name", default=None))
    data = model_homo.deploy(runtime().settings, deploy_request)
    return json_result(retmsg=model_homo.started_message(data), data=data)


# ---------------------------------------------------------------------------------------------- export / import
@_route(api_paths.MODEL_EXPORT)
def export_model():
    """One party's model version as a zip download (§1.5.4); a refusal is an HTTP 210 answer."""
    ref = _party_model_ref(json_body())
    return _export_answer(ref)


@file_endpoint
def _export_answer(ref: PartyModelRef) -> Response:
    path = model_archive.export_model(runtime().settings, ref, request.remote_addr or "")
    return attachment(model_archive.file_chunks(path), path.name, "application/zip")


@_route(api_paths.MODEL_IMPORT)
def import_model():
    """multipart/form-data: form fields model_id, model_version, role, party_id and the export zip as part
    `file` (§1.5.5)."""
    request.max_content_length = model_archive.MAX_IMPORT_BYTES  # before the body is read
    if request.mimetype != "multipart/form-data":
        raise ParameterError("send the model zip as the multipart/form-data part 'file', with the form fields "
                             "model_id, model_version, role and party_id")
    part = request.files.get("file")
    ref = _party_model_ref(checked_form(request.form.to_dict()), also_missing=() if part is not None else ("file",))
    part.stream.seek(0)
    model_archive.import_model(runtime().settings, ref, part.stream, request.remote_addr or "")
    return json_result()


# ---------------------------------------------------------------------------------------------- tags (§1.5.12)
def _tag_answer(result: model_tags.TagResult) -> Response:
    return json_result(retmsg=result.retmsg, data=result.data)


@_route(api_paths.MODEL_TAG_CREATE)
def tag_create():
    body = json_body()
    return _tag_answer(model_tags.create_tag(get_str(body, "tag_name", default=None),
                                             get_text(body, "tag_desc", default=None)))


@_route(api_paths.MODEL_TAG_RETRIEVE)
def tag_retrieve():
    body = json_body()
    return _tag_answer(model_tags.retrieve_tags(get_str(body, "tag_name"), with_model=parse_flag(body.get("with_model", False), "with_model")))


@_route(api_paths.MODEL_TAG_UPDATE)
def tag_update():
    body = json_body()
    return _tag_answer(model_tags.update_tag(get_str(body, "tag_name"), get_str(body, "new_tag_name", default=None),
                                             get_text(body, "new_tag_desc", default=None)))


@_route(api_paths.MODEL_TAG_DESTROY)
def tag_destroy():
    return _tag_answer(model_tags.destroy_tag(get_str(json_body(), "tag_name")))


@_route(api_paths.MODEL_TAG_LIST)
def tag_list():
    return _tag_answer(model_tags.list_tags(get_limit(json_body())))


@_route(api_paths.MODEL_TAG_OTHER)
def tag_other(operation: str):
    raise FateFlowError(f"The {operation} operation is not currently supported.")


@_route(api_paths.MODEL_MODEL_TAG_CREATE)
def model_tag_create():
    body = json_body()
    require(body, "job_id", "tag_name")
    return _tag_answer(model_tags.tag_model(_tag_job_id(body), get_str(body, "tag_name")))


@_route(api_paths.MODEL_MODEL_TAG_REMOVE)
def model_tag_remove():
    body = json_body()
    require(body, "job_id", "tag_name")
    return _tag_answer(model_tags.untag_model(_tag_job_id(body), get_str(body, "tag_name")))


@_route(api_paths.MODEL_MODEL_TAG_RETRIEVE)
def model_tag_retrieve():
    return _tag_answer(model_tags.model_tags(_tag_job_id(json_body())))


def _tag_job_id(body: dict) -> str:
    """Model tags name a model by its version, as the `job_id` field (FATE's tag API)."""
    return get_id(body, "job_id", identifiers.JOB_ID)


@_route(api_paths.MODEL_MODEL_TAG_OTHER)
def model_tag_other(operation: str):
    raise FateFlowError(f"'{operation}' is not currently supported.")


# ---------------------------------------------------------------------------------------------- FATE-Serving
@_route(api_paths.MODEL_TRANSFER)
def transfer():
    """The model buffers FATE-Serving downloads (§1.5.3): namespace = party model id, name = model version."""
    body = json_body()
    require(body, "namespace", "name")
    return json_result(data=model_transfer.transfer(runtime().settings, get_str(body, "namespace"),
                                                    get_id(body, "name", identifiers.MODEL_VERSION)))


@_route(api_paths.MODEL_LOAD)
def load():
    """Publish a deployed model to every non-arbiter party's servings (§1.5.1); form A or form B (job_id)."""
    body = json_body()
    publish = model_serving.parse_publish_request(runtime().settings, body)
    servings = _servings(body)
    job_id = runtime().job_ids.next_id()
    return json_result(data=model_serving.load(runtime(), publish, job_id, servings), job_id=job_id)


@_route(api_paths.MODEL_BIND)
def bind():
    """Bind a service id to the initiator's model at the servings (§1.5.2); not federated."""
    body = json_body()
    publish = model_serving.parse_publish_request(runtime().settings, body)
    return json_result(retmsg=model_serving.bind(runtime().settings, publish, get_str(body, "service_id", default=None),
                                                 _servings(body), request.remote_addr or ""))


def _servings(body: dict) -> list[str]:
    """The request's `servings`, each one of this server's configured servings (else 101, audited: a client
    never makes this server connect to an address of its choosing)."""
    try:
        return checked_servings(runtime().settings, requested_servings(body.get("servings")))
    except ServingNotConfiguredError as e:
        audit.refused(client=request.remote_addr or "", route=request.path, reason=e.message)
        raise


def _served_model(body: dict) -> model_serving.ServedModel:
    ref = _party_model_ref(body)
    return model_serving.ServedModel(ref.model_id, ref.model_version, ref.role, ref.party_id)


@_route(api_paths.MODEL_UNLOAD)
def unload():
    """Ours: {model_id, model_version, role, party_id, [servings]} -> the serving's unload of that party model."""
    body = json_body()
    return json_result(retmsg=model_serving.unload(runtime().settings, _served_model(body), _servings(body),
                                                   request.remote_addr or ""))


@_route(api_paths.MODEL_UNBIND)
def unbind():
    """Ours: {model_id, model_version, role, party_id, service_id, [servings]} -> the serving's unbind."""
    body = json_body()
    return json_result(retmsg=model_serving.unbind(runtime().settings, _served_model(body),
                                                   get_str(body, "service_id", default=None), _servings(body),
                                                   request.remote_addr or ""))
