"""Predict jobs (contract §3.9): the submitted conf names a model; the job runs the DSL submitted with it, or the
model's inference DSL when none was, with the training conf deep-merged under the predict conf. Loading the model
(its pipeline, training conf, inference DSL and `parent` flag) is the model service's work; this module only
combines what it loaded.

A submitted predict DSL is what FATE's examples and clients send: the deployed predict DSL (get/predict/dsl) with
a Reader feeding its first component. It may use Readers and the deployed components, each with exactly the
model inputs the deployed DSL gives it (a component without its model would train instead of predicting).
"""
from dataclasses import dataclass
from typing import Any, Collection, Mapping

from fate_flow.entity.dsl_errors import DSLError
from fate_flow.dsl.dag import MODEL_KINDS, SOURCE_ARGS, Dag
from fate_flow.dsl.dsl_parser import READER_MODULE, parse_dsl, parse_dsl_version
from fate_flow.dsl.frozen import deep_merge, thaw
from fate_flow.dsl.model_id import ModelInfo, predict_model_info
from fate_flow.dsl.runtime_conf import RuntimeConf, parse_runtime_conf

TEMPLATE_ROLES = ("guest", "host")  # the roles that read input tables


@dataclass(frozen=True)
class PredictJob:
    conf: RuntimeConf        # the effective conf: training conf < predict conf
    dag: Dag                 # the DSL the job runs, parsed in predict mode
    model: ModelInfo
    dsl: Mapping[str, Any]   # that DSL: the submitted one, else the model's inference DSL


def merge_predict_conf(train_conf: Mapping[str, Any], predict_conf: Mapping[str, Any]) -> dict:
    """Training conf deep-merged with the predict conf; the predict conf wins, lists are replaced whole."""
    return deep_merge(train_conf, predict_conf)


def prepare_predict_job(predict_conf: Mapping[str, Any], train_conf: Mapping[str, Any],
                        inference_dsl: Mapping[str, Any] | None, known_modules: Collection[str] | None,
                        *, require_work_mode: bool = True, submitted_dsl: Mapping[str, Any] | None = None,
                        train_dsl: Mapping[str, Any] | None = None, parsed: RuntimeConf | None = None) -> PredictJob:
    """Check a submitted predict conf (and DSL, if one was submitted) against the model's stored training conf
    and inference DSL, and build the job.

    An empty inference DSL is a v2 model that was never deployed. With train_dsl, a component that read data in
    training but has no data input in the DSL to run (its Reader was not deployed) is refused here rather than
    failing in every retry of its task. `parsed`: the predict conf when the caller parsed it already.
    """
    submitted = parsed or parse_runtime_conf(predict_conf, require_work_mode=require_work_mode)
    model = predict_model_info(submitted)
    if not inference_dsl or not inference_dsl.get("components"):
        raise DSLError(f"Model {model.model_id} {model.model_version} has not been deployed yet.",
                       field="model_version")
    conf = parse_runtime_conf(merge_predict_conf(train_conf, predict_conf), require_work_mode=False)
    deployed = parse_dsl(inference_dsl, known_modules, version=conf.version, mode="predict")
    if has_components(submitted_dsl):
        dag = parse_dsl(submitted_dsl, known_modules, version=conf.version, mode="predict")
        check_submitted_predict_dsl(dag, deployed)
        dsl = submitted_dsl
    else:
        dag, dsl = deployed, inference_dsl
    if train_dsl:
        _check_data_inputs(dag, train_dsl, submitted=dsl is not inference_dsl)
    return PredictJob(conf=conf, dag=dag, model=model, dsl=dsl)


def has_components(dsl: Any) -> bool:
    """Whether a submitted job DSL says anything (clients send {} for "the model's own")."""
    return isinstance(dsl, Mapping) and bool(dsl.get("components"))


def check_submitted_predict_dsl(dag: Dag, deployed: Dag) -> None:
    """Only Readers and the deployed model's components, each with the model inputs it was deployed with."""
    for component in dag.topological_components():
        own = deployed.components.get(component.name)
        if own is None:
            if component.module == READER_MODULE:
                continue
            raise DSLError(f"Component {component.name} ({component.module}) is not a component of the deployed "
                           f"model; a predict DSL may use Reader components and the deployed components "
                           f"{', '.join(deployed.order)}", component=component.name, field="job_dsl")
        if component.module != own.module:
            raise DSLError(f"Component {component.name}'s module is {component.module}, the deployed model's "
                           f"{component.name} is {own.module}", component=component.name, field="module")
        for kind in MODEL_KINDS:
            given = [ref.text for ref in component.model_inputs(kind)]
            expected = [ref.text for ref in own.model_inputs(kind)]
            if given != expected:
                raise DSLError(f"Component {component.name}'s input.{kind} is {given}, the deployed model gives it "
                               f"{expected}", component=component.name, field=f"input.{kind}")


def _check_data_inputs(dag: Dag, train_dsl: Mapping[str, Any], submitted: bool) -> None:
    trained = train_dsl.get("components") if isinstance(train_dsl, Mapping) else None
    if not isinstance(trained, Mapping):
        return
    for component in dag.topological_components():
        if component.module == READER_MODULE or component.data_inputs:
            continue
        trained_body = trained.get(component.name)
        trained_input = trained_body.get("input") if isinstance(trained_body, Mapping) else None
        if isinstance(trained_input, Mapping) and trained_input.get("data"):
            where = "the submitted predict DSL" if submitted else "the deployed model's predict DSL"
            raise DSLError(f"Component {component.name} has no data input in {where}, though it read data in "
                           f"training (e.g. its Reader was not deployed): submit the predict DSL of "
                           f"/v1/model/get/predict/dsl with a Reader component feeding {component.name}'s "
                           f"input.data.data", component=component.name, field="input.data")


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
