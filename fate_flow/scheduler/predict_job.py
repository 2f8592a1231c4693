"""Predict jobs (contract §3.9): the submitted conf names a model; the job runs that model's inference DSL
with the training conf deep-merged under the predict conf. Loading the model (its pipeline, training conf,
inference DSL and `parent` flag) is the model service's work; this module only combines what it loaded.
"""
from dataclasses import dataclass
from typing import Any, Collection, Mapping

from fate_flow.entity.dsl_errors import DSLError
from fate_flow.scheduler.dag import SOURCE_ARGS, Dag
from fate_flow.scheduler.dsl_parser import READER_MODULE, parse_dsl, parse_dsl_version
from fate_flow.scheduler.frozen import deep_merge, thaw
from fate_flow.scheduler.model_id import ModelInfo, predict_model_info
from fate_flow.scheduler.runtime_conf import RuntimeConf, parse_runtime_conf

TEMPLATE_ROLES = ("guest", "host")  # the roles that read input tables


@dataclass(frozen=True)
class PredictJob:
    conf: RuntimeConf        # the effective conf: training conf < predict conf
    dag: Dag                 # the model's inference DSL, parsed in predict mode
    model: ModelInfo


def merge_predict_conf(train_conf: Mapping[str, Any], predict_conf: Mapping[str, Any]) -> dict:
    """Training conf deep-merged with the predict conf; the predict conf wins, lists are replaced whole."""
    return deep_merge(train_conf, predict_conf)


def prepare_predict_job(predict_conf: Mapping[str, Any], train_conf: Mapping[str, Any],
                        inference_dsl: Mapping[str, Any] | None, known_modules: Collection[str] | None,
                        *, require_work_mode: bool = True) -> PredictJob:
    """Check a submitted predict conf and build the job from the model's stored training conf and inference DSL.

    The submitted DSL plays no part (FATE ignores it). An empty inference DSL is a v2 model that was never
    deployed.
    """
    submitted = parse_runtime_conf(predict_conf, require_work_mode=require_work_mode)
    model = predict_model_info(submitted)
    if not inference_dsl or not inference_dsl.get("components"):
        raise DSLError(f"Model {model.model_id} {model.model_version} has not been deployed yet.",
                       field="model_version")
    conf = parse_runtime_conf(merge_predict_conf(train_conf, predict_conf), require_work_mode=False)
    dag = parse_dsl(inference_dsl, known_modules, version=conf.version, mode="predict")
    return PredictJob(conf=conf, dag=dag, model=model)


def predict_conf_template(inference_dsl: Mapping[str, Any], train_conf: Mapping[str, Any], model_id: str,
                          model_version: str) -> dict:
    """The predict conf skeleton of /v1/model/get/predict/conf, with input tables left to be filled."""
    if not train_conf.get("role") or not train_conf.get("initiator"):
        raise DSLError("role and initiator should be contained in the job's training conf", field="role")
    roles = thaw(train_conf["role"])
    components = (inference_dsl or {}).get("components") or {}
    job_parameters = thaw(train_conf.get("job_parameters") or {})
    model = {"model_id": model_id, "model_version": model_version}
    if parse_dsl_version(train_conf.get("dsl_version")) == 2:
        job_parameters["common"] = {**(job_parameters.get("common") or {}), **model, "job_type": "predict"}
        readers = [name for name, body in components.items() if body.get("module") == READER_MODULE]
        tables = {reader: {"table": {"name": f"name_to_be_filled_{k}", "namespace": f"namespace_to_be_filled_{k}"}}
                  for k, reader in enumerate(readers)}
        return {"dsl_version": 2, "role": roles, "initiator": thaw(train_conf["initiator"]),
                "job_parameters": job_parameters,
                "component_parameters": {"role": {
                    role: {str(i): thaw(tables) for i in range(len(parties))}
                    for role, parties in roles.items() if role in TEMPLATE_ROLES}}}
    job_parameters.update(job_type="predict", **model)
    args_keys = list(dict.fromkeys(
        ref.split(".")[1] for body in components.values()
        for refs in ((body.get("input") or {}).get("data") or {}).values() for ref in refs
        if ref.split(".")[0] == SOURCE_ARGS and "." in ref))
    return {"initiator": thaw(train_conf["initiator"]), "role": roles, "job_parameters": job_parameters,
            "role_parameters": {
                role: {"args": {"data": {key: [{"name": f"name_to_be_filled_{i}",
                                                "namespace": f"namespace_to_be_filled_{i}"}
                                               for i in range(len(parties))] for key in args_keys}}}
                for role, parties in roles.items() if role in TEMPLATE_ROLES}}
