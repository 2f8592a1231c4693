"""The legacy CLI of FATE-Flow 1.6: `python fate_flow/fate_flow_client.py -f COMMAND [flags]`.

Every flag given is merged into the config (`-c` JSON file) and sent as the request body, as FATE's client
does. Prints the JSON answer; exits 1 when retcode != 0 and 2 when the server cannot be reached.
Each command is one entry of COMMANDS (fate_flow.client.legacy_commands).

Server address: FLOW_IP/FLOW_PORT, else $FATE_DEPLOY_BASE/conf/service_conf.yaml, else $FATE_FLOW_CONF,
else this checkout's conf/service_conf.yaml (`fateflow.host`, `fateflow.http_port`). Requests are signed (FATE-Flow
1.7's scheme) when an app key and its secret are given: $FATE_FLOW_APP_KEY/$FATE_FLOW_SECRET_KEY or
--app_key/--secret_key.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
if __name__ == "__main__" and sys.path and Path(sys.path[0]).resolve() == CHECKOUT / "fate_flow":
    # run as a script: fate_flow/ must not shadow top-level modules, and fate_flow is imported from this checkout
    sys.path[0] = str(CHECKOUT)

from fate_flow.client.http_client import (DownloadFailedError, FlowHttpClient, NotJSONResponseError,  # noqa: E402
                                          ServerUnreachableError)
from fate_flow.client.legacy_commands import COMMANDS, FLAGS, UsageError, load_json_file  # noqa: E402
from fate_flow.client.signing import credentials_from  # noqa: E402


def option_strings(short: str, long: str) -> list[str]:
    """The spellings of one flag: the short one, the long one, and the long one with a single dash, as the
    FATE-Flow CLI guide writes them (`-j -job_id`, `-cpn -component_name`, `-c -config`)."""
    single_dash_long = long[1:]
    return list(dict.fromkeys((short, single_dash_long, long)))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fate_flow_client.py", description="FATE-Flow 1.6 style command line")
    parser.add_argument(*option_strings("-f", "--function"), required=True, choices=sorted(COMMANDS),
                        help="; ".join(f"{name}: {c.help}" for name, c in sorted(COMMANDS.items())))
    for short, long, kind, key in FLAGS:
        parser.add_argument(*option_strings(short, long), type=kind, dest=key)
    # sent as the request's signature, never in its body (prefer the environment: argv is visible to `ps`)
    parser.add_argument("--app_key", "--app-key", dest="app_key",
                        help="sign requests with this app key (else $FATE_FLOW_APP_KEY)")
    parser.add_argument("--secret_key", "--secret-key", dest="secret_key",
                        help="the app key's secret (else $FATE_FLOW_SECRET_KEY)")
    return parser


def build_config(args: argparse.Namespace) -> dict:
    config: dict = load_json_file(args.config, "config file") if args.config else {}
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
    args = build_parser().parse_args(argv)
    host, port = server_address()
    try:
        credentials = credentials_from(args.app_key, args.secret_key)
    except ValueError as e:
        return _fail(str(e))
    client = FlowHttpClient(host, port, credentials=credentials)
    try:
        response = COMMANDS[args.function].run(client, build_config(args))
    except ServerUnreachableError as e:
        print(f"fate_flow_client: {e}; is the server running? (address from FLOW_IP/FLOW_PORT, "
              f"$FATE_DEPLOY_BASE/conf, $FATE_FLOW_CONF or conf/service_conf.yaml)", file=sys.stderr)
        return 2
    except DownloadFailedError as e:
        if e.envelope is None:
            return _fail(str(e))
        response = e.envelope
    except (NotJSONResponseError, UsageError) as e:
        return _fail(str(e))
    print(json.dumps(response, indent=4, ensure_ascii=False))
    return 0 if response.get("retcode") == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
