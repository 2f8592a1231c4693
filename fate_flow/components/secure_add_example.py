"""SecureAddExample (FATE's toy example): the guest and the host each hold a seeded random table of
`data_num` numbers; the guest learns the sum of both tables and neither party sees the other's numbers.

Each party splits its total into two random shares and sends one share to the other party; each adds the
share it kept to the share it received, the host sends its partial sum to the guest, and the guest adds the
two partial sums. Every value that crosses is masked by a random share.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from fate_flow.components.base import Component, ComponentContext, ComponentOutput
from fate_flow.components.params import ComponentParams
from fate_flow.entity.errors import DataError, ParameterError

GUEST, HOST = "guest", "host"
MASK_RANGE = 1e6


@dataclass
class SecureAddExampleParams(ComponentParams):
    seed: int = 123
    partition: int = 4
    data_num: int = 1000

    def check(self, where: str) -> None:
        if not 1 <= self.partition <= 1023:
            raise ParameterError(f"{where}parameter partition must be between 1 and 1023, got {self.partition}")
        if self.data_num < 1:
            raise ParameterError(f"{where}parameter data_num must be at least 1, got {self.data_num}")


def party_total(seed: int, data_num: int) -> float:
    """What a party's random table adds up to (the same numbers its table holds)."""
    rnd = random.Random(seed)
    return sum(rnd.random() for _ in range(data_num))


class SecureAddExample(Component):
    module = "SecureAddExample"
    params_class = SecureAddExampleParams

    def run(self, ctx: ComponentContext, params: SecureAddExampleParams) -> ComponentOutput:
        if ctx.role not in (GUEST, HOST):
            raise DataError(f"SecureAddExample runs on guest and host, not {ctx.role}")
        rnd = random.Random(params.seed)
        table = ctx.computing.parallelize(((i, rnd.random()) for i in range(params.data_num)), params.partition)
        total = table.reduce(lambda a, b: a + b)
        other = ctx.parties(HOST if ctx.role == GUEST else GUEST)
        if not other:
            raise DataError(f"SecureAddExample needs a {HOST if ctx.role == GUEST else GUEST} party in the job")
        mask = random.SystemRandom().uniform(-MASK_RANGE, MASK_RANGE)
        kept, sent = total - mask, mask
        ctx.federation.remote(sent, f"{ctx.role}_share", ctx.tag("share"), other)
        [received] = ctx.federation.get(f"{other[0].role}_share", ctx.tag("share"), other[:1])
        partial = kept + received
        if ctx.role == HOST:
            ctx.federation.remote(partial, "host_sum", ctx.tag("sum"), other)
            ctx.log.info("host sent its masked partial sum")
            return ComponentOutput(summary={"data_num": params.data_num})
        [host_partial] = ctx.federation.get("host_sum", ctx.tag("sum"), other[:1])
        secure_sum = partial + host_partial
        ctx.tracker.set_metric_meta("secure_add_example", "sum", {"name": "sum", "metric_type": "SECURE_ADD"})
        ctx.tracker.log_metric_data("secure_add_example", "sum", [("sum", secure_sum)])
        ctx.log.info("secure sum of guest and host tables: %s", secure_sum)
        return ComponentOutput(summary={"sum": secure_sum, "data_num": params.data_num})
