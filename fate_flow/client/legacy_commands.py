"""The commands of the legacy CLI (fate_flow/fate_flow_client.py): what each `-f NAME` sends through the HTTP
client, and the flags that become keys of the request body."""
from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from fate_flow.entity.deploy_keys import CLIENT_FILE_KEYS, DEPLOY_REQUEST_KEYS

CHECKOUT = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True)
class Command:
    run: Callable[["object", dict], dict]  # (FlowHttpClient, config) -> envelope
    help: str


class UsageError(Exception):
    """A command cannot be sent as given (missing flag, unreadable file); printed as a retcode 100 envelope."""


def _require(config: dict, *keys: str) -> None:
    missing = [f"{FLAG_OF.get(k, k)} {k}" for k in keys if config.get(k) in (None, "")]
    if missing:
        raise UsageError("the following arguments are required: " + ", ".join(missing))


def _json_command(method_name: str, help_text: str, drop_keys: tuple[str, ...] = (),
                  required: tuple[str, ...] = ()) -> Command:
    def run(client, config: dict) -> dict:
        _require(config, *required)
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


def _submit_job(client, config: dict) -> dict:
    """POST job/submit {job_dsl, job_runtime_conf}; the runtime conf is the whole config, as FATE sends it.
    -d may be left out only for a v1 predict job (its DSL comes from the model)."""
    _require(config, "config")
    if config.get("dsl"):
        dsl = load_json_file(config["dsl"], "dsl file")
    elif _is_v1_predict(config):
        dsl = {}
    else:
        raise UsageError("the following arguments are required: -d dsl (only a dsl_version 1 predict job, "
                         "job_parameters.job_type = predict, may leave it out)")
    return client.job_submit(dsl, config)


def _is_v1_predict(conf: dict) -> bool:
    parameters = conf.get("job_parameters")
    return (str(conf.get("dsl_version", 1)) == "1" and isinstance(parameters, dict)
            and parameters.get("job_type") == "predict")


def _clean_queue(client, config: dict) -> dict:
    return client.job_clean_queue()


def _job_config(client, config: dict) -> dict:
    """Writes <output_path>/job_<job_id>_config/{dsl,runtime_conf,train_runtime_conf,model_info}.json."""
    _require(config, "job_id", "role", "party_id", "output_path")
    response = client.job_config(config)
    if response.get("retcode") != 0:
        return response
    directory = Path(config["output_path"]) / f"job_{config['job_id']}_config"
    directory.mkdir(parents=True, exist_ok=True)
    data = response.get("data") or {}
    for key, value in data.items():
        if key != "job_id":
            (directory / f"{key}.json").write_text(json.dumps(value, indent=4), encoding="utf-8")
    shown = {k: v for k, v in data.items() if k not in ("dsl", "runtime_conf")}
    return {"retcode": 0, "retmsg": f"download successfully, please check {directory} directory",
            "directory": str(directory), "data": shown}


def _job_log(client, config: dict) -> dict:
    """Extracts the job's log archive into <output_path>/job_<job_id>_log/."""
    _require(config, "job_id", "output_path")
    return _extract_download(client.job_log, config, f"job_{config['job_id']}_log")


def _component_output_data(client, config: dict) -> dict:
    """Extracts the component's output data (<name>.csv + <name>.meta) into
    <output_path>/job_<job_id>_<component>_<role>_<party_id>_output_data/."""
    _require(config, "job_id", "component_name", "role", "party_id", "output_path")
    return _extract_download(client.tracking_output_data_download, config,
                             f"job_{config['job_id']}_{config['component_name']}_{config['role']}_"
                             f"{config['party_id']}_output_data")


def _extract_download(fetch, config: dict, directory_name: str) -> dict:
    """Save the archive `fetch(config, output_path)` sends, extract it into output_path/directory_name and
    remove the archive."""
    output = Path(config["output_path"])
    directory = output / directory_name
    archive = fetch(config, output)
    try:
        extract_archive(archive, directory)
    finally:
        archive.unlink(missing_ok=True)
    return {"retcode": 0, "retmsg": f"download successfully, please check {directory} directory",
            "directory": str(directory)}


def _component_metric_delete(client, config: dict) -> dict:
    if not config.get("job_id") and not config.get("model"):
        raise UsageError("the following arguments are required: -j job_id (or -m YYYYMMDD)")
    return client.tracking_metric_delete(config)


