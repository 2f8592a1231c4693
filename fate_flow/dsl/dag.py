"""The parsed job DSL: immutable components, their input references and the DAG between them."""
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from fate_flow.entity.dsl_errors import DSLError

# data input keys a DSL may use (contract §3.1); v2 accepts others (FATE only warns)
DATA_KEYS = ("data", "train_data", "validate_data", "test_data", "eval_data")
MODEL_KINDS = ("model", "isometric_model")

# where an input reference points
SOURCE_COMPONENT = "component"  # "<cpn>.<output>": an edge of the DAG
SOURCE_ARGS = "args"            # "args.<key>": v1 job input table from the runtime conf
SOURCE_PIPELINE = "pipeline"    # "pipeline.<cpn>.<alias>": a model of the model being predicted with


@dataclass(frozen=True)
class InputRef:
    """One entry of a component's `input`, e.g. `dataio_0.train` under `input.data.data`."""

    kind: str           # "data", "model" or "isometric_model"
    key: str            # the data key ("data", "train_data", ...) or, for models, the kind again
    source: str         # SOURCE_COMPONENT, SOURCE_ARGS or SOURCE_PIPELINE
    component: str      # the upstream component ("" for args)
    output: str         # the upstream output data name / model alias, or the args key
    text: str           # as written in the DSL

    @property
    def is_edge(self) -> bool:
        return self.source == SOURCE_COMPONENT


@dataclass(frozen=True)
class Component:
    name: str
    module: str
    index: int                            # position in the DSL's `components` object
    inputs: tuple[InputRef, ...]          # data inputs in DSL key order, then model, then isometric_model
    output_data: tuple[str, ...]
    output_model: tuple[str, ...]
    need_deploy: bool | None = None       # the DSL's flag; None = the module's default
    has_input: bool = False               # the DSL gave an `input` object
    has_output: bool = False              # the DSL gave an `output` object

    @property
    def data_inputs(self) -> Mapping[str, tuple[InputRef, ...]]:
        """Data key -> references, in DSL order."""
        grouped: dict[str, list[InputRef]] = {}
        for ref in self.inputs:
            if ref.kind == "data":
                grouped.setdefault(ref.key, []).append(ref)
        return MappingProxyType({k: tuple(v) for k, v in grouped.items()})

    def model_inputs(self, kind: str = "model") -> tuple[InputRef, ...]:
        return tuple(ref for ref in self.inputs if ref.kind == kind)

    @property
    def train_model_source(self) -> str | None:
        """The component whose model this one takes through `input.model` (the last one, as FATE does);
        such a component reuses that component's parameters and need_run."""
        sources = [ref.component for ref in self.model_inputs("model") if ref.is_edge]
        return sources[-1] if sources else None

    def to_dsl(self) -> dict:
        """This component as DSL JSON."""
        out: dict = {"module": self.module}
        if self.has_input:
            inp: dict = {}
            data = self.data_inputs
            if data:
                inp["data"] = {k: [r.text for r in refs] for k, refs in data.items()}
            for kind in MODEL_KINDS:
                refs = self.model_inputs(kind)
                if refs:
                    inp[kind] = [r.text for r in refs]
            out["input"] = inp
        if self.has_output:
            output: dict = {}
            if self.output_data:
                output["data"] = list(self.output_data)
            if self.output_model:
                output["model"] = list(self.output_model)
            out["output"] = output
        if self.need_deploy is not None:
            out["need_deploy"] = self.need_deploy
        return out


@dataclass(frozen=True)
class Dag:
    """A validated DSL. `order` is topological and, where the graph leaves a choice, follows the DSL."""

    version: int                                   # 1 or 2
    mode: str                                      # "train" or "predict"
    components: Mapping[str, Component]            # in DSL order
    order: tuple[str, ...]
    upstream: Mapping[str, tuple[str, ...]]        # distinct upstream components, first use first
    downstream: Mapping[str, tuple[str, ...]]
    args_keys: tuple[str, ...] = ()                # keys used as `args.<key>` inputs, first use first

    def component(self, name: str) -> Component:
        try:
            return self.components[name]
        except KeyError:
            raise DSLError(f"Component {name} does not exist, please have a check",
                           component=name) from None

    def topological_components(self) -> tuple[Component, ...]:
        return tuple(self.components[name] for name in self.order)

    def to_dsl(self) -> dict:
        return {"components": {name: c.to_dsl() for name, c in self.components.items()}}
