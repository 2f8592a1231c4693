"""What a partner's job asks of one of our parties, and what of it the partner has not been granted (the
checks of job.create and task start/stop), on SQLite and MariaDB."""
import json

from fate_flow.components.registry import ComponentRegistry
from fate_flow.services.jobs.plan import plan_job
from fate_flow.services.partners import permissions
from fate_flow.services.partners.permissions import Dataset, Needs
from fate_flow.settings import PROJECT_ROOT

EXAMPLES = PROJECT_ROOT / "examples"
HOST_TABLE = Dataset("experiment", "breast_hetero_host")
FLAGSHIP_HOST_COMPONENTS = {"reader", "dataio", "intersection", "heterofeaturebinning", "heterofeatureselection",
                            "heterolr", "evaluation"}


def plan(conf: str, dsl: str):
    return plan_job(ComponentRegistry(), json.loads((EXAMPLES / dsl).read_text()), json.loads((EXAMPLES / conf).read_text()))


def test_what_the_flagship_job_asks_of_the_host_and_the_arbiter(db):
    flagship = plan("test_hetero_lr_job_conf.json", "test_hetero_lr_job_dsl.json")
    host = permissions.job_needs(flagship, "host", "10000")
    assert host == Needs(roles={"host"}, commands={"create", "run"}, components=FLAGSHIP_HOST_COMPONENTS,
                         datasets={HOST_TABLE})
    assert permissions.job_needs(flagship, "arbiter", "10000") == Needs(
        roles={"arbiter"}, commands={"create", "run"}, components={"heterolr"})
    assert permissions.task_needs(flagship, "reader_0", "host", "10000", permissions.RUN) == Needs(
        roles={"host"}, commands={"run"}, components={"reader"}, datasets={HOST_TABLE})
    assert permissions.task_needs(flagship, "reader_0", "host", "10000", permissions.STOP) == Needs(
        roles={"host"}, commands={"stop"})


def test_a_v1_job_reads_its_args_tables(db):
    v1 = plan("dataio_conf_v1.json", "dataio_dsl_v1.json")
    assert permissions.job_needs(v1, "host", "10000").datasets == {HOST_TABLE}


def test_grants_of_either_api_count_for_the_partner_in_its_role_and_only_there(db):
    needs = permissions.job_needs(plan("test_hetero_lr_job_conf.json", "test_hetero_lr_job_dsl.json"),
                                  "host", "10000")
    assert permissions.missing("9999", "guest", needs) == needs
    permissions.grant_privilege(ComponentRegistry(), "9999", "guest", {"role": "host", "command": "create,run", "component": "reader"})
    permissions.grant_permission(ComponentRegistry(), "9999", ",".join(sorted(FLAGSHIP_HOST_COMPONENTS - {"reader"})), None)
    assert permissions.missing("9999", "guest", needs) == Needs(datasets={HOST_TABLE})
    assert permissions.missing("9999", "host", needs) == Needs(roles={"host"}, commands={"create", "run"},
                                                               components={"reader"}, datasets={HOST_TABLE})
    assert permissions.missing("10001", "guest", needs) == needs
    permissions.grant_permission(ComponentRegistry(), "9999", None, [HOST_TABLE])
    assert not permissions.missing("9999", "guest", needs)
    permissions.delete_permission(ComponentRegistry(), "9999", None, [HOST_TABLE])
    assert permissions.missing("9999", "guest", needs) == Needs(datasets={HOST_TABLE})


def test_the_refusal_names_the_partner_its_server_and_exactly_what_is_missing(db):
    error = permissions.denial(Needs(roles={"host"}, commands={"run", "create"}, components={"reader", "dataio"},
                                     datasets={HOST_TABLE}), "9999", "guest", "127.0.0.1:9360",
                               "create job 202401010000000000000", "host", "10000")
    assert error.retcode == 108
    assert error.message == (
        "permission denied: host 10000 has not granted guest 9999 (server 127.0.0.1:9360) role host; commands "
        "create, run; components dataio, reader; table experiment.breast_hetero_host to create job "
        "202401010000000000000; grant them on host 10000's server with /v1/permission/grant/privilege "
        "(src_party_id 9999, src_role guest: privilege_role, privilege_command, privilege_component) and "
        "/v1/permission/grant (party_id 9999: component, dataset)")
    only_table = permissions.denial(Needs(datasets={HOST_TABLE}), "9999", "guest", "h:1", "run task t", "host", "10000")
    assert only_table.message == ("permission denied: host 10000 has not granted guest 9999 (server h:1) table "
                                  "experiment.breast_hetero_host to run task t; grant them on host 10000's server "
                                  "with /v1/permission/grant (party_id 9999: component, dataset)")