def extract_archive(archive: Path, directory: Path) -> None:
    """Extract a tar.gz; members that would land outside `directory` (absolute, `..`, links) are refused."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(directory, filter="data")
    except (tarfile.TarError, OSError, EOFError) as e:
        raise UsageError(f"cannot extract {archive.name}: {e}") from None


def _model_export(client, config: dict) -> dict:
    """Saves the party's model zip as <output_path>/<role>#<party_id>#<model_id>_<model_version>.zip."""
    _require(config, "model_id", "model_version", "role", "party_id", "output_path")
    archive = client.model_export(config, Path(config["output_path"]))
    return {"retcode": 0, "retmsg": f"download successfully, please check {archive}", "file": str(archive)}


def _model_import(client, config: dict) -> dict:
    """Uploads the zip named by `file` (relative: to the deployment root, as FATE does) with the config as
    form fields."""
    _require(config, "model_id", "model_version", "role", "party_id", "file")
    path = Path(config["file"]).expanduser()
    if not path.is_absolute():
        path = CHECKOUT / path
    if not path.is_file():
        raise UsageError(f"file {path} does not exist or is not a file")
    return client.model_import(dict(config, file=str(path)), path)


def _tag_model(client, config: dict) -> dict:
    """Attach the conf's tag_name to model version -j; with `remove: true` in the conf, detach it."""
    _require(config, "job_id")
    remove = str(config.get("remove", "")).strip().lower() in ("1", "true")
    return client.model_tag_remove(config) if remove else client.model_tag_create(config)


# keys this CLI adds to every config for itself; they are not deploy parameters
CLI_KEYS = ("function", "config")


def _deploy(client, config: dict) -> dict:
    """POST model/deploy with the conf's model_id, model_version and at most one of cpn_list, cpn_path (a text
    file listing components), dsl_path (a predict DSL file) or predict_dsl. Files are read here, on the client,
    and sent as cpn_list / predict_dsl; any other key is sent as given (the server refuses unknown ones)."""
    _require(config, "config")
    missing = [k for k in ("model_id", "model_version") if config.get(k) in (None, "")]
    if missing:
        raise UsageError(f"the deploy conf {config['config']} must give {', '.join(missing)}")
    body = {k: v for k, v in config.items() if k not in CLI_KEYS}
    choices = [k for k in DEPLOY_REQUEST_KEYS if k not in ("model_id", "model_version")] + list(CLIENT_FILE_KEYS)
    chosen = [k for k in choices if body.get(k) not in (None, "", [], {})]
    if len(chosen) > 1:
        raise UsageError(f"the deploy conf gives {', '.join(chosen)}: give only one of {', '.join(choices)}")
    for file_key, sent_as in CLIENT_FILE_KEYS.items():
        if file_key not in body:
            continue
        path = body.pop(file_key)
        if path in (None, ""):
            continue
        if sent_as == "predict_dsl":
            body[sent_as] = load_json_file(path, f"{file_key} file")
        else:
            body[sent_as] = _read_text_file(path, f"{file_key} file")
    return client.model_deploy(body)


