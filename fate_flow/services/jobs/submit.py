"""/v1/job/submit (contract §1.2.1, §4.2): validate the DSL and conf, check the job could ever get the cores
it asks for, create it on every party over federation (initiator last), and wake the scheduler. A predict
job (§3.9) runs the submitted predict DSL, else the deployed model's inference DSL, over the model's training
conf merged with the submitted one.

A create that fails on any party fails the submit with "create job failed" and the per-party answers (or,
when a party refused the initiator permission, retcode 108 with that party's message); the job is then
marked failed (tag submit_failed) on every party that had created it."""
from __future__ import annotations

import logging
from typing import Any, Mapping

from fate_flow.components.registry import ComponentRegistry, UnknownModuleError
from fate_flow.dsl.component_parameters import resolve_component_parameters
from fate_flow.dsl.model_id import job_model_info, predict_model_info
from fate_flow.dsl.predict_job import prepare_predict_job
from fate_flow.dsl.runtime_conf import RuntimeConf, parse_runtime_conf
from fate_flow.entity.errors import FateFlowError, ParameterError, PermissionDeniedError
from fate_flow.entity.retcode import RetCode
from fate_flow.entity.status import JobStatus
from fate_flow.entity import messages as msg
from fate_flow.federation import PartyRef
from fate_flow.model.pipeline import json_field
from fate_flow.services.runtime import Runtime
from fate_flow.services.jobs.job_locations import submit_response
from fate_flow.services.jobs.create import check_cores
from fate_flow.services.jobs.plan import (JobPlan, common_parameters, cores_needed, party_parameters, plan_of_dag,
                                          plan_parsed, with_common_parameters)
from fate_flow.services.jobs.schedule_log import job_log
from fate_flow.services.models import local as model_local

LOG = logging.getLogger(__name__)


class CreateJobFailed(FateFlowError):
    """FATE answers every submit error with retcode 100, this one with the per-party answers as data."""

    retcode = RetCode.EXCEPTION_ERROR


def submit(runtime: Runtime, dsl: Any, runtime_conf: Any) -> dict:
    """A train job runs the submitted DSL; a predict job (contract §3.9) runs the submitted DSL when there is one
    (made of the deployed model's components and Readers), else the inference DSL of the deployed model its conf
    names, with the model's training conf under the submitted one."""
    settings = runtime.settings
    if not isinstance(runtime_conf, Mapping):
        raise ParameterError("job_runtime_conf should be an object")
    submitted = parse_runtime_conf(runtime_conf, require_work_mode=True)  # the one parse of the submitted conf
    train_conf = None
    if dsl is not None and not isinstance(dsl, Mapping):
        raise ParameterError("job_dsl should be an object")
    if submitted.job_type == "predict":
        used = predict_model_info(submitted)
        _check_initiator_hosted(runtime, submitted)
        pipeline = model_local.load_predict_model(settings, submitted.initiator_role,
                                                  str(submitted.initiator_party_id), used.model_id,
                                                  used.model_version)
        train_conf = json_field(pipeline, "train_runtime_conf")
        # refuses an empty inference DSL (never deployed), a submitted DSL that is not the deployed model's,
        # and modules this server cannot run
        predict = prepare_predict_job(runtime_conf, train_conf, json_field(pipeline, "inference_dsl"),
                                      runtime.components.module_names(), submitted_dsl=dsl,
                                      train_dsl=json_field(pipeline, "train_dsl"), parsed=submitted)
        dsl, plan = predict.dsl, plan_of_dag(runtime.components, predict.dag, predict.conf)
    elif dsl is None:
        raise ParameterError("job_dsl should be an object")
    else:
        plan = plan_parsed(runtime.components, dsl, submitted)
    _check_parameters(runtime.components, plan)
    conf = plan.conf
    _check_initiator_hosted(runtime, conf)
    job_id = runtime.job_ids.next_id()
    model = job_model_info(conf, job_id)
    common = common_parameters(plan, settings)
    common.update(model_id=model.model_id, model_version=model.model_version)
    _check_hosted_cores(runtime, plan, job_id)

    stored_conf = with_common_parameters(submitted.to_dict(), submitted.version, common)
    body = msg.encode(msg.JobCreate(job_id, dict(dsl), stored_conf, model.model_id, model.model_version,
                                    train_conf or {}))
    parties = plan.all_parties()
    src = PartyRef(conf.initiator_role, conf.initiator_party_id)
    # the initiator last, so every other party exists before the job enters the initiator's queue
    results: dict[str, dict[str, dict]] = {}
    others, initiator = parties[:-1], parties[-1]
    if others:
        results = runtime.client.fan_out(msg.JOB_CREATE, [PartyRef(r, p) for r, p in others], body, src=src,
                                         job_id=job_id)
    failed = {(r, p) for r, by in results.items() for p, a in by.items() if a.get("retcode") != 0}
    # the initiator is created even when another party failed, so the failed job can be looked up
    answer = runtime.client.send_command(PartyRef(*initiator), msg.JOB_CREATE, body, src=src, job_id=job_id)
    results.setdefault(initiator[0], {})[initiator[1]] = answer
    if answer.get("retcode") != 0:
        failed.add(initiator)
    if failed:
        detail = "; ".join(f"{r} {p}: {results[r][p].get('retmsg')}" for r, p in sorted(failed))
        _fail_created(runtime, job_id, parties, failed, src, f"create job failed: {detail}")
        job_log(settings, job_id, f"create job failed: {detail}", logging.ERROR)
        # a party that refused the initiator permission answers the submit with its own words (retcode 108)
        denied = [results[r][p].get("retmsg") for r, p in sorted(failed)
                  if results[r][p].get("retcode") == RetCode.PERMISSION_ERROR]
        error = (PermissionDeniedError("; ".join(denied), data=results) if denied
                 else CreateJobFailed("create job failed", data=results))
        error.job_id = job_id
        raise error
    job_log(settings, job_id, f"job created on {', '.join(f'{r} {p}' for r, p in parties)}")
    runtime.notify()
    data = submit_response(settings, job_id, conf.initiator_role, str(conf.initiator_party_id), model.model_id)
    data["model_info"]["model_version"] = model.model_version  # a predict job names the model it uses
    return data


