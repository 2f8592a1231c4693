"""/v1/model/migrate (contract §1.5.7, §8.8): a trained model re-keyed to new party ids, as one importable
zip per new party.

`role` (the model's parties) and `migrate_role` (the new ones) map position by position within each role;
the new model id is made from `migrate_role` and the version is `unify_model_version` (default: a fresh job
id). For each executing party this server hosts, its model is copied aside with the Pipeline record rewritten
(roles, initiator, model id and version, in the record and in both runtime confs) and zipped into
FATE_FLOW_HOME/temp/fate_flow/<new party model id>_<version>.zip; the new party imports that zip.

Not done here: FATE fans migrate/do out to parties on other servers; an executing party this server does not
host is answered as unreachable. Component model buffers are copied unchanged (FATE rewrites the party ids
some components embed in their buffers; ours embed none a migration would have to change: HeteroSecureBoost's
trees name parties as role:party id, and its model maps those names to positions in the job, which it resolves
against the parties of the job that uses it).
"""
from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from fate_flow.db.models import MachineLearningModelInfo
from fate_flow.dsl.model_id import gen_model_id, gen_party_model_id
from fate_flow.entity import identifiers
from fate_flow.entity.errors import FateFlowError, MissingParametersError, ParameterError, PartiesFailedError
from fate_flow.entity.home_paths import home_path
from fate_flow.entity.retcode import RetCode
from fate_flow.entity.atomic_files import write_atomically
from fate_flow.model.pipeline import dsl_version, json_bytes, json_field
from fate_flow.proto.pipeline_pb2 import Pipeline
from fate_flow.services.models.local import party_model, proto_sources
from fate_flow.services.models.package import log_model_operation, zip_model
from fate_flow.services.models.record import modules_of
from fate_flow.settings import Settings

MIGRATE_ROLES = ("guest", "host", "arbiter")
REQUIRED = ("migrate_initiator", "role", "migrate_role", "model_id", "model_version", "execute_party",
            "job_parameters")
SAME_ROLES = ("The config of previous roles is the same with that of migrate roles. There is no need to migrate "
              "model. Migration process aborting.")
STRUCTURE_DIFFERS = ("The structure of roles data of local configuration is different from model runtime "
                     "configuration's. Migration aborting.")


@dataclass(frozen=True)
class MigrateRequest:
    model_id: str
    model_version: str
    role: dict[str, list[str]]
    migrate_role: dict[str, list[str]]
    migrate_initiator: tuple[str, str]
    execute_party: dict[str, list[str]]
    unify_model_version: str | None = None

    @property
    def new_model_id(self) -> str:
        return gen_model_id(self.migrate_role)

    def new_party_id(self, role: str, party_id: str) -> str:
        return self.migrate_role[role][self.role[role].index(party_id)]


def parse_request(body: Mapping[str, Any]) -> MigrateRequest:
    """The request checked as a whole; every refusal names the field, role or party at fault."""
    missing = [name for name in REQUIRED if body.get(name) in (None, "", {}, [])]
    if missing:
        raise MissingParametersError(missing)
    if not isinstance(body["job_parameters"], Mapping):
        raise ParameterError("parameter job_parameters must be an object")
    role = _roles(body["role"], "role")
    migrate_role = _roles(body["migrate_role"], "migrate_role")
    differences = [f"role {r!r} only in {'role' if r in role else 'migrate_role'}"
                   for r in sorted(set(role) ^ set(migrate_role))]
    differences += [f"{r}: {len(role[r])} part{'y' if len(role[r]) == 1 else 'ies'} in role, "
                    f"{len(migrate_role[r])} in migrate_role"
                    for r in sorted(set(role) & set(migrate_role)) if len(role[r]) != len(migrate_role[r])]
    if differences:
        raise ParameterError(f"{STRUCTURE_DIFFERS} ({'; '.join(differences)})")
    if role == migrate_role:
        raise ParameterError(SAME_ROLES)
    initiator = body["migrate_initiator"]
    if not isinstance(initiator, Mapping) or initiator.get("role") in (None, "") or \
            initiator.get("party_id") in (None, ""):
        raise ParameterError("parameter migrate_initiator must be an object with role and party_id")
    initiator_ref = (str(initiator["role"]), str(initiator["party_id"]).strip())
    if initiator_ref[1] not in migrate_role.get(initiator_ref[0], []):
        raise ParameterError(f"migrate_initiator {initiator_ref[0]} {initiator_ref[1]} is not a party of "
                             f"migrate_role ({describe_roles(migrate_role)})")
    execute_party = _roles(body["execute_party"], "execute_party")
    for r, parties in execute_party.items():
        unknown = [p for p in parties if p not in role.get(r, [])]
        if unknown:
            raise ParameterError(f"execute_party {r} {', '.join(unknown)} not in role ({describe_roles(role)})")
    unify = body.get("unify_model_version")
    if unify not in (None, ""):  # a model version, e.g. 20200901_0001 as in FATE's own migrate example
        unify = identifiers.MODEL_VERSION.check("unify_model_version",
                                                unify.strip() if isinstance(unify, str) else unify)
    return MigrateRequest(model_id=identifiers.MODEL_ID.check("model_id", body["model_id"]),
                          model_version=identifiers.MODEL_VERSION.check("model_version", body["model_version"]),
                          role=role, migrate_role=migrate_role, migrate_initiator=initiator_ref,
                          execute_party=execute_party, unify_model_version=unify or None)


