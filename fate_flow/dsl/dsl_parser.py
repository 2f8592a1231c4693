"""DSL v1/v2 parsing and validation into a Dag (contract §3.1).

Every error names the component and the field at fault. The set of module names the server knows is
given by the caller (the component registry), so this module stays free of any registry or file access.
"""
import heapq
from types import MappingProxyType
from typing import Any, Collection, Mapping

from fate_flow.entity import identifiers
from fate_flow.entity.dsl_errors import DSLError
from fate_flow.dsl.dag import (MODEL_KINDS, SOURCE_ARGS, SOURCE_COMPONENT, SOURCE_PIPELINE, Component,
                                     Dag, InputRef)
from fate_flow.dsl.json_text import load_json_object

MODES = ("train", "predict")
READER_MODULE = "Reader"


def parse_dsl_version(value: Any) -> int:
    """`dsl_version` of a runtime conf: absent means 1; 1, 2, "1" and "2" are accepted."""
    if value is None:
        return 1
    if not isinstance(value, bool) and isinstance(value, (int, str)) and str(value).strip() in ("1", "2"):
        return int(str(value).strip())
    raise DSLError(f"dsl_version {value!r} is not supported, it should be 1 or 2", field="dsl_version")


def parse_dsl_text(text: str | bytes, known_modules: Collection[str] | None, *, version: int = 2,
                   mode: str = "train") -> Dag:
    """Like parse_dsl, from JSON text, so that a component name given twice is reported."""
    return parse_dsl(load_json_object(text, "dsl"), known_modules, version=version, mode=mode)


def parse_dsl(dsl: Mapping[str, Any], known_modules: Collection[str] | None, *, version: int = 2,
              mode: str = "train") -> Dag:
    """Validate a DSL and build its Dag.

    known_modules: module names the server can run; None skips that check (e.g. deriving a predict DSL
    from a training DSL that was validated when it was submitted).
    mode: "predict" for a model's inference DSL (v1 naming rules are not enforced there, as in FATE).
    """
    version = parse_dsl_version(version)
    if mode not in MODES:
        raise DSLError(f"dsl mode {mode!r} should be train or predict", field="mode")
    if not isinstance(dsl, Mapping) or not dsl:
        raise DSLError("There is no dsl, please check it", field="dsl")
    raw_components = dsl.get("components")
    if raw_components is None:
        raise DSLError("No components field in dsl, please have a check!", field="components")
    if not isinstance(raw_components, Mapping):
        raise DSLError("components of dsl should be an object of name -> component", field="components")
    if not raw_components:
        raise DSLError("components of dsl is empty, please have a check!", field="components")

    modules = {name: _module_of(name, body, known_modules, version) for name, body in raw_components.items()}
    if version == 2:
        for name in modules:
            _check_v2_name(name)
    elif mode == "train":
        _check_v1_names(modules)
    for name in modules:  # names become directory names (task dirs, log dirs, model dirs)
        identifiers.COMPONENT_NAME.check("dsl component name", name)

    outputs = {name: _outputs_of(name, body) for name, body in raw_components.items()}
    components: dict[str, Component] = {}
    for index, (name, body) in enumerate(raw_components.items()):
        inputs = _inputs_of(name, body)
        for ref in inputs:
            _check_ref_target(name, ref, outputs)
        need_deploy = body.get("need_deploy")
        if need_deploy is not None and not isinstance(need_deploy, bool):
            raise DSLError(f"Component {name}'s need_deploy should be true or false, but {need_deploy!r} found",
                           component=name, field="need_deploy")
        data_out, model_out = outputs[name]
        components[name] = Component(name=name, module=modules[name], index=index, inputs=inputs,
                                     output_data=data_out, output_model=model_out, need_deploy=need_deploy,
                                     has_input="input" in body and body["input"] is not None,
                                     has_output="output" in body and body["output"] is not None)

    upstream = {name: _distinct(ref.component for ref in c.inputs if ref.is_edge) for name, c in components.items()}
    downstream: dict[str, list[str]] = {name: [] for name in components}
    for name in components:  # DSL order, so downstream lists are deterministic
        for up in upstream[name]:
            downstream[up].append(name)
    order = _topological_order(components, upstream, downstream)
    args_keys = _distinct(ref.output for c in components.values() for ref in c.inputs if ref.source == SOURCE_ARGS)
    return Dag(version=version, mode=mode, components=MappingProxyType(components), order=order,
               upstream=MappingProxyType(upstream),
               downstream=MappingProxyType({k: tuple(v) for k, v in downstream.items()}),
               args_keys=args_keys)