def _check_initiator_hosted(runtime: Runtime, conf: RuntimeConf) -> None:
    if not runtime.hosts(conf.initiator_party_id):
        party_ids = runtime.settings.fateflow.party_ids
        raise ParameterError(f"initiator party id {conf.initiator_party_id} is not hosted by this server (it hosts "
                             f"{', '.join(str(p) for p in party_ids) or 'no party'}); submit the "
                             f"job to the initiator's fate_flow")


def _check_parameters(components: ComponentRegistry, plan: JobPlan) -> None:
    """Each component's parameters for each of its parties, through its parameter class (names the field)."""
    resolved = resolve_component_parameters(plan.dag, plan.conf, components.module_roles())
    for name, by_role in resolved.items():
        module = plan.dag.components[name].module
        try:
            params_class = components.load(module).params_class
        except (UnknownModuleError, ImportError, AttributeError) as e:
            raise ParameterError(f"component {name}: module {module} cannot be loaded on this server: {e}") from None
        for role, by_party in by_role.items():
            for party_id, params in by_party.items():
                try:
                    params_class.from_dict(params, name)
                except FateFlowError as e:
                    raise ParameterError(f"Component {name}, module {module}, does not pass component check, "
                                         f"error msg is {e.message} ({role} {party_id})") from None


def _check_hosted_cores(runtime: Runtime, plan: JobPlan, job_id: str) -> None:
    """A job that can never fit the cores of a party hosted here fails now, saying asked and available."""
    settings = runtime.settings
    for party_id in {str(p) for ids in plan.conf.roles.values() for p in ids}:
        if not runtime.hosts(party_id):
            continue
        needs = {r: cores_needed(plan, party_parameters(plan, settings, r, party_id), r, party_id)
                 for r, ids in plan.conf.roles.items() if int(party_id) in ids}
        check_cores(settings, job_id, party_id, needs)


def _fail_created(runtime: Runtime, job_id: str, parties: list[tuple[str, str]], failed: set, src: PartyRef,
                  reason: str) -> None:
    """Mark the job failed (tag submit_failed) on the parties that did create it."""
    created = [(r, p) for r, p in parties if (r, p) not in failed]
    if created:
        runtime.client.fan_out(msg.JOB_STATUS_UPDATE, [PartyRef(r, p) for r, p in created],
                               msg.encode(msg.JobStatusUpdate(job_id, JobStatus.FAILED, fail_reason=reason,
                                                              tag="submit_failed")), src=src, job_id=job_id)
