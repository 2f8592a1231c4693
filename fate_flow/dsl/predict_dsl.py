"""Predict (inference) DSL derivation from a training DSL (contract §3.8, §1.2.14).

The deployed components keep their module and output data; their model outputs become `pipeline.<cpn>.<alias>`
model inputs; their data inputs are renamed for prediction (the first of data -> data, train_data ->
test_data, validate_data -> test_data, test_data -> test_data that the component has). An input coming from a
component that is not deployed is rerouted to where that component's own main input came from.
v1 (automatic, at the end of training): components are chosen by `need_deploy`; `args.*` inputs become
`args.eval_data`. v2 (deploy, /v1/job/dsl/generate): components are chosen by the caller; inputs from Reader
components are kept, and a component left with no deployed upstream loses its data inputs.
"""
from typing import Any, Collection, Iterable, Mapping, Sequence

from fate_flow.entity.dsl_errors import DeployError
from fate_flow.dsl.dag import SOURCE_ARGS, Component, Dag, InputRef
from fate_flow.dsl.dsl_parser import READER_MODULE, parse_dsl, parse_dsl_text

PREDICT_DATA_KEYS = (("data", "data"), ("train_data", "test_data"), ("validate_data", "test_data"),
                     ("test_data", "test_data"))
# which input of a skipped component its output stands for, in order of preference
BYPASS_INPUT_KEYS = ("train_data", "eval_data", "test_data", "data")
V1_PREDICT_ARGS = "args.eval_data"


def parse_cpn_list(cpn_str: str | Sequence[str]) -> tuple[str, ...]:
    """Component names for /v1/job/dsl/generate: a list, "a, b, c" or "[a,b,c]" (quotes around names ignored)."""
    if isinstance(cpn_str, str):
        if "\\" in cpn_str:
            raise DeployError("component list should not contain a backslash", field="cpn_str")
        text = cpn_str.replace(" ", "").replace("\n", "").replace("\r", "").replace("\t", "").strip(",[]")
        names = text.split(",")
    elif isinstance(cpn_str, (list, tuple)) and all(isinstance(n, str) for n in cpn_str):
        names = list(cpn_str)
    else:
        raise DeployError(f"component list should be a list of names or a string, but {cpn_str!r} found",
                          field="cpn_str")
    cleaned = tuple(dict.fromkeys(n.strip().strip("'\"") for n in names if n.strip().strip("'\"")))
    if not cleaned:
        raise DeployError("component list is empty, nothing to deploy", field="cpn_str")
    return cleaned


def _format_names(names: Iterable[str]) -> str:
    return "{" + ", ".join(repr(n) for n in sorted(names)) + "}"


def generate_predict_dsl(dag: Dag, components: Iterable[str]) -> dict:
    """v2 deploy: the predict DSL of the given components of a training DSL."""
    if dag.version != 2:
        raise DeployError("only dsl_version 2 supports deploying chosen components", field="dsl_version")
    wanted = tuple(components)
    missing = set(wanted) - set(dag.components)
    if missing:
        raise DeployError(f"components {_format_names(missing)} not exist in training dsl, can not deploy!!!",
                          component=sorted(missing)[0], field="cpn_str")
    return _derive(dag, set(wanted), erase_top_data_inputs=True)


def dsl_generate(train_dsl: str | bytes | Mapping[str, Any], cpn_str: str | Sequence[str], version: Any = "2",
                 known_modules: Collection[str] | None = None) -> dict:
    """/v1/job/dsl/generate: train_dsl as JSON text (or already decoded), cpn_str in any accepted form.

    Only version 2 can deploy chosen components; module names are checked only if known_modules is given.
    """
    if str(version).strip() != "2":
        raise DeployError(f"dsl version {version} does not support deploying components, use version 2",
                          field="version")
    if isinstance(train_dsl, (str, bytes)):
        dag = parse_dsl_text(train_dsl, known_modules, version=2)
    else:
        dag = parse_dsl(train_dsl, known_modules, version=2)
    return generate_predict_dsl(dag, parse_cpn_list(cpn_str))


def derive_inference_dsl_v1(dag: Dag, need_deploy_defaults: Mapping[str, bool] | None = None) -> dict:
    """v1: the inference DSL stored with a training job's model. need_deploy_defaults: module -> its setting's
    `need_deploy` (missing modules default to true); a component's own `need_deploy` wins."""
    defaults = need_deploy_defaults or {}
    deployed = {c.name for c in dag.components.values()
                if (c.need_deploy if c.need_deploy is not None else defaults.get(c.module, True))}
    return _derive(dag, deployed, erase_top_data_inputs=False)


def add_code_paths(predict_dsl: Mapping, code_paths: Mapping[str, str]) -> dict:
    """A copy of a predict DSL with `CodePath` set for each component whose module has one for the role
    (code_paths: module -> "<module_path>/<program>" of that role), as stored per party."""
    out = {"components": {}}
    for name, body in (predict_dsl.get("components") or {}).items():
        body = dict(body)
        if body.get("module") in code_paths:
            body["CodePath"] = code_paths[body["module"]]
        out["components"][name] = body
    return out


def _derive(dag: Dag, deployed: set[str], erase_top_data_inputs: bool) -> dict:
    v1 = dag.version == 1
    result: dict[str, dict] = {}
    bypass: dict[str, dict[str, list[str]]] = {}  # skipped component -> output name -> what replaces it

    def replacement(ref: InputRef) -> list[str] | None:
        """What a predict DSL reads instead of ref; None if it leads to a skipped component with no way back."""
        if ref.source == SOURCE_ARGS:
            return [V1_PREDICT_ARGS if v1 else ref.text]
        if not ref.is_edge:
            return [ref.text]
        upstream = dag.components[ref.component]
        if upstream.name in deployed or upstream.module == READER_MODULE:
            return [ref.text]
        return bypass.get(upstream.name, {}).get(ref.output)

    for component in dag.topological_components():
        if component.name not in deployed:
            main = _bypass_input(component)
            if main is not None and component.output_data:
                refs = replacement(main)
                if refs is not None:
                    bypass[component.name] = {name: refs for name in component.output_data}
            continue

        entry: dict = {"module": component.module}
        if component.output_model:
            entry["input"] = {"model": [f"pipeline.{component.name}.{alias}" for alias in component.output_model]}
        if component.output_data:
            entry["output"] = {"data": list(component.output_data)}
        data_inputs = component.data_inputs
        if component.has_input:
            entry.setdefault("input", {})
        if data_inputs:
            predict_data: dict[str, list[str]] = {}
            for train_key, predict_key in PREDICT_DATA_KEYS:
                if train_key not in data_inputs:
                    continue
                predict_data[predict_key] = []
                for ref in data_inputs[train_key]:
                    refs = replacement(ref)
                    if refs is None:
                        raise DeployError(f"Component {component.name}'s data input {ref.text} comes from "
                                          f"{ref.component}, which is not deployed and whose output can not be "
                                          f"traced back to a deployed component", component=component.name,
                                          field=f"input.data.{train_key}")
                    predict_data[predict_key].extend(refs)
                break
            entry["input"]["data"] = predict_data
            if erase_top_data_inputs and not any(
                    r.split(".")[0] == SOURCE_ARGS or r.split(".")[0] in result
                    for refs in predict_data.values() for r in refs):
                del entry["input"]["data"]
        result[component.name] = entry
    return {"components": result}


def _bypass_input(component: Component) -> InputRef | None:
    data_inputs = component.data_inputs
    for key in BYPASS_INPUT_KEYS:
        if data_inputs.get(key):
            return data_inputs[key][0]
    return None
