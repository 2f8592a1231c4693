"""Upload and download, each run as a one-task job of role `local`, party 0 (contract §1.1, §6.3, §6.4).

Uploads are written into a fresh table directory and the table meta is switched to it in one database
transaction only after every row is on disk: a failed upload leaves no table behind and never damages the
table it was meant to replace.

Into an existing table (the API guide's `drop`): 1 replaces the table; 0 writes the file's rows into it (a row
whose id the table has replaces that row where it stands, new ids are added after the table's rows), through a
fresh copy switched in the same way, so a failed one leaves the table as it was; anything else is refused.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from fate_flow.components.download import write_csv
from fate_flow.components.upload import CsvSource, load_csv
from fate_flow.computing.storage.standalone import ENGINE, STORAGE_TYPE, StandaloneTable
from fate_flow.db.base import write_transaction
from fate_flow.db.models import StorageTableMeta, UploadHistory
from fate_flow.entity.errors import AlreadyExistsError, DataError, FateFlowError, ParameterError
from fate_flow.entity.home_paths import home_path
from fate_flow.entity.status import JobStatus
from fate_flow.services.runtime import Runtime
from fate_flow.services.data import table_meta as tables
from fate_flow.services.data.table_meta import TableMeta
from fate_flow.services.files.file_access import FileAccess
from fate_flow.services.jobs.job_locations import submit_response
from fate_flow.services.jobs.local_jobs import LOCAL_MODEL_ID, LOCAL_PARTY_ID, LOCAL_ROLE, LocalJob, create_local_job
from fate_flow.services.jobs.status_updates import update_job_progress, update_job_status, update_task_status
from fate_flow.services.tracking import records as tracking

LOG = logging.getLogger(__name__)

TABLE_EXISTS_MSG = ("The data table already exists.If you still want to continue uploading, please add the "
                    "parameter -drop. 0 means not to delete and continue uploading, 1 means to upload again after "
                    "deleting the table")


# what an upload does to a table that exists already (the request's `drop`: 1, 0, anything else)
REPLACE, WRITE_INTO, REFUSE = "replace", "write_into", "refuse"
MERGE_FLUSH_ROWS = 10_000  # rows buffered between writes while copying a table


def existing_table_rule(drop: int | None) -> str:
    return {1: REPLACE, 0: WRITE_INTO}.get(drop, REFUSE)


@dataclass(frozen=True)
class UploadRequest:
    namespace: str
    name: str
    head: bool
    partitions: int
    id_delimiter: str = ","
    if_exists: str = REFUSE
    description: str = ""


@dataclass(frozen=True)
class DownloadRequest:
    namespace: str
    name: str
    output_path: str
    delimiter: str = ","


def upload(ctx: Runtime, req: UploadRequest, file: Path, display_name: str = "") -> dict:
    """Load `file` into table (namespace, name) and return the response `data`. The caller owns `file`."""
    if tables.get_meta(req.namespace, req.name) is not None and req.if_exists == REFUSE:
        raise AlreadyExistsError(TABLE_EXISTS_MSG)
    job = LocalJob(ctx.job_ids.next_id(), "upload_0", "Upload", {
        "file": display_name or str(file), "head": int(req.head), "partition": req.partitions,
        "namespace": req.namespace, "name": req.name, "id_delimiter": req.id_delimiter,
        "destroy": req.if_exists == REPLACE, "write_into_existing": req.if_exists == WRITE_INTO})
    source = CsvSource(file, req.head, req.id_delimiter, display_name)
    with _LocalJobRun(ctx, job, req.description) as run:
        table = ctx.store.create(req.partitions)
        written = [table]  # every table directory this upload made; all but the one switched in are removed
        try:
            writer = table.writer(ordered=True)
            try:
                result = load_csv(
                    source, writer, ctx.codec,
                    sample_rows=ctx.settings.storage.sample_rows, batch_bytes=ctx.settings.storage.batch_bytes,
                    on_progress=lambda done, total: run.progress(min(99, done * 100 // max(total, 1))))
                writer.close()
            except BaseException:
                writer.abort()
                raise
            meta = TableMeta(
                namespace=req.namespace, name=req.name, engine=ENGINE, storage_type=STORAGE_TYPE,
                address=ctx.store.address_of(table, req.namespace, req.name), partitions=req.partitions,
                schema=result.schema, count=result.count, part_of_data=result.part_of_data,
                id_delimiter=req.id_delimiter, have_head=req.head, in_serialized=True)
            existing = tables.get_meta(req.namespace, req.name) if req.if_exists == WRITE_INTO else None
            if existing is not None:
                meta, merged = _written_into(ctx, existing, table, meta, source)
                written.append(merged.table)
                run.log(f"wrote {result.count} rows into {req.namespace}.{req.name}: {merged.replaced} replaced "
                        f"rows with the same id, {merged.added} added; the table now has {meta.count} rows")
            replaced = _switch_table(meta, req.if_exists, expected=existing)
        except BaseException:
            for directory in written:
                directory.destroy()
            raise
        if existing is not None:
            table.destroy()  # the rows were copied into the table switched in
        with write_transaction():
            UploadHistory.insert(f_job_id=job.job_id, f_namespace=req.namespace, f_table_name=req.name,
                                 f_partitions=req.partitions, f_count=result.count, f_schema=result.schema,
                                 f_notes=req.description, **UploadHistory.audit_values()).execute()
            run.record_output("upload", req.namespace, req.name)
            run.record_metric("upload", "data_access", "count", result.count, {"name": "upload", "metric_type": "UPLOAD"})
        if replaced is not None:
            tables.destroy_owned_data(replaced)
        run.log(f"loaded {result.count} rows into {req.namespace}.{req.name} ({req.partitions} partitions)")
    data = {"table_name": req.name, "namespace": req.namespace, "count": result.count}
    data.update(submit_response(ctx.settings, job.job_id, LOCAL_ROLE, LOCAL_PARTY_ID, LOCAL_MODEL_ID))
    return data


def _switch_table(meta: TableMeta, if_exists: str, expected: TableMeta | None = None) -> TableMeta | None:
    """Make `meta` the table's meta in one transaction; returns the meta it replaced (its data still on disk).
    Rows written into `expected` (None: there was no table) are switched in only if the table is still that one."""
    with write_transaction():
        old = tables.get_meta(meta.namespace, meta.name)
        if if_exists == WRITE_INTO and (old and old.address) != (expected and expected.address):
            raise FateFlowError(f"table {meta.namespace}.{meta.name} was changed by another upload or a delete while "
                                f"this one wrote into it; it is left as that change made it: upload again")
        if old is not None:
            if if_exists == REFUSE:
                raise AlreadyExistsError(TABLE_EXISTS_MSG)
            tables.delete_meta(meta.namespace, meta.name)
        tables.insert_meta(meta)
    return old


@dataclass(frozen=True)
class _Merged:
    table: StandaloneTable
    replaced: int
    added: int


def _written_into(ctx: Runtime, existing: TableMeta, uploaded: StandaloneTable, uploaded_meta: TableMeta,
                  source: CsvSource) -> tuple[TableMeta, _Merged]:
    """A copy of the existing table with the uploaded rows written into it, and its meta (count, schema and
    sample of the result). The existing table is only read."""
    where = f"table {existing.namespace}.{existing.name}"
    if existing.engine != ENGINE or existing.options.get(tables.EXTERNAL):
        kind = "registered from outside" if existing.options.get(tables.EXTERNAL) else f"stored in {existing.engine}"
        raise FateFlowError(f"{where} is {kind}; drop 0 writes rows into tables this server stores ({ENGINE}): "
                            f"use drop 1 to replace it")
    if not isinstance(existing.schema.get("header", ""), str):
        raise FateFlowError(f"{where} is a component's output, not an uploaded table; drop 0 writes rows into "
                            f"uploaded tables: use drop 1 to replace it")
    _check_same_columns(existing, uploaded_meta, source.label, where)
    base = ctx.store.open(existing.address, existing.partitions)
    merged = ctx.store.create(existing.partitions)
    try:
        writer = merged.writer(ordered=True)
        pending = replaced = added = 0

        def put(key: bytes, value: bytes) -> None:
            nonlocal pending
            writer.put(key, value)
            pending += 1
            if pending >= MERGE_FLUSH_ROWS:
                writer.flush()
                pending = 0

        try:
            with uploaded.lookup() as new_value, base.lookup() as old_value:
                for key, value in base.ordered_items():
                    new = new_value(key)
                    replaced += new is not None
                    put(key, value if new is None else new)
                for key, value in uploaded.ordered_items():
                    if old_value(key) is None:
                        added += 1
                        put(key, value)
            writer.close()
        except BaseException:
            writer.abort()
            raise
        sample = []
        for key, value in merged.ordered_items():
            if len(sample) >= ctx.settings.storage.sample_rows:
                break
            sample.append([ctx.codec.loads(key), ctx.codec.loads(value)])
    except BaseException:
        merged.destroy()
        raise
    meta = TableMeta(
        namespace=existing.namespace, name=existing.name, engine=ENGINE, storage_type=STORAGE_TYPE,
        address=ctx.store.address_of(merged, existing.namespace, existing.name), partitions=existing.partitions,
        schema=uploaded_meta.schema, count=writer.written, part_of_data=sample, id_delimiter=existing.id_delimiter,
        have_head=existing.have_head, in_serialized=True, description=existing.description)
    return meta, _Merged(merged, replaced, added)


def _check_same_columns(existing: TableMeta, uploaded: TableMeta, file_label: str, where: str) -> None:
    """Rows written into a table must have its columns: the same header line (id column included), delimiter
    and, without a header, the same number of values."""
    def header_line(meta: TableMeta) -> str:
        header = meta.schema.get("header")
        if header is None or not meta.have_head:
            return "no header"
        return repr(meta.id_delimiter.join([str(meta.schema.get("sid", "id")), header]))

    if uploaded.id_delimiter != existing.id_delimiter:
        raise ParameterError(f"the id_delimiter of {file_label} ({uploaded.id_delimiter!r}) is not {where}'s "
                             f"({existing.id_delimiter!r}); drop 0 writes rows into the table as it is "
                             f"(drop 1 replaces it)")
    ours, theirs = header_line(uploaded), header_line(existing)
    if ours != theirs:
        raise DataError(f"the header of {file_label} ({ours}) does not match {where}'s ({theirs}); drop 0 "
                             f"writes rows into the table as it is (drop 1 replaces it)")
    if ours == "no header" and existing.part_of_data and uploaded.part_of_data:
        width = str(uploaded.part_of_data[0][1]).count(uploaded.id_delimiter)
        expected = str(existing.part_of_data[0][1]).count(existing.id_delimiter)
        if width != expected:
            raise DataError(f"the rows of {file_label} have {width + 2} columns, {where}'s have {expected + 2}; "
                                 f"drop 0 writes rows into the table as it is (drop 1 replaces it)")


def download(ctx: Runtime, req: DownloadRequest) -> dict:
    meta = tables.require_meta(req.namespace, req.name)
    target = FileAccess.from_settings(ctx.settings).writable(req.output_path, "output_path")
    out = target.path
    if meta.engine != ENGINE:
        raise FateFlowError(f"table {req.namespace}.{req.name} is stored in {meta.engine}; download reads "
                            f"{ENGINE} tables only")
    job = LocalJob(ctx.job_ids.next_id(), "download_0", "Download", {
        "output_path": str(out), "delimiter": req.delimiter, "namespace": req.namespace, "name": req.name})
    with _LocalJobRun(ctx, job) as run:
        table = ctx.store.open(meta.address, meta.partitions)
        header = None
        if meta.schema.get("header") is not None and meta.have_head:
            stored = meta.schema["header"]
            columns = stored.split(meta.id_delimiter) if isinstance(stored, str) else [str(c) for c in stored]
            header = req.delimiter.join([meta.schema.get("sid", "id")] + [c for c in columns if c != ""])
        with target.replacing(encoding="utf-8", newline="") as f:
            count = write_csv(table.ordered_items(), f, ctx.codec, req.delimiter, meta.id_delimiter, header)
        with write_transaction():
            run.record_metric("download", "data_access", "count", count,
                              {"name": "download", "metric_type": "DOWNLOAD"})
        run.log(f"wrote {count} rows of {req.namespace}.{req.name} to {out}")
    data = {"count": count, "output_path": str(out)}
    data.update(submit_response(ctx.settings, job.job_id, LOCAL_ROLE, LOCAL_PARTY_ID, LOCAL_MODEL_ID))
    return data


def upload_history(job_id: str | None, limit: int | None) -> list[dict]:
    query = UploadHistory.select().order_by(UploadHistory.f_create_time.desc())
    if job_id:
        query = query.where(UploadHistory.f_job_id == job_id)
    history = []
    for row in query:
        if limit is not None and 0 < limit <= len(history):
            break
        exists = StorageTableMeta.select().where(StorageTableMeta.f_namespace == row.f_namespace,
                                                 StorageTableMeta.f_name == row.f_table_name).exists()
        if not exists:
            continue
        history.append({row.f_job_id: {
            "upload_info": {"table_name": row.f_table_name, "namespace": row.f_namespace,
                            "partition": row.f_partitions, "upload_count": row.f_count},
            "notes": row.f_notes, "schema": row.f_schema}})
    return history


class _LocalJobRun:
    """Runs a local job's single task: waiting -> running -> success, or failed with the error logged in
    the job's log and attached (jobId) to the error the client sees."""

    def __init__(self, ctx: Runtime, job: LocalJob, description: str = ""):
        self.ctx = ctx
        self.job = job
        self.description = description
        log_dir = home_path(ctx.settings.logs_dir, job.job_id, LOCAL_ROLE, LOCAL_PARTY_ID, job.component_name)
        self.log_path = log_dir / "INFO.log"

    def __enter__(self) -> "_LocalJobRun":
        create_local_job(self.ctx.settings, self.job, self.description)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._set(JobStatus.RUNNING)
        self.log(f"{self.job.module} started with parameters {self.job.parameters}")
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is None:
            self._set(JobStatus.SUCCESS, progress=100)
            return
        message = exc.message if isinstance(exc, FateFlowError) else f"{type(exc).__name__}: {exc}"
        self.log(f"failed: {message}", level="ERROR")
        if not isinstance(exc, FateFlowError):
            LOG.error("job %s %s failed", self.job.job_id, self.job.module, exc_info=exc)
        self._set(JobStatus.FAILED)
        if isinstance(exc, FateFlowError):
            exc.job_id = self.job.job_id

    def _set(self, status: JobStatus, progress: int | None = None) -> None:
        j = self.job
        with write_transaction():
            update_job_status(j.job_id, LOCAL_ROLE, LOCAL_PARTY_ID, status, progress)
            update_task_status(j.job_id, j.task_id, 0, LOCAL_ROLE, LOCAL_PARTY_ID, status)

    def progress(self, percent: int) -> None:
        update_job_progress(self.job.job_id, LOCAL_ROLE, LOCAL_PARTY_ID, percent)

    def log(self, message: str, level: str = "INFO") -> None:
        stamp = self.ctx.clock.log_stamp()
        with open(self.log_path, "a", encoding="utf-8") as f:
            f.write(f"[{level}] [{stamp}] [{self.job.job_id}] {message}\n")

    @property
    def task(self) -> tracking.TaskRef:
        j = self.job
        return tracking.TaskRef(j.job_id, j.component_name, j.task_id, 0, LOCAL_ROLE, LOCAL_PARTY_ID)

    def record_output(self, data_name: str, namespace: str, name: str) -> None:
        tracking.save_output_table(self.task, data_name, namespace, name)

    def record_metric(self, namespace: str, name: str, key: str, value, meta: dict) -> None:
        tracking.save_metric_meta(self.task, namespace, name, meta)
        tracking.save_metric_data(self.task, namespace, name, [(key, value)])