def _distinct(items) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _module_of(name: str, body: Any, known_modules: Collection[str] | None, version: int) -> str:
    if not isinstance(name, str) or not name:
        raise DSLError(f"Component name {name!r} should be a non-empty string", component=str(name))
    if not isinstance(body, Mapping):
        raise DSLError(f"Component {name} should be an object", component=name)
    module = body.get("module")
    if module is None:
        raise DSLError(f"Component {name}, module field does not exist in dsl, please have a check",
                       component=name, field="module")
    if not isinstance(module, str) or not module:
        raise DSLError(f"Component {name}, module should be a non-empty string, but {module!r} found",
                       component=name, field="module")
    if known_modules is not None and module not in known_modules:
        raise DSLError(f"Component {name}, module {module} does not exist", component=name, field="module")
    if version == 1 and module == READER_MODULE:
        raise DSLError(f"Component {name}, module {module}: Reader component can only be set in dsl_version 2",
                       component=name, field="module")
    return module


def _check_v2_name(name: str) -> None:
    if not all(ch.isalnum() or ch in "_-" for ch in name):
        raise DSLError(f"Component name {name} is illegal, it should consist of letters, digits, '-' and '_'",
                       component=name, field="components")


def _v1_naming_error(name: str) -> DSLError:
    return DSLError("Component's name should be format of name_index, index is start from 0 and be consecutive "
                    f"for same module, {name} is error", component=name, field="components")


def _check_v1_names(modules: Mapping[str, str]) -> None:
    """v1 names are <prefix>_<index>: one module per prefix, indices 0..n-1 (contract §3.1)."""
    by_prefix: dict[str, list[tuple[str, int]]] = {}
    prefix_module: dict[str, str] = {}
    for name, module in modules.items():
        prefix, sep, suffix = name.rpartition("_")
        if not sep or not prefix or not suffix.isdigit():
            raise _v1_naming_error(name)
        if prefix_module.setdefault(prefix, module) != module:
            raise DSLError(f"Component prefix {prefix} should be used for only one module, but another: "
                           f"{name} is {module}, not {prefix_module[prefix]}", component=name, field="module")
        by_prefix.setdefault(prefix, []).append((name, int(suffix)))
    for members in by_prefix.values():
        expected = set(range(len(members)))
        seen: set[int] = set()
        for name, index in members:
            if index not in expected or index in seen:
                raise _v1_naming_error(name)
            seen.add(index)


