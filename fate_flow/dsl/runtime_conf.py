"""Runtime conf v1/v2: required fields, party id normalisation, role and party-index checks (contract §3.2,
§3.3, §1.2.1). Parameter resolution lives in component_parameters and job_parameters."""
from dataclasses import dataclass
from typing import Any, Mapping

from fate_flow.entity import identifiers
from fate_flow.entity.dsl_errors import RuntimeConfError
from fate_flow.entity.errors import MissingParametersError
from fate_flow.dsl.dsl_parser import parse_dsl_version
from fate_flow.dsl.frozen import freeze, thaw

WORK_MODES = (0, 1)
ALL_PARTIES = "all"


@dataclass(frozen=True)
class RuntimeConf:
    """A checked runtime conf; `data` is the whole conf (party ids as ints), deep-frozen."""

    version: int
    initiator_role: str
    initiator_party_id: int
    roles: Mapping[str, tuple[int, ...]]
    data: Mapping[str, Any]

    @property
    def common_job_parameters(self) -> Mapping[str, Any]:
        """As submitted: v1 flat `job_parameters`, v2 `job_parameters.common`."""
        job_parameters = self.data["job_parameters"]
        return job_parameters["common"] if self.version == 2 else job_parameters

    @property
    def job_type(self) -> str:
        return str(self.common_job_parameters.get("job_type") or "train")

    def party_index(self, role: str, party_id: int | str) -> int:
        """Position of the party in `role.<role>` (the index role parameters refer to)."""
        if role not in self.roles:
            raise RuntimeConfError(f"role {role} is unknown", field="role")
        pid = normalise_party_id(party_id, f"party id of role {role}")
        try:
            return self.roles[role].index(pid)
        except ValueError:
            raise RuntimeConfError(f"party id {party_id} is unknown for role {role}", field="role") from None

    def to_dict(self) -> dict:
        """The normalised conf as plain JSON data (a fresh copy)."""
        return thaw(self.data)


def normalise_party_id(value: Any, what: str) -> int:
    """Party ids come as ints or digit strings; they are stored as ints (contract §3.6)."""
    if isinstance(value, bool):
        raise RuntimeConfError(f"{what} should be an integer, but {value!r} found", field=what)
    if isinstance(value, int) and value >= 0 or isinstance(value, str) and value.strip().isdigit():
        return int(identifiers.check_party_id(what, value))
    raise RuntimeConfError(f"{what} should be an integer, but {value!r} found", field=what)


def work_mode_of(conf: Mapping[str, Any]) -> Any:
    """The submitted work_mode (v1: job_parameters.work_mode; v2: job_parameters.common.work_mode) or None."""
    job_parameters = conf.get("job_parameters")
    if not isinstance(job_parameters, Mapping):
        return None
    if parse_dsl_version(conf.get("dsl_version")) == 2:
        common = job_parameters.get("common")
        return common.get("work_mode") if isinstance(common, Mapping) else None
    return job_parameters.get("work_mode")


def parse_runtime_conf(conf: Mapping[str, Any], *, require_work_mode: bool = True) -> RuntimeConf:
    """Check a runtime conf in the order FATE-Flow 1.6 does at submit and normalise its party ids."""
    if not isinstance(conf, Mapping):
        raise RuntimeConfError("job_runtime_conf should be an object", field="job_runtime_conf")
    version = parse_dsl_version(conf.get("dsl_version"))
    if require_work_mode:
        work_mode = work_mode_of(conf)
        if isinstance(work_mode, bool) or work_mode not in WORK_MODES:
            raise RuntimeConfError(f"required parameter values: work_mode={WORK_MODES}", field="work_mode")
    missing = [key for key in ("initiator", "job_parameters", "role") if key not in conf]
    if missing:
        raise MissingParametersError(missing)
    initiator = conf["initiator"]
    if not isinstance(initiator, Mapping):
        raise RuntimeConfError("initiator should be an object with role and party_id", field="initiator")
    missing = [key for key in ("role", "party_id") if key not in initiator]
    if missing:
        raise MissingParametersError(missing)
    job_parameters = conf["job_parameters"]
    if not isinstance(job_parameters, Mapping):
        raise RuntimeConfError("job_parameters should be an object", field="job_parameters")
    if version == 2 and "common" not in job_parameters:
        raise RuntimeConfError("the configuration format for v2 version must be job_parameters:common",
                               field="job_parameters")

    roles = _parse_roles(conf["role"])
    initiator_role = initiator["role"]
    initiator_party_id = normalise_party_id(initiator["party_id"], "initiator party_id")
    if initiator_role not in roles or initiator_party_id not in roles[initiator_role]:
        raise RuntimeConfError(f"initiator party id error {initiator['party_id']}", field="initiator")

    if version == 2:
        _check_v2_job_parameters(job_parameters, roles)
        _check_v2_component_parameters(conf.get("component_parameters"), roles)
    else:
        _check_v1_parameters(conf, roles)

    data = dict(conf)
    data["initiator"] = {**initiator, "party_id": initiator_party_id}
    data["role"] = {role: list(parties) for role, parties in roles.items()}
    return RuntimeConf(version=version, initiator_role=initiator_role, initiator_party_id=initiator_party_id,
                       roles=freeze(roles), data=freeze(data))


