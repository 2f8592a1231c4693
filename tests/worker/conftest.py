"""Worker tests run whole jobs on the in-process flow of the scheduler tests."""
from tests.scheduler.conftest import flow, flow_factory  # noqa: F401