def _string_list(value: Any, component: str, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise DSLError(f"Component {component}'s {field} should be a list of strings, but {value!r} found",
                       component=component, field=field)
    return tuple(value)


def _outputs_of(name: str, body: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    output = body.get("output")
    if output is None:
        return (), ()
    if not isinstance(output, Mapping):
        raise DSLError(f"Output of component {name} should be an object, but {output!r} found",
                       component=name, field="output")
    data = _string_list(output["data"], name, "output.data") if "data" in output else ()
    model = _string_list(output["model"], name, "output.model") if "model" in output else ()
    return data, model


def _parse_ref(component: str, text: str, kind: str, key: str, field: str) -> InputRef:
    parts = text.split(".")
    if parts[0] == SOURCE_ARGS and len(parts) == 2 and parts[1] and kind == "data":
        return InputRef(kind, key, SOURCE_ARGS, "", parts[1], text)
    if parts[0] == SOURCE_PIPELINE and len(parts) == 3 and all(parts) and kind != "data":
        return InputRef(kind, key, SOURCE_PIPELINE, parts[1], parts[2], text)
    if len(parts) == 2 and all(parts) and parts[0] not in (SOURCE_ARGS, SOURCE_PIPELINE):
        return InputRef(kind, key, SOURCE_COMPONENT, parts[0], parts[1], text)
    raise DSLError(f"Component {component}'s {field} entry {text!r} is malformed, it should be "
                   f"<component>.<{'output data name' if kind == 'data' else 'model alias'}>",
                   component=component, field=field)


def _inputs_of(name: str, body: Mapping[str, Any]) -> tuple[InputRef, ...]:
    inp = body.get("input")
    if inp is None:
        return ()
    if not isinstance(inp, Mapping):
        raise DSLError(f"Input of component {name} should be an object", component=name, field="input")
    refs: list[InputRef] = []
    data = inp.get("data")
    if data is not None:
        if not isinstance(data, Mapping):
            raise DSLError(f"Component {name}'s input data type should be an object", component=name,
                           field="input.data")
        for key, entries in data.items():
            field = f"input.data.{key}"
            refs.extend(_parse_ref(name, text, "data", key, field) for text in _string_list(entries, name, field))
    for kind in MODEL_KINDS:
        if inp.get(kind) is not None:
            field = f"input.{kind}"
            refs.extend(_parse_ref(name, text, kind, kind, field) for text in _string_list(inp[kind], name, field))
    return tuple(refs)


def _check_ref_target(name: str, ref: InputRef, outputs: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]):
    if not ref.is_edge:
        return
    field = f"input.data.{ref.key}" if ref.kind == "data" else f"input.{ref.kind}"
    if ref.component not in outputs:
        what = "data" if ref.kind == "data" else "model"
        raise DSLError(f"Component {name}'s {what} input {ref.component} does not exist (in {field})",
                       component=name, field=field)
    data_out, model_out = outputs[ref.component]
    if ref.kind == "data" and ref.output not in data_out:
        raise DSLError(f"Component {name}' data input {ref.component}'s output data {ref.output} does not exist "
                       f"(in {field})", component=name, field=field)
    if ref.kind != "data" and ref.output not in model_out:
        raise DSLError(f"Component {name}' model input {ref.component}'s output model {ref.output} does not "
                       f"exist (in {field})", component=name, field=field)


def _topological_order(components: Mapping[str, Component], upstream: Mapping[str, tuple[str, ...]],
                       downstream: Mapping[str, list[str]]) -> tuple[str, ...]:
    """Kahn's algorithm taking the ready component that comes first in the DSL."""
    pending = {name: len(ups) for name, ups in upstream.items()}
    ready = [(c.index, name) for name, c in components.items() if pending[name] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(name)
        for down in downstream[name]:
            pending[down] -= 1
            if pending[down] == 0:
                heapq.heappush(ready, (components[down].index, down))
    if len(order) < len(components):
        loop = _find_loop(components, upstream, set(components) - set(order))
        raise DSLError(f"{'->'.join(loop + [loop[0]])} form a loop", component=loop[0], field="input")
    return tuple(order)


def _find_loop(components: Mapping[str, Component], upstream: Mapping[str, tuple[str, ...]],
               left: set[str]) -> list[str]:
    """A cycle among the components Kahn could not order, in data-flow order, from its first DSL member.

    Each of them still has an unordered upstream, so walking upstream must come back on itself.
    """
    node = min(left, key=lambda n: components[n].index)
    path: list[str] = []
    while node not in path:
        path.append(node)
        node = min((u for u in upstream[node] if u in left), key=lambda n: components[n].index)
    loop = list(reversed(path[path.index(node):]))
    start = min(range(len(loop)), key=lambda i: components[loop[i]].index)
    return loop[start:] + loop[:start]