def _parse_roles(value: Any) -> dict[str, tuple[int, ...]]:
    if not isinstance(value, Mapping) or not value:
        raise RuntimeConfError("role should be an object of role -> list of party ids", field="role")
    roles: dict[str, tuple[int, ...]] = {}
    for role, parties in value.items():
        if not isinstance(role, str) or not role:
            raise RuntimeConfError(f"role name {role!r} should be a non-empty string", field="role")
        identifiers.ROLE.check("role", role)
        if not isinstance(parties, list) or not parties:
            raise RuntimeConfError(f"role {role} should be a non-empty list of party ids, but {parties!r} found",
                                   field=f"role.{role}")
        roles[role] = tuple(normalise_party_id(p, f"party id of role {role}") for p in parties)
    return roles


def parse_index_key(key: Any, role: str, party_count: int, field: str) -> tuple[int, ...]:
    """Party indexes named by a v2 index key: "0", "1", "0|2" or "all"."""
    if key == ALL_PARTIES:
        return tuple(range(party_count))
    indexes: list[int] = []
    for part in str(key).split("|"):
        part = part.strip()
        if not part.isdigit():
            raise RuntimeConfError(f"{field}: party index key {key!r} of role {role} is invalid, it should be like "
                                   f"\"0\", \"0|1\" or \"all\"", field=field)
        if int(part) >= party_count:
            raise RuntimeConfError(f"{field}: party index {part} of role {role} is out of range, role {role} has "
                                   f"{party_count} part{'y' if party_count == 1 else 'ies'}", field=field)
        indexes.append(int(part))
    return tuple(indexes)


def _check_object(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RuntimeConfError(f"{field} should be an object, but {value!r} found", field=field)
    return value


def _check_role_name(role: Any, roles: Mapping[str, tuple[int, ...]], field: str) -> None:
    if role not in roles:
        raise RuntimeConfError(f"{field}: role {role} is unknown, the job's roles are {', '.join(roles)}",
                               field=field)


def _check_role_sections(section: Any, roles: Mapping[str, tuple[int, ...]], field: str) -> None:
    """`<field>.<role>.<index key>` objects, as in v2 job_parameters.role and component_parameters.role."""
    for role, by_index in _check_object(section, field).items():
        _check_role_name(role, roles, f"{field}.{role}")
        for key, body in _check_object(by_index, f"{field}.{role}").items():
            parse_index_key(key, role, len(roles[role]), f"{field}.{role}.{key}")
            _check_object(body, f"{field}.{role}.{key}")


def _check_v2_job_parameters(job_parameters: Mapping[str, Any], roles: Mapping[str, tuple[int, ...]]) -> None:
    _check_object(job_parameters["common"], "job_parameters.common")
    if job_parameters.get("role") is not None:
        _check_role_sections(job_parameters["role"], roles, "job_parameters.role")


def _check_v2_component_parameters(section: Any, roles: Mapping[str, tuple[int, ...]]) -> None:
    if section is None:
        return
    section = _check_object(section, "component_parameters")
    if section.get("common") is not None:
        for component, params in _check_object(section["common"], "component_parameters.common").items():
            _check_object(params, f"component_parameters.common.{component}")
    if section.get("role") is not None:
        _check_role_sections(section["role"], roles, "component_parameters.role")
        for role, by_index in section["role"].items():
            for key, components in by_index.items():
                for component, params in components.items():
                    _check_object(params, f"component_parameters.role.{role}.{key}.{component}")


def _check_v1_parameters(conf: Mapping[str, Any], roles: Mapping[str, tuple[int, ...]]) -> None:
    """Roles of role_parameters and the per-party `args` lists; component lists are checked when resolved."""
    if conf.get("algorithm_parameters") is not None:
        for component, params in _check_object(conf["algorithm_parameters"], "algorithm_parameters").items():
            _check_object(params, f"algorithm_parameters.{component}")
    if conf.get("role_parameters") is None:
        return
    for role, by_component in _check_object(conf["role_parameters"], "role_parameters").items():
        _check_role_name(role, roles, f"role_parameters.{role}")
        for component, params in _check_object(by_component, f"role_parameters.{role}").items():
            _check_object(params, f"role_parameters.{role}.{component}")
        args = by_component.get("args")
        if args is None:
            continue
        data = _check_object(_check_object(args, f"role_parameters.{role}.args").get("data", {}),
                             f"role_parameters.{role}.args.data")
        for key, tables in data.items():
            if not isinstance(tables, list):
                raise RuntimeConfError(f"Role {role} role parameter args.data.{key} should be list",
                                       field=f"role_parameters.{role}.args.data.{key}")
            if len(tables) != len(roles[role]):
                raise RuntimeConfError(f"Role {role} role parameter args.data.{key} should be a list of same "
                                       f"length with roles", field=f"role_parameters.{role}.args.data.{key}")
