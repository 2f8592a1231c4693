"""Model identifiers (contract §0.5): model id from the job's roles, model version = training job id."""
from dataclasses import dataclass
from typing import Iterable, Mapping

from fate_flow.entity import identifiers
from fate_flow.entity.errors import MissingParametersError
from fate_flow.dsl.runtime_conf import RuntimeConf


@dataclass(frozen=True)
class ModelInfo:
    model_id: str
    model_version: str


def _party_sort_key(party_id: int | str) -> tuple[int, int | str]:
    text = str(party_id).strip()
    return (0, int(text)) if text.isdigit() else (1, text)


def gen_model_id(roles: Mapping[str, Iterable[int | str]]) -> str:
    """`<role>-<distinct party ids, ascending, joined by _>` per role in role-name order, `#`-joined, + `#model`.

    e.g. {"guest": [9999], "host": [10001, 10000], "arbiter": [10000]} ->
    "arbiter-10000#guest-9999#host-10000_10001#model". Every role counts, `local` included (local-0#model).
    """
    parts = []
    for role in sorted(roles):
        parties = sorted({str(p).strip() for p in roles[role]}, key=_party_sort_key)
        if parties:
            parts.append(f"{role}-{'_'.join(parties)}")
    return "#".join(parts + ["model"])


def model_id_parties(model_id: str) -> set[str]:
    """The party ids a model id names (the inverse of gen_model_id's party lists): `arbiter-10000#guest-9999#model`
    -> {"10000", "9999"}."""
    parties: set[str] = set()
    for part in model_id.split("#")[:-1]:
        _, _, ids = part.partition("-")
        parties.update(p for p in ids.split("_") if p)
    return parties


def gen_party_model_id(model_id: str, role: str, party_id: int | str) -> str:
    """`<role>#<party_id>#<model_id>`: the model's directory name on one party."""
    return f"{role}#{party_id}#{model_id}"


def job_model_info(conf: RuntimeConf, job_id: str) -> ModelInfo:
    """The model a job produces (train: generated id, version = job id) or uses (predict: from the conf)."""
    if conf.job_type == "predict":
        return predict_model_info(conf)
    return ModelInfo(model_id=gen_model_id(conf.roles), model_version=str(job_id))


def predict_model_info(conf: RuntimeConf) -> ModelInfo:
    """model_id and model_version a predict job names (v1: job_parameters; v2: job_parameters.common)."""
    common = conf.common_job_parameters
    missing = [key for key in ("model_id", "model_version") if not common.get(key)]
    if missing:
        raise MissingParametersError(missing)
    return ModelInfo(model_id=identifiers.MODEL_ID.check("job_parameters.model_id", common["model_id"]),
                     model_version=identifiers.MODEL_VERSION.check("job_parameters.model_version",
                                                                   common["model_version"]))
