"""The legacy CLI's flags as the FATE-Flow CLI guide (seed document 001) writes them: the short flag, the long
one with two dashes and the long one with a single dash (`-j -job_id`, `-cpn --component_name`, `-drop --drop`)."""
import json

import pytest

from fate_flow.fate_flow_client import build_config, build_parser

# every flag spelling the guide shows, with the body key it fills and a value to give it
SEED_FLAGS = [
    ("-c", "config"), ("-config", "config"), ("--config", "config"),
    ("-d", "dsl"), ("-dsl", "dsl"),
    ("-j", "job_id"), ("-job_id", "job_id"), ("--job_id", "job_id"),
    ("-r", "role"), ("-role", "role"), ("--role", "role"),
    ("-p", "party_id"), ("-party_id", "party_id"), ("--party_id", "party_id"),
    ("-s", "status"), ("-status", "status"),
    ("-cpn", "component_name"), ("-component_name", "component_name"), ("--component_name", "component_name"),
    ("-o", "output_path"), ("-output_path", "output_path"), ("--output_path", "output_path"),
    ("-limit", "limit"), ("--limit", "limit"),
    ("-drop", "drop"), ("--drop", "drop"),
    ("-n", "namespace"), ("--namespace", "namespace"),
    ("-t", "table_name"), ("--table_name", "table_name"),
]


@pytest.mark.parametrize("flag, key", SEED_FLAGS)
def test_every_spelling_the_guide_shows_fills_its_key(flag, key, tmp_path):
    conf = tmp_path / "conf.json"
    conf.write_text(json.dumps({"from_conf": 1}))
    value = {"limit": "5", "config": str(conf), "output_path": str(tmp_path)}.get(key, "v")
    args = build_parser().parse_args(["-f", "query_job", flag, value])
    config = build_config(args)
    assert config[key] == (5 if key == "limit" else value)


@pytest.mark.parametrize("function_flag", ["-f", "-function", "--function"])
def test_the_guides_examples_parse_as_written(function_flag, tmp_path):
    """Lines of the guide, with its $placeholders filled."""
    parser = build_parser()
    args = parser.parse_args([function_flag, "component_output_data", "-job_id", "202101011200000000001",
                              "-role", "guest", "-party_id", "9999", "-component_name", "hetero_lr_0",
                              "-output_path", str(tmp_path), "-limit", "10"])
    assert (args.function, args.job_id, args.role, args.party_id, args.component_name, args.limit) == (
        "component_output_data", "202101011200000000001", "guest", "9999", "hetero_lr_0", 10)
    args = parser.parse_args(["-f", "upload", "-c", "examples/upload_guest.json", "-drop", "0"])
    assert (args.config, args.drop) == ("examples/upload_guest.json", "0")
    args = parser.parse_args(["-f", "submit_job", "-config", "conf.json", "-dsl", "dsl.json"])
    assert (args.config, args.dsl) == ("conf.json", "dsl.json")
    # the short forms still take their value attached, as argparse always allowed
    args = parser.parse_args(["-fquery_job", "-j202101011200000000001"])
    assert (args.function, args.job_id) == ("query_job", "202101011200000000001")
