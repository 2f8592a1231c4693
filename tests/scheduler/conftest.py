import pytest

from tests.scheduler.flow import start_flow


@pytest.fixture
def flow_factory(tmp_path):
    flows = []

    def make(**conf_sections):
        flow = start_flow(tmp_path / f"flow{len(flows)}", **conf_sections)
        flows.append(flow)
        return flow

    yield make
    for flow in flows:
        flow.stop()


@pytest.fixture
def flow(flow_factory):
    return flow_factory()
