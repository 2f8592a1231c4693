"""50 jobs submitted at once with the scheduler thread running: every one ends, none starves."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from fate_flow.db.base import DB
from fate_flow.db.models import Job
from tests.scheduler.flow import dsl_conf

pytestmark = pytest.mark.slow


def test_fifty_jobs_submitted_at_once_all_succeed(flow_factory):
    # 8 cores, 2 per job: at most 4 jobs hold cores at once, the rest queue
    flow = flow_factory(resources={"cores_per_party": 8})
    flow.start_loop()
    dsl, conf = dsl_conf({"source_0": {"module": "TestSource", "output": {"data": ["data"]}}}, hosts=())
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: flow.submit(dsl, conf), range(50)))
    assert all(a["retcode"] == 0 for a in answers), [a for a in answers if a["retcode"]][:1]
    ids = {a["jobId"] for a in answers}
    assert len(ids) == 50

    def all_ended():
        rows = Job.select(Job.f_status).where(Job.f_job_id.in_(list(ids)))
        return all(r.f_status == "success" for r in rows)
    flow.run_until(all_ended, timeout=240, step=0.5)
    with DB.obj.connection_context():
        assert Job.select().where(Job.f_job_id.in_(list(ids)), Job.f_resource_in_use == True).count() == 0  # noqa
