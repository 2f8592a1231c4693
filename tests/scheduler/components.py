"""Test-only components, listed in COMPONENTS (the server and its workers add them to their component registry
through the `worker.component_plugins` setting)."""
from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from google.protobuf.struct_pb2 import Struct

from fate_flow.components import registry
from fate_flow.components.base import Component, ComponentContext, ComponentOutput
from fate_flow.components.params import ComponentParams
from fate_flow.entity.errors import FateFlowError


@dataclass
class SourceParams(ComponentParams):
    rows: int = 10


class TestSource(Component):
    """A table of `rows` rows: key i -> [i, 2i]."""
    module = "TestSource"
    params_class = SourceParams

    def run(self, ctx: ComponentContext, params: SourceParams) -> ComponentOutput:
        table = ctx.computing.parallelize(((i, [i, 2 * i]) for i in range(params.rows)), partitions=2)
        ctx.tracker.set_metric_meta("source", "rows", {"count": params.rows})
        return ComponentOutput(data={"data": table}, schemas={"data": {"header": ["a", "b"], "sid": "id"}},
                               summary={"rows": params.rows})


@dataclass
class PassParams(ComponentParams):
    add: int = 1


class TestAdd(Component):
    """Adds `add` to the first column of its `data` input."""
    module = "TestAdd"
    params_class = PassParams

    def run(self, ctx: ComponentContext, params: PassParams) -> ComponentOutput:
        [ref] = ctx.input_tables("data")
        table = ctx.load_table(ref).map_values(lambda v: [v[0] + params.add, v[1]])
        return ComponentOutput(data={"data": table}, schemas={"data": ref.schema})


@dataclass
class SleepParams(ComponentParams):
    seconds: float = 60.0


class TestSleep(Component):
    module = "TestSleep"
    params_class = SleepParams

    def run(self, ctx: ComponentContext, params: SleepParams) -> ComponentOutput:
        time.sleep(params.seconds)
        return ComponentOutput()


@dataclass
class FailParams(ComponentParams):
    # "raise": fail with an error; "sigkill": the worker kills itself. Only while `marker` does not exist
    # yet (the attempt creates it), so a retry succeeds; `always` fails every attempt.
    how: str = "raise"
    marker: str = ""
    always: bool = False


class TestFail(Component):
    module = "TestFail"
    params_class = FailParams

    def run(self, ctx: ComponentContext, params: FailParams) -> ComponentOutput:
        first = params.marker and not Path(params.marker).exists()
        if params.marker:
            Path(params.marker).touch()
        if params.always or first:
            if params.how == "sigkill":
                os.kill(os.getpid(), signal.SIGKILL)
            raise FateFlowError(f"{ctx.spec.component_name} failed on purpose at {ctx.role} {ctx.party_id}")
        return ComponentOutput()


@dataclass
class ExchangeParams(ComponentParams):
    value: int = 0


class TestExchange(Component):
    """Each host sends its value to the guest over the data plane; the guest outputs the sum."""
    module = "TestExchange"
    params_class = ExchangeParams

    def run(self, ctx: ComponentContext, params: ExchangeParams) -> ComponentOutput:
        if ctx.role == "host":
            ctx.federation.remote(params.value, "value", ctx.tag(), ctx.parties("guest"))
            return ComponentOutput()
        values = ctx.federation.get("value", ctx.tag(), ctx.parties("host"), timeout=60)
        total = params.value + sum(values)
        return ComponentOutput(data={"data": ctx.computing.parallelize([("sum", total)], partitions=1)},
                               summary={"sum": total})


@dataclass
class TrainerParams(ComponentParams):
    scale: float = 1.0


class TestModelTrainer(Component):
    """Train (train_data): offset = scale x the mean of the first column, saved as the model buffer
    TestModelParam (a google.protobuf.Struct); outputs key -> [first column + offset, second column].
    Predict (given that model, test_data): the same rows, with the offset read back from the model."""
    module = "TestModelTrainer"
    params_class = TrainerParams

    def run(self, ctx: ComponentContext, params: TrainerParams) -> ComponentOutput:
        if ctx.predicting:
            [buffers] = ctx.input_models("model")
            offset = buffers["TestModelParam"]["offset"]
            [ref] = ctx.input_tables("test_data")
            table = ctx.load_table(ref)
            model = {}
        else:
            [ref] = ctx.input_tables("train_data")
            table = ctx.load_table(ref)
            offset = params.scale * table.map_values(lambda v: v[0]).reduce(lambda a, b: a + b) / table.count()
            buffer = Struct()
            buffer.update({"offset": offset, "party": f"{ctx.role} {ctx.party_id}"})
            alias = ctx.spec.output_model[0] if ctx.spec.output_model else "model"
            model = {alias: {"TestModelParam": buffer}}
        output = table.map_values(lambda v: [v[0] + offset, v[1]])
        return ComponentOutput(data={"data": output}, model=model, schemas={"data": ref.schema},
                               summary={"offset": offset})


class TestStep(TestSource):
    """TestSource on every role, arbiter included (for jobs of three parties)."""
    module = "TestStep"


COMPONENTS = tuple(registry.ModuleInfo(cls.module, roles, f"{__name__}:{cls.__name__}") for cls, roles in (
                   (TestStep, ("guest", "host", "arbiter")), (TestSource, ("guest", "host")), (TestAdd, ("guest", "host")), (TestSleep, ("guest", "host")),
                   (TestFail, ("guest", "host")), (TestExchange, ("guest", "host")),
                   (TestModelTrainer, ("guest", "host"))))