def describe_roles(roles: Mapping[str, list[str]]) -> str:
    """e.g. "guest 9999; host 10000, 10001; arbiter 10000" (roles in a fixed order)."""
    order = [r for r in MIGRATE_ROLES if r in roles] + sorted(r for r in roles if r not in MIGRATE_ROLES)
    return "; ".join(f"{r} {', '.join(str(p) for p in roles[r])}" for r in order)


def _roles(value: Any, name: str) -> dict[str, list[str]]:
    """{role: [party ids]} with party ids as strings; only guest, host and arbiter; no party twice in a role."""
    if not isinstance(value, Mapping):
        raise ParameterError(f"parameter {name} must be an object of role -> list of party ids")
    unknown = sorted(str(r) for r in value if r not in MIGRATE_ROLES)
    if unknown:
        raise ParameterError(f"parameter {name} has unknown roles {unknown}: roles are {', '.join(MIGRATE_ROLES)}")
    roles = {}
    for r, parties in value.items():
        if not isinstance(parties, list) or any(isinstance(p, bool) or not isinstance(p, (int, str)) for p in parties):
            raise ParameterError(f"parameter {name}.{r} must be a list of party ids")
        ids = [str(p).strip() for p in parties]
        if not all(p.isdigit() for p in ids):
            raise ParameterError(f"parameter {name}.{r} must list party ids (numbers), got "
                                 f"{identifiers.shown(parties)}")
        ids = [identifiers.check_party_id(f"{name}.{r}", p) for p in ids]
        if len(set(ids)) != len(ids):
            raise ParameterError(f"parameter {name}.{r} names a party twice: {ids}")
        roles[r] = ids
    return roles


def migrate(settings: Settings, request: MigrateRequest, job_id: str, request_ip: str = "") -> dict:
    """Every executing party's part; PartiesFailedError (101) only when a party could not be reached (contract)."""
    version = request.unify_model_version or job_id
    hosted = {str(p) for p in settings.fateflow.party_ids}
    data: dict[str, Any] = {"detail": {}}
    unreachable = False
    for role, parties in request.execute_party.items():
        for party_id in parties:
            if hosted and party_id not in hosted:
                unreachable = True
                answer = {"retcode": int(RetCode.FEDERATED_ERROR),
                          "retmsg": f"party {role} {party_id} is not hosted by this server; run the migration on "
                                    f"the server hosting it"}
            else:
                answer = _migrate_answer(settings, request, role, party_id, version)
            data.setdefault(role, {})[party_id] = answer["retcode"]
            data["detail"].setdefault(role, {})[party_id] = answer
    ok = all(a["retcode"] == 0 for by_party in data["detail"].values() for a in by_party.values())
    log_model_operation("migrate", *request.migrate_initiator, request.model_id, request.model_version, request_ip, ok)
    if unreachable:
        raise PartiesFailedError(data, job_id)
    return data


