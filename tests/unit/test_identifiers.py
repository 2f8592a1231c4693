"""The identifier patterns (entity/identifiers), the one helper that builds paths under the server's directories
(entity/home_paths), and the settings of the `limits:` section."""
from __future__ import annotations

import os

import pytest

from fate_flow.entity import identifiers as ids
from fate_flow.entity.home_paths import PathOutsideRootError, home_path
from fate_flow.entity.json_values import check_values
from fate_flow.entity.errors import InvalidParameterError
from fate_flow.entity.retcode import RetCode
from fate_flow.dsl.model_id import gen_model_id
from fate_flow.settings import LimitSettings, SettingsError, settings_from_dict

TRAVERSALS = ["..", ".", "../x", "a/b", "a\\b", "/etc", "x\x00y", "a\nb"]


def test_what_the_server_and_fate_generate_is_accepted():
    job_id = "2021033112000012345600"  # what services.context.JobIdGenerator makes: 20 digits of time + 2
    assert ids.JOB_ID.check("job_id", job_id) == job_id
    assert ids.JOB_ID.check("job_id", "202103311200000123451") == "202103311200000123451"
    model_id = gen_model_id({"guest": [9999], "host": [10001, 10000], "arbiter": [10000]})
    assert ids.MODEL_ID.check("model_id", model_id) == "arbiter-10000#guest-9999#host-10000_10001#model"
    assert ids.MODEL_ID.check("model_id", "local-0#model") == "local-0#model"
    for version in (job_id, "20200901_0001", 202103311200000123451, "v1.2"):
        assert ids.MODEL_VERSION.check("model_version", version) == str(version)
    assert ids.TABLE_NAMESPACE.check("namespace", f"output_data_{job_id}_hetero_lr_0_0")
    assert ids.TABLE_NAME.check("table_name", "0d3bfcb8a1d511eb9a4b0242ac110002")
    assert ids.COMPONENT_NAME.check("component_name", "hetero-lr_0") == "hetero-lr_0"
    assert ids.TASK_ID.check("task_id", f"{job_id}_reader_0")
    assert ids.check_party_id("party_id", " 9999 ") == "9999" and ids.check_party_id("party_id", -1) == "-1"
    assert ids.check_task_version("task_version", "3") == 3
    assert ids.check_file_name("filename", "预测 dsl.json") == "预测 dsl.json"
    assert ids.check_party_model_id("namespace", "guest#9999#arbiter-10000#guest-9999#host-10000#model") == (
        "guest", "9999", "arbiter-10000#guest-9999#host-10000#model")


@pytest.mark.parametrize("kind", [ids.JOB_ID, ids.ROLE, ids.MODEL_ID, ids.MODEL_VERSION, ids.COMPONENT_NAME,
                                  ids.TASK_ID, ids.TABLE_NAMESPACE, ids.TABLE_NAME, ids.FILE_NAME])
@pytest.mark.parametrize("value", TRAVERSALS)
def test_nothing_that_could_name_another_directory_is_an_identifier(kind, value):
    with pytest.raises(ids.IdentifierError) as error:
        kind.check("f", value)
    assert error.value.retcode == RetCode.PARAMETER_ERROR and error.value.field == "f"
    assert error.value.message.startswith(f"parameter f must be {kind.what}")


def test_lengths_types_and_ranges():
    with pytest.raises(ids.IdentifierError, match="a job id of at most 25 characters, got 26"):
        ids.JOB_ID.check("job_id", "1" * 26)
    with pytest.raises(ids.IdentifierError, match="a model id of at most 40 characters, got 41"):
        ids.MODEL_ID.check("model_id", "m" * 41, max_length=40)
    with pytest.raises(ids.IdentifierError, match=r"a role \(a string\), got int"):
        ids.ROLE.check("role", 1)
    with pytest.raises(ids.IdentifierError, match="at most 10 digits"):
        ids.check_party_id("party_id", 10 ** 10)
    with pytest.raises(ids.IdentifierError, match="between 0 and 2147483647"):
        ids.check_task_version("task_version", 2 ** 31)
    with pytest.raises(ids.IdentifierError, match="at most 255 bytes"):
        ids.check_file_name("filename", "名" * 100)  # 100 characters, 300 bytes
    with pytest.raises(ids.IdentifierError, match=r"\.\.\. \(1000000 characters\)"):
        ids.TAG_NAME.check("tag_name", "\n" * 1_000_000, max_length=2_000_000)


