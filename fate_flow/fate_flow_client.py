"""The legacy CLI of FATE-Flow 1.6: `python fate_flow/fate_flow_client.py -f COMMAND [flags]`.

Every flag given is merged into the config (`-c` JSON file) and sent as the request body, as FATE's client
does. Prints the JSON answer; exits 1 when retcode != 0 and 2 when the server cannot be reached.
Each command is one entry of COMMANDS.

Server address: FLOW_IP/FLOW_PORT, else $FATE_DEPLOY_BASE/conf/service_conf.yaml, else $FATE_FLOW_CONF,
else this checkout's conf/service_conf.yaml (`fateflow.host`, `fateflow.http_port`).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

CHECKOUT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Command:
    run: Callable[["object", dict], dict]  # (FlowHttpClient, config) -> envelope
    help: str


def _json_command(method_name: str, help_text: str, drop_keys: tuple[str, ...] = ()) -> Command:
    def run(client, config: dict) -> dict:
        response = getattr(client, method_name)(config)
        rows = response.get("data")
        if drop_keys and isinstance(rows, list):
            for row in rows:
                for key in drop_keys:
                    if isinstance(row, dict):
                        row.pop(key, None)
        return response
    return Command(run, help_text)


def _upload(client, config: dict) -> dict:
    if str(config.get("use_local_data", 1)) == "0":
        return client.upload(config)
    file = config.get("file")
    if not file:
        return {"retcode": 100, "retmsg": "required parameters are missing: file;"}
    path = Path(file).expanduser()
    if not path.is_absolute():
        path = CHECKOUT / path  # FATE resolves relative upload paths against the deployment root
    if not path.is_file():
        return {"retcode": 100, "retmsg": f"file {path} does not exist or is not a file"}
    config["file"] = str(path)
    return client.upload(config, path)


COMMANDS: dict[str, Command] = {
    "upload": Command(_upload, "upload a CSV file into a table (-c conf [-drop 1])"),
    "download": _json_command("download", "write a table to a file on the server (-c conf)"),
    "upload_history": _json_command("upload_history", "list uploads ([-j job_id] [-limit n])"),
    "table_info": _json_command("table_info", "show a table (-n namespace -t table_name)"),
    "table_delete": _json_command("table_delete", "delete a table (-n -t) or a job's tables (-j)"),
    "table_add": _json_command("table_add", "register existing data as a table (-c conf)"),
    "table_bind": _json_command("table_bind", "same as table_add"),
    "query_job": _json_command("job_query", "query jobs (-j -r -p -s)", drop_keys=("f_runtime_conf", "f_dsl")),
}

# short flag, long flag, type, body key
FLAGS = (
    ("-c", "--config", str, "config"), ("-d", "--dsl", str, "dsl"), ("-j", "--job_id", str, "job_id"),
    ("-p", "--party_id", str, "party_id"), ("-r", "--role", str, "role"),
    ("-cpn", "--component_name", str, "component_name"), ("-s", "--status", str, "status"),
    ("-n", "--namespace", str, "namespace"), ("-t", "--table_name", str, "table_name"),
    ("-w", "--work_mode", int, "work_mode"), ("-i", "--file", str, "file"), ("-o", "--output_path", str, "output_path"),
    ("-m", "--model", str, "model"), ("-drop", "--drop", str, "drop"), ("-limit", "--limit", int, "limit"),
    ("-verbose", "--verbose", int, "verbose"), ("-src_party_id", "--src_party_id", str, "src_party_id"),
    ("-src_role", "--src_role", str, "src_role"), ("-privilege_role", "--privilege_role", str, "privilege_role"),
    ("-privilege_command", "--privilege_command", str, "privilege_command"),
    ("-privilege_component", "--privilege_component", str, "privilege_component"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fate_flow_client.py", description="FATE-Flow 1.6 style command line")
    parser.add_argument("-f", "--function", required=True, choices=sorted(COMMANDS),
                        help="; ".join(f"{name}: {c.help}" for name, c in sorted(COMMANDS.items())))
    for short, long, kind, key in FLAGS:
        parser.add_argument(short, long, type=kind, dest=key)
    return parser


def build_config(args: argparse.Namespace) -> dict:
    config: dict = {}
    if args.config:
        try:
            with open(args.config, "r", encoding="utf-8") as f:
                config = json.load(f)
        except OSError as e:
            raise SystemExit(_fail(f"cannot read config file {args.config}: {e.strerror}"))
        except json.JSONDecodeError as e:
            raise SystemExit(_fail(f"config file {args.config} is not valid JSON: {e}"))
        if not isinstance(config, dict):
            raise SystemExit(_fail(f"config file {args.config} must hold a JSON object"))
    for _, _, _, key in FLAGS:
        value = getattr(args, key)
        if value is not None:
            config[key] = value
    if config.get("output_path"):
        config["output_path"] = os.path.abspath(config["output_path"])
    config["function"] = args.function
    return config


def server_address(env: dict | None = None) -> tuple[str, int]:
    env = os.environ if env is None else env
    if env.get("FLOW_IP") and env.get("FLOW_PORT"):
        return env["FLOW_IP"], int(env["FLOW_PORT"])
    candidates = []
    if env.get("FATE_DEPLOY_BASE"):
        candidates.append(Path(env["FATE_DEPLOY_BASE"]) / "conf" / "service_conf.yaml")
    if env.get("FATE_FLOW_CONF"):
        candidates.append(Path(env["FATE_FLOW_CONF"]))
    candidates.append(CHECKOUT / "conf" / "service_conf.yaml")
    import yaml
    for path in candidates:
        if path.is_file():
            flow = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("fateflow") or {}
            return str(flow.get("host", "127.0.0.1")), int(flow.get("http_port", 9380))
    return "127.0.0.1", 9380


def _fail(message: str) -> int:
    print(json.dumps({"retcode": 100, "retmsg": message}, indent=4))
    return 1


def main(argv: list[str] | None = None) -> int:
    from fate_flow.client.http_client import FlowHttpClient, NotJSONResponseError, ServerUnreachableError
    args = build_parser().parse_args(argv)
    config = build_config(args)
    host, port = server_address()
    client = FlowHttpClient(host, port)
    try:
        response = COMMANDS[args.function].run(client, config)
    except ServerUnreachableError as e:
        print(f"fate_flow_client: {e}; is the server running? (address from FLOW_IP/FLOW_PORT, "
              f"$FATE_DEPLOY_BASE/conf, $FATE_FLOW_CONF or conf/service_conf.yaml)", file=sys.stderr)
        return 2
    except NotJSONResponseError as e:
        return _fail(str(e))
    print(json.dumps(response, indent=4, ensure_ascii=False))
    return 0 if response.get("retcode") == 0 else 1


if __name__ == "__main__":
    # run as a script, the directory of this file (fate_flow/) must not shadow top-level modules
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        sys.path[0] = str(CHECKOUT)
    sys.exit(main())
