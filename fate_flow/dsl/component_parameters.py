"""Effective parameters of each component for each party (contract §3.2, §3.3, §3.7).

v1: `algorithm_parameters.<cpn>` for everyone, then `role_parameters.<role>.<cpn>` whose leaves are lists
with one value per party of the role. v2: `component_parameters.common.<cpn>`, then every
`component_parameters.role.<role>.<index key>.<cpn>` whose key names the party's index, in conf order.
Only what the conf says is returned; the module's defaults and its parameter check belong to the component
registry. A component fed by a `model` input reuses the parameters of the component the model comes from.
"""
from typing import Any, Collection, Mapping

from fate_flow.entity.dsl_errors import RuntimeConfError
from fate_flow.dsl.dag import Dag
from fate_flow.dsl.frozen import deep_merge, thaw
from fate_flow.dsl.runtime_conf import RuntimeConf, parse_index_key

ARGS = "args"


def module_runs_on_role(module_roles: Mapping[str, Collection[str]] | None, module: str, role: str) -> bool:
    """Whether a module has a program for a role. module_roles maps a module to its setting's role keys
    (combined keys like "guest|host" allowed); None, or a module it does not list, means every role."""
    if module_roles is None or module not in module_roles:
        return True
    return any(role in key.split("|") for key in module_roles[module])


def component_parties(dag: Dag, conf: RuntimeConf,
                      module_roles: Mapping[str, Collection[str]] | None = None) -> dict[str, dict[str, list[int]]]:
    """component -> role -> party ids that run a task for it (roles its module supports), in DAG order."""
    return {name: {role: list(parties) for role, parties in conf.roles.items()
                   if module_runs_on_role(module_roles, dag.components[name].module, role)}
            for name in dag.order}


def component_parameters(dag: Dag, conf: RuntimeConf, component: str, role: str, party_id: int | str) -> dict:
    """The parameters the conf gives one component on one party (a fresh dict)."""
    dag.component(component)
    index = conf.party_index(role, party_id)
    return _parameters(dag, conf, component, role, index)


def resolve_component_parameters(dag: Dag, conf: RuntimeConf,
                                 module_roles: Mapping[str, Collection[str]] | None = None
                                 ) -> dict[str, dict[str, dict[int, dict]]]:
    """component -> role -> party id -> parameters, for every party that runs the component.

    Doing this at submit validates every per-party list and index of the conf against the DSL.
    """
    resolved: dict[str, dict[str, dict[int, dict]]] = {}
    for name, by_role in component_parties(dag, conf, module_roles).items():
        resolved[name] = {}
        for role, parties in by_role.items():
            resolved[name][role] = {}
            for index, party_id in enumerate(parties):
                # a party listed twice under a role keeps its first position, as it is keyed by id
                resolved[name][role].setdefault(party_id, _parameters(dag, conf, name, role, index))
    return resolved


def _parameters(dag: Dag, conf: RuntimeConf, component: str, role: str, index: int) -> dict:
    source = component
    while (upstream := dag.components[source].train_model_source) is not None:
        source = upstream
    if conf.version == 2:
        return _v2_parameters(conf, source, role, index)
    return _v1_parameters(conf, source, role, index)


def _v2_parameters(conf: RuntimeConf, component: str, role: str, index: int) -> dict:
    section = conf.data.get("component_parameters") or {}
    params = thaw((section.get("common") or {}).get(component, {}))
    by_index = (section.get("role") or {}).get(role) or {}
    for key, by_component in by_index.items():
        field = f"component_parameters.role.{role}.{key}"
        if component in by_component and index in parse_index_key(key, role, len(conf.roles[role]), field):
            params = deep_merge(params, by_component[component])
    return params


def _v1_parameters(conf: RuntimeConf, component: str, role: str, index: int) -> dict:
    params = thaw((conf.data.get("algorithm_parameters") or {}).get(component, {}))
    role_params = ((conf.data.get("role_parameters") or {}).get(role) or {}).get(component)
    if role_params:
        params = deep_merge(params, _party_values(role_params, role, index, len(conf.roles[role]), component))
    return params


def _party_values(params: Mapping[str, Any], role: str, index: int, party_count: int, path: str) -> dict:
    """Pick the index-th element of every per-party list; objects are walked, other leaves are errors."""
    picked: dict[str, Any] = {}
    for key, value in params.items():
        where = f"{path}.{key}"
        if isinstance(value, Mapping):
            picked[key] = _party_values(value, role, index, party_count, where)
        elif not isinstance(value, (list, tuple)):
            raise RuntimeConfError(f"Role {role} role parameter {where} should be list",
                                   component=path.split(".")[0], field=f"role_parameters.{role}.{where}")
        elif len(value) != party_count:
            raise RuntimeConfError(f"Role {role} role parameter {where} should be a list of same length with roles",
                                   component=path.split(".")[0], field=f"role_parameters.{role}.{where}")
        else:
            picked[key] = thaw(value[index])
    return picked


def args_inputs(conf: RuntimeConf) -> dict[str, dict[int, dict[str, Any]]]:
    """v1 job input tables: role -> party id -> {args key: {"name", "namespace"}} from `role_parameters.<role>.args`."""
    tables: dict[str, dict[int, dict[str, Any]]] = {}
    if conf.version != 1:
        return tables
    for role, by_component in (conf.data.get("role_parameters") or {}).items():
        data = ((by_component or {}).get(ARGS) or {}).get("data") or {}
        if not data:
            continue
        tables[role] = {}
        for index, party_id in enumerate(conf.roles[role]):
            tables[role].setdefault(party_id, {key: thaw(values[index]) for key, values in data.items()})
    return tables


def check_args_inputs(dag: Dag, conf: RuntimeConf) -> None:
    """Every `args.<key>` a v1 DSL reads must be given under some role's `args.data`."""
    if conf.version != 1:
        return
    given = {key for by_party in args_inputs(conf).values() for tables in by_party.values() for key in tables}
    for key in dag.args_keys:
        if key not in given:
            users = [c.name for c in dag.topological_components()
                     if any(r.source == ARGS and r.output == key for r in c.inputs)]
            raise RuntimeConfError(f"{key} does not exist in submit conf's data, please check!",
                                   component=users[0] if users else None, field=f"args.{key}")