def _migrate_answer(settings: Settings, request: MigrateRequest, role: str, party_id: str, version: str) -> dict:
    try:
        path = migrate_party(settings, request, role, party_id, version)
    except FateFlowError as e:
        return {"retcode": int(RetCode.EXCEPTION_ERROR),
                "retmsg": f"migrate model of role {role} {party_id} failed, details: {e.message}"}
    return {"retcode": 0, "model_id": request.new_model_id, "model_version": version, "path": str(path),
            "retmsg": f"Migrating model successfully. The configuration of model has been modified automatically. "
                      f"New model id is: {request.new_model_id}, model version is: {version}. "
                      f"Model files can be found at '{path}'."}


def migrate_party(settings: Settings, request: MigrateRequest, role: str, party_id: str, version: str) -> Path:
    """One party's model as the zip of its migrated copy; returns the zip's path."""
    model = party_model(settings, role, party_id, request.model_id, request.model_version)
    if not model.has_pipeline():
        raise FateFlowError(f"Model {gen_party_model_id(request.model_id, role, party_id)} {request.model_version} "
                            f"is not exist.")
    pipeline = model.read_pipeline()
    trained = {r: [str(p) for p in ps] for r, ps in json_field(pipeline, "roles").items()}
    if trained != request.role:
        raise FateFlowError(f"{STRUCTURE_DIFFERS} role ({describe_roles(request.role)}) is not the model's roles "
                            f"({describe_roles(trained)})")
    new_party_id = request.new_party_id(role, party_id)
    new_party_model_id = gen_party_model_id(request.new_model_id, role, new_party_id)
    out_dir = settings.temp_dir / "fate_flow"
    zip_path = home_path(out_dir, f"{new_party_model_id}_{version}.zip")
    if zip_path.exists() or _version_in_use(settings, request.new_model_id, version, role, new_party_id):
        raise FateFlowError(f"Unify model version {version} has been occupied in database or by {zip_path}. "
                            f"Please choose another unify model version and try again.")
    staging_root = out_dir / f".migrate-{uuid.uuid4().hex}"
    try:
        staging_root.mkdir(parents=True)
        record = migrated_pipeline(pipeline, request, role, party_id, version)
        migrated = model.deploy_to(staging_root / version, record, modules_of(json_field(pipeline, "train_dsl")),
                                   proto_sources())
        write_atomically(zip_path, zip_model(migrated.root))
    finally:
        shutil.rmtree(staging_root, ignore_errors=True)
    return zip_path


def migrated_pipeline(pipeline: Pipeline, request: MigrateRequest, role: str, party_id: str,
                      version: str) -> Pipeline:
    """The record with the new parties: roles, initiator, model id and version (record and runtime confs)."""
    roles = {r: [_party_value(p) for p in ps] for r, ps in request.migrate_role.items()}
    initiator_role, initiator_party = request.migrate_initiator
    initiator = {"role": initiator_role, "party_id": _party_value(initiator_party)}
    new_party_id = request.new_party_id(role, party_id)

    train_conf = json_field(pipeline, "train_runtime_conf")
    train_conf.update(role=roles, initiator=initiator)
    parameters = train_conf.setdefault("job_parameters", {})
    if dsl_version(pipeline) == 2:
        parameters = parameters.setdefault("common", {})
    parameters.update(model_id=request.new_model_id, model_version=version)

    on_party = json_field(pipeline, "runtime_conf_on_party")
    on_party.update(role=roles, initiator=initiator)
    on_party.setdefault("job_parameters", {}).update(model_id=request.new_model_id, model_version=version)
    if isinstance(on_party.get("local"), dict):
        on_party["local"]["party_id"] = _party_value(new_party_id)

    migrated = Pipeline()
    migrated.CopyFrom(pipeline)
    migrated.roles = json_bytes(roles)
    migrated.initiator_role = initiator_role
    migrated.initiator_party_id = int(initiator_party)
    migrated.model_id = request.new_model_id
    migrated.model_version = version
    migrated.train_runtime_conf = json_bytes(train_conf)
    migrated.runtime_conf_on_party = json_bytes(on_party)
    return migrated


def _party_value(party_id: str) -> int:
    """Party ids as the Pipeline stores them: numbers."""
    return int(party_id)


def _version_in_use(settings: Settings, model_id: str, version: str, role: str, party_id: str) -> bool:
    if party_model(settings, role, party_id, model_id, version).exists():
        return True
    M = MachineLearningModelInfo
    return M.select().where(M.f_model_id == model_id, M.f_model_version == version).exists()
