"""Test-only components for the process tests, listed in COMPONENTS (servers add them through
`worker.component_plugins`)."""
from __future__ import annotations

import time
from dataclasses import dataclass

from fate_flow.components import registry
from fate_flow.components.base import Component, ComponentContext, ComponentOutput
from fate_flow.components.params import ComponentParams
from fate_flow.entity.errors import FateFlowError
from fate_flow.secure.pool import CryptoPool


@dataclass
class PoolSleepParams(ComponentParams):
    seconds: float = 120.0       # how long the first version (task_version 0) sleeps holding its pool
    retry_seconds: float = 0.0   # how long later versions do
    fail_role: str = ""          # the role whose first version fails after fail_after seconds
    fail_after: float = 1.0


class TestPoolSleep(Component):
    """Starts a two-worker crypto pool (so the worker has children: the pool's processes and multiprocessing's
    resource tracker) and sleeps while holding it."""
    module = "TestPoolSleep"
    params_class = PoolSleepParams

    def run(self, ctx: ComponentContext, params: PoolSleepParams) -> ComponentOutput:
        first = ctx.spec.task_version == 0
        with CryptoPool(2):
            if first and ctx.role == params.fail_role:
                time.sleep(params.fail_after)
                raise FateFlowError(f"{ctx.spec.component_name} failed on purpose at {ctx.role} {ctx.party_id}")
            time.sleep(params.seconds if first else params.retry_seconds)
        return ComponentOutput()


COMPONENTS = (registry.ModuleInfo(TestPoolSleep.module, ("guest", "host"), f"{__name__}:{TestPoolSleep.__name__}"),)