def test_check_fields_checks_known_fields_and_leaves_maps_to_their_parsers():
    ids.check_fields({"job_id": "202101010000000000000", "role": {"guest": [9999]}, "party_id": None,
                      "unknown": "../x"})
    with pytest.raises(ids.IdentifierError, match="parameter initiator_party_id"):
        ids.check_fields({"initiator_party_id": "12a"})
    with pytest.raises(ids.IdentifierError, match="parameter unify_model_version"):
        ids.check_fields({"unify_model_version": "../v"})


def test_json_values_walk_names_the_path():
    check_values({"a": [1, 2.5, "x", None, True, {"b": -2 ** 63}]}, 10)
    for body, message in (({"a": [{"b": 2 ** 63}]}, "parameter a[0].b must be a number between"),
                          ({"a": {"b": float("nan")}}, "parameter a.b must be a finite number"),
                          ({"a": ["\udc80"]}, "parameter a[0]: a string holds a lone surrogate"),
                          ({"a": [[[1]]]}, "parameter a[0][0] is nested deeper than the limit of 3 levels")):
        with pytest.raises(InvalidParameterError, match=message.replace("[", r"\[").replace("]", r"\]")):
            check_values(body, 3)


def test_home_path_builds_under_its_root_and_refuses_anything_else(tmp_path):
    root = tmp_path / "jobs"
    root.mkdir()
    assert home_path(root, "202101010000000000000", "guest", 9999, "reader_0") == \
        root / "202101010000000000000" / "guest" / "9999" / "reader_0"
    for part in [p for p in TRAVERSALS if p != "a\nb"] + [""]:  # a line break is no path separator
        with pytest.raises(PathOutsideRootError) as error:
            home_path(root, "ok", part)
        assert str(tmp_path) not in error.value.message and error.value.retcode == RetCode.PARAMETER_ERROR
    (tmp_path / "keys").mkdir()
    os.symlink(tmp_path / "keys", root / "planted")
    with pytest.raises(PathOutsideRootError, match=r"'planted/9999.pem' leads outside jobs/"):
        home_path(root, "planted", "9999.pem")


def test_home_path_allows_a_root_that_is_itself_a_symlink(tmp_path):
    real = tmp_path / "big_disk" / "jobs"
    real.mkdir(parents=True)
    os.symlink(real, tmp_path / "jobs")
    assert home_path(tmp_path / "jobs", "j1") == tmp_path / "jobs" / "j1"


def test_limits_section_defaults_and_checks(tmp_path):
    assert settings_from_dict({}, tmp_path / "c.yaml", tmp_path).limits == LimitSettings()
    limits = settings_from_dict({"limits": {"json_depth": 20, "list_limit": 500}}, tmp_path / "c.yaml", tmp_path).limits
    assert (limits.json_depth, limits.list_limit, limits.id_length) == (20, 500, 100)
    for section, message in (({"id_length": 101}, "limits.id_length must be at most 100"),
                             ({"json_depth": 2}, "limits.json_depth must be at least 8"),
                             ({"list_limit": "many"}, "limits.list_limit must be an integer"),
                             ({"list_limit": 5}, "limits.default_list_limit (10) must not exceed limits.list_limit")):
        with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
            settings_from_dict({"limits": section}, tmp_path / "c.yaml", tmp_path)
