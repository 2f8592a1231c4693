"""The data of /v1/pipeline/dag/dependency for one party (contract §1.4)."""
from typing import Collection, Mapping

from fate_flow.entity.dsl_errors import DSLError
from fate_flow.dsl.component_parameters import component_parameters, module_runs_on_role
from fate_flow.dsl.dag import Dag
from fate_flow.dsl.runtime_conf import RuntimeConf, normalise_party_id

KEPT_DATA_TYPES = ("data", "train_data")  # any other data key is reported as validate_data


def dag_dependency(dag: Dag, conf: RuntimeConf, role: str, party_id: int | str, *,
                   module_roles: Mapping[str, Collection[str]] | None = None) -> dict:
    """component_list (topological), dependencies, component_module and component_need_run for a party.

    need_run is false where the module has no program for the role (module_roles, see
    component_parameters.module_runs_on_role) or the party's parameters say `need_run: false`; a component fed
    by a `model` input takes the value of the component the model comes from.
    """
    if role not in conf.roles:
        raise DSLError(f"role {role} is unknown, can not extract component dependency", field="role")
    try:
        pid = normalise_party_id(party_id, "party_id")
    except DSLError:
        pid = None
    if pid not in conf.roles[role]:
        raise DSLError(f"party id {party_id} is unknown, can not extract component dependency", field="party_id")

    dependencies: dict[str, list[dict]] = {}
    for name, component in dag.components.items():
        entries = []
        for ref in component.inputs:
            if not ref.is_edge:
                continue
            upstream = dag.components[ref.component]
            if ref.kind == "data":
                kind = ref.key if ref.key in KEPT_DATA_TYPES else "validate_data"
                info = ["data", upstream.output_data.index(ref.output)]
            else:
                kind, info = "model", ["model", upstream.output_model.index(ref.output)]
            entries.append({"component_name": ref.component, "type": kind, "up_output_info": info})
        if entries:
            dependencies[name] = entries

    need_run: dict[str, bool] = {}
    for name in dag.order:
        component = dag.components[name]
        if not module_runs_on_role(module_roles, component.module, role):
            need_run[name] = False
        elif component.train_model_source is not None:
            need_run[name] = need_run[component.train_model_source]
        else:
            need_run[name] = component_parameters(dag, conf, name, role, pid).get("need_run") is not False
    return {"component_list": list(dag.order), "dependencies": dependencies,
            "component_module": {name: c.module for name, c in dag.components.items()},
            "component_need_run": need_run}
