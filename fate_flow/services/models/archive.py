"""/v1/model/export and /v1/model/import (contract §1.5.4, §1.5.5, §8.7): one party's model version as a zip
(archive root = the version directory's contents) and back.

Export writes the zip to FATE_FLOW_HOME/temp/fate_flow/<party model id>_<version>.zip (aside, then renamed),
where FATE leaves it too, and the answer streams that file.

Import treats the zip as hostile (model_package.unpack_model_zip), and its Pipeline record must parse and
name the requested model id and version, with the party in the requested role. It is unpacked into a
staging directory under temp/, checked, and only then renamed to model_local_cache/<party model id>/<version>;
a refused archive leaves nothing behind. An existing target version is refused (FATE does the same).
"""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import BinaryIO, Iterator

from google.protobuf.message import DecodeError

from fate_flow.db.base import write_transaction
from fate_flow.db.models import MachineLearningModelInfo
from fate_flow.entity.errors import AlreadyExistsError, DataError, FateFlowError, NotFoundError
from fate_flow.entity.home_paths import home_path, shown_home_path
from fate_flow.entity.atomic_files import write_atomically
from fate_flow.model.pipeline import json_field
from fate_flow.model.pipelined_model import PipelinedModel
from fate_flow.proto.pipeline_pb2 import Pipeline
from fate_flow.services.models.local import party_model
from fate_flow.services.models.package import PartyModelRef, install_model_zip, log_party_model_operation, zip_model
from fate_flow.services.models.record import pipeline_model_info
from fate_flow.settings import Settings

# the largest import request body (the zip plus its form fields)
MAX_IMPORT_BYTES = 2 << 30
CHUNK = 1 << 16


def archive_dir(settings: Settings) -> Path:
    """Where exports are left and imports are unpacked before they are moved into place."""
    return settings.temp_dir / "fate_flow"


def export_filename(ref: PartyModelRef) -> str:
    return f"{ref.party_model_id}_{ref.model_version}.zip"


# ---------------------------------------------------------------------------------------------- export
def export_model(settings: Settings, ref: PartyModelRef, request_ip: str = "") -> Path:
    """Zip the party's model version into temp/fate_flow/; returns the zip's path."""
    model = party_model(settings, ref.role, ref.party_id, ref.model_id, ref.model_version)
    if not model.has_pipeline():
        log_party_model_operation("export", ref, request_ip, ok=False)
        raise NotFoundError(f"Model {ref} is not exist.")
    target = home_path(archive_dir(settings), export_filename(ref))
    write_atomically(target, zip_model(model.root), fsync=True)
    log_party_model_operation("export", ref, request_ip, ok=True)
    return target


def file_chunks(path: Path) -> Iterator[bytes]:
    """The file's bytes in chunks, read from a handle opened now (a later replacement of the file by another
    export does not change what this answer sends)."""
    f = open(path, "rb")

    def chunks() -> Iterator[bytes]:
        with f:
            while chunk := f.read(CHUNK):
                yield chunk

    return chunks()


# ---------------------------------------------------------------------------------------------- import
def import_model(settings: Settings, ref: PartyModelRef, upload: BinaryIO, request_ip: str = "") -> PipelinedModel:
    """Unpack the uploaded export zip as `ref`'s model version and record it (f_imported = 1)."""
    try:
        model = _import(settings, ref, upload)
    except FateFlowError:
        log_party_model_operation("import", ref, request_ip, ok=False)
        raise
    _record_imported(ref, model)
    log_party_model_operation("import", ref, request_ip, ok=True)
    return model


def _import(settings: Settings, ref: PartyModelRef, upload: BinaryIO) -> PipelinedModel:
    target = party_model(settings, ref.role, ref.party_id, ref.model_id, ref.model_version).root
    if target.exists():
        raise AlreadyExistsError(f"Model {ref} local cache already existed at "
                                 f"{shown_home_path(target, settings.home)}; import refused")
    staging = archive_dir(settings) / f".import-{uuid.uuid4().hex}"
    install_model_zip(upload, staging, target, str(ref), "import",
                      check=lambda staged: check_pipeline(PipelinedModel(staged), ref))
    return PipelinedModel(target)


def check_pipeline(model: PipelinedModel, ref: PartyModelRef) -> Pipeline:
    """The unpacked Pipeline record must parse and be the model the request names, with the party among the
    model's parties of that role (an import never changes ids, §8.7)."""
    try:
        pipeline = model.read_pipeline()
        roles = json_field(pipeline, "roles")
    except (DecodeError, ValueError) as e:
        raise DataError(f"model archive of {ref} has a corrupt Pipeline record: {e}; import refused") from None
    if (pipeline.model_id, pipeline.model_version) != (ref.model_id, ref.model_version):
        raise DataError(f"model archive holds model {pipeline.model_id} {pipeline.model_version}, not the "
                        f"requested {ref.model_id} {ref.model_version}; import refused")
    parties = [str(p) for p in (roles.get(ref.role) or [])] if isinstance(roles, dict) else []
    if ref.party_id not in parties:
        raise FateFlowError(f"party id {ref.party_id} is not in model roles ({ref.role}: {parties}), please check "
                            f"if the party id is valid.")
    return pipeline


def _record_imported(ref: PartyModelRef, model: PipelinedModel) -> None:
    """A model-info row marked imported, unless the model already has one on this party."""
    values = pipeline_model_info(model.read_pipeline(), ref.role, ref.party_id, model.size_kb())
    values.update(f_imported=1)
    M = MachineLearningModelInfo
    with write_transaction():
        M.insert(**values, **M.audit_values()).on_conflict_ignore().execute()