def _read_text_file(path: str, what: str) -> str:
    try:
        with open(path, "r", encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise UsageError(f"cannot read {what} {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{what} {path} is not UTF-8 text") from None
    if not text.strip():
        raise UsageError(f"{what} {path} is empty")
    return text.strip()


TRACKING_FLAGS = ("job_id", "role", "party_id", "component_name")

COMMANDS: dict[str, Command] = {
    "job_summary": _json_command("tracking_job_summary", "a job at a glance: status per party, each component's "
                                 "status, duration and key metrics (-j [-r -p])", required=("job_id",)),
    "component_parameters": _json_command("tracking_parameters", "a component's effective parameters "
                                          "(-j -r -p -cpn)", required=TRACKING_FLAGS),
    "component_metric_all": _json_command("tracking_metric_all", "all metrics of a component (-j -r -p -cpn)",
                                          required=TRACKING_FLAGS),
    "component_metrics": _json_command("tracking_metrics", "a component's metric names (-j -r -p -cpn)",
                                       required=TRACKING_FLAGS),
    "component_metric_delete": Command(_component_metric_delete, "delete a job's metrics (-j)"),
    "component_output_model": _json_command("tracking_output_model", "a component's model (-j -r -p -cpn)",
                                            required=TRACKING_FLAGS),
    "component_output_data": Command(_component_output_data, "download a component's output data "
                                     "(-j -r -p -cpn -o [-limit n])"),
    "component_output_data_table": _json_command("tracking_output_data_table", "a component's output tables "
                                                 "(-j -r -p -cpn)", required=TRACKING_FLAGS),
    "upload": Command(_upload, "upload a CSV file into a table (-c conf [-drop 1: replace the table, 0: write the "
                      "rows into it])"),
    "download": _json_command("download", "write a table to a file on the server (-c conf)"),
    "upload_history": _json_command("upload_history", "list uploads ([-j job_id] [-limit n])"),
    "table_info": _json_command("table_info", "show a table (-n namespace -t table_name)"),
    "table_delete": _json_command("table_delete", "delete a table (-n -t) or a job's tables (-j)"),
    "table_add": _json_command("table_add", "register existing data as a table (-c conf)"),
    "table_bind": _json_command("table_bind", "same as table_add"),
    "submit_job": Command(_submit_job, "submit a job (-c runtime conf -d dsl)"),
    "stop_job": _json_command("job_stop", "stop a job (-j job_id)", required=("job_id",)),
    "query_job": _json_command("job_query", "query jobs (-j -r -p -s)", drop_keys=("f_runtime_conf", "f_dsl")),
    "clean_job": _json_command("job_clean", "clean ended jobs' tasks, tables and metrics ([-j -r -p -cpn])"),
    "clean_queue": Command(_clean_queue, "cancel every waiting job this server initiated"),
    "data_view_query": _json_command("job_data_view_query", "a job's output data tables (-j [-r -p -cpn])"),
    "job_config": Command(_job_config, "save a job's dsl and confs (-j -r -p -o)"),
    "job_log": Command(_job_log, "save a job's logs (-j -o)"),
    "query_task": _json_command("task_query", "query tasks (-j -cpn -r -p -s)"),
    "store": _json_command("model_store", "store a party's model version in the model store (-c conf: model_id, "
                           "model_version, role, party_id [force_update])"),
    "restore": _json_command("model_restore", "restore a party's model version from the model store (-c conf: "
                             "model_id, model_version, role, party_id)"),
    "export": Command(_model_export, "save a party's model version as a zip (-c conf: model_id, model_version, "
                      "role, party_id, output_path)"),
    "import": Command(_model_import, "import a model zip made by export (-c conf: model_id, model_version, role, "
                      "party_id, file)"),
    "deploy": Command(_deploy, "deploy a trained model as a child version to predict with (-c conf: model_id, "
                      "model_version and one of cpn_list, cpn_path (a file listing components), dsl_path (a predict "
                      "DSL file), predict_dsl)"),
    "load": _json_command("model_load", "publish a deployed model to the FATE-Serving of every party (-c conf: "
                          "initiator, role, job_parameters {model_id, model_version}; or -j model version)"),
    "bind": _json_command("model_bind", "bind a service id to a model at FATE-Serving (-c conf: service_id, "
                          "initiator, role, job_parameters [servings]; or with -j model version)"),
    "unload": _json_command("model_unload", "unload a party's model from FATE-Serving (-c conf: model_id, "
                            "model_version, role, party_id [servings])"),
    "unbind": _json_command("model_unbind", "unbind a service id from a party's model at FATE-Serving (-c conf: "
                            "model_id, model_version, role, party_id, service_id [servings])"),
    "tag_model": Command(_tag_model, "tag a model version (-j model version, -c conf: tag_name [remove: true])"),
    "model_tag_list": _json_command("model_tag_retrieve", "the tags of a model version (-j model version)",
                                    required=("job_id",)),
    "tag_create": _json_command("tag_create", "create a tag (-c conf: tag_name [tag_desc])"),
    "tag_query": _json_command("tag_retrieve", "show a tag (-c conf: tag_name [with_model])"),
    "tag_update": _json_command("tag_update", "rename or describe a tag (-c conf: tag_name [new_tag_name] "
                                "[new_tag_desc])"),
    "tag_delete": _json_command("tag_destroy", "delete a tag (-c conf: tag_name)"),
    "tag_list": _json_command("tag_list", "list tags (-limit n)", required=("limit",)),
    "grant_privilege": _json_command("permission_grant_privilege", "let a partner on another server take roles, "
                                     "send commands, run components here (-src_party_id -src_role [-privilege_role] "
                                     "[-privilege_command] [-privilege_component]: comma lists or all)",
                                     required=("src_party_id", "src_role")),
    "delete_privilege": _json_command("permission_delete_privilege", "take back what grant_privilege granted "
                                      "(same flags)", required=("src_party_id", "src_role")),
    "query_privilege": _json_command("permission_query_privilege", "what a partner may do here (-src_party_id "
                                     "-src_role)", required=("src_party_id", "src_role")),
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

FLAG_OF = {key: short for short, _, _, key in FLAGS}


def load_json_file(path: str, what: str) -> dict:
    try:
        with open(path, "r", encoding="utf-8") as f:
            value = json.load(f)
    except OSError as e:
        raise UsageError(f"cannot read {what} {path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise UsageError(f"{what} {path} is not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{what} {path} must hold a JSON object")
    return value
