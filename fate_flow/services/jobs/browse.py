"""The board's read side of jobs: a page of the job list (filtered, sorted and paged in the database, so that
10,000 jobs answer as fast as 10) and the server's overview (jobs by status, the queue, cores per hosted party).
Rows carry only the list's columns (no DSL or confs) under their `f_` names, as /v1/job/query shows them."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from peewee import SQL, NodeList, fn

from fate_flow.db.models import Job
from fate_flow.entity.status import END_STATUSES, JobStatus
from fate_flow.services.jobs import resources
from fate_flow.settings import Settings

# the columns of a list row
LIST_COLUMNS = (Job.f_job_id, Job.f_role, Job.f_party_id, Job.f_status, Job.f_progress, Job.f_create_time,
                Job.f_start_time, Job.f_end_time, Job.f_elapsed, Job.f_description, Job.f_initiator_role,
                Job.f_initiator_party_id, Job.f_is_initiator, Job.f_roles, Job.f_cores, Job.f_fail_reason)
SORT_COLUMNS = {"create_time": Job.f_create_time, "start_time": Job.f_start_time, "end_time": Job.f_end_time,
                "elapsed": Job.f_elapsed, "job_id": Job.f_job_id, "status": Job.f_status,
                "progress": Job.f_progress, "role": Job.f_role, "party_id": Job.f_party_id}
QUEUE_ROWS = 50
_LIKE_ESCAPE = "!"


@dataclass(frozen=True)
class JobPageQuery:
    """One page of the job list. Text filters match anywhere in the value (case-insensitive for ASCII);
    `created` is [from, to] in ms, either end open (None)."""

    page: int = 1
    page_size: int = 20
    job_id: str = ""
    statuses: tuple[str, ...] = ()
    role: str = ""
    party_id: str = ""
    notes: str = ""
    created: tuple[int | None, int | None] = (None, None)
    sort: str = "create_time"
    descending: bool = True


def _contains(column, text: str):
    """`column LIKE '%text%'` with the pattern characters of `text` taken literally (same SQL on SQLite and
    MySQL: one escape character that is not a backslash)."""
    escaped = text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2).replace("%", _LIKE_ESCAPE + "%").replace(
        "_", _LIKE_ESCAPE + "_")
    return NodeList((column, SQL("LIKE"), f"%{escaped}%", SQL(f"ESCAPE '{_LIKE_ESCAPE}'")))


def _conditions(query: JobPageQuery) -> list:
    conditions = []
    if query.job_id:
        conditions.append(_contains(Job.f_job_id, query.job_id))
    if query.statuses:
        conditions.append(Job.f_status.in_(list(query.statuses)))
    if query.role:
        conditions.append(Job.f_role == query.role)
    if query.party_id:
        conditions.append(Job.f_party_id == query.party_id)
    if query.notes:
        conditions.append(_contains(Job.f_description, query.notes))
    begin, end = query.created
    if begin is not None:
        conditions.append(Job.f_create_time >= begin)
    if end is not None:
        conditions.append(Job.f_create_time <= end)
    return conditions


def _queries(query: JobPageQuery):
    """(the count of matching rows, the rows of the page) as peewee queries.

    The page's keys are chosen first, from the indexes alone where the filters allow (an index holds the primary
    key beside its column, and the ties are broken by the key in the sort's own direction, so the database walks
    the index instead of sorting the table); then only those rows are read, with the list's columns."""
    conditions = _conditions(query)
    column = SORT_COLUMNS[query.sort]
    key = (Job.f_job_id, Job.f_role, Job.f_party_id)
    order = [column, *(c for c in key if c is not column)]
    ordering = [c.desc() if query.descending else c.asc() for c in order]
    counted = Job.select(fn.COUNT(SQL("*")))
    keys = Job.select(*key)
    if conditions:
        counted, keys = counted.where(*conditions), keys.where(*conditions)
    page = keys.order_by(*ordering).limit(query.page_size).offset((query.page - 1) * query.page_size).alias("page")
    on = (Job.f_job_id == page.c.f_job_id) & (Job.f_role == page.c.f_role) & (Job.f_party_id == page.c.f_party_id)
    return counted, Job.select(*LIST_COLUMNS).join(page, on=on).order_by(*ordering)


def page_sql(query: JobPageQuery) -> list[tuple[str, list]]:
    """The SQL and parameters of the count and of the page (for looking at their query plans)."""
    return [q.sql() for q in _queries(query)]


def page_jobs(query: JobPageQuery) -> dict[str, Any]:
    """{"jobs": rows of the page, "total": rows matching, "page", "page_size"}; ties broken by job id, role
    and party (in the sort's direction) so that pages never overlap."""
    counted, rows = _queries(query)
    names = [c.name for c in LIST_COLUMNS]
    return {"jobs": [{name: getattr(row, name) for name in names} for row in rows], "total": counted.scalar() or 0,
            "page": query.page, "page_size": query.page_size}


def start_of_day_ms(now_ms: int) -> int:
    """Local midnight before `now_ms`."""
    now = datetime.datetime.fromtimestamp(now_ms / 1000)
    return int(now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() * 1000)


def overview(settings: Settings, now_ms: int) -> dict[str, Any]:
    """Jobs running, waiting and ended today (distinct job ids among the rows of the parties hosted here), the
    queue of waiting jobs, oldest first, and each hosted party's cores."""
    def distinct_jobs(*conditions) -> int:
        return Job.select(fn.COUNT(Job.f_job_id.distinct())).where(*conditions).scalar() or 0

    today = start_of_day_ms(now_ms)
    ended = {status.value: distinct_jobs(Job.f_status == status.value, Job.f_end_time >= today)
             for status in sorted(END_STATUSES, key=lambda s: s.value)}
    waiting = (Job.select(Job.f_job_id, fn.MIN(Job.f_create_time).alias("created"),
                          fn.MAX(Job.f_initiator_role).alias("initiator_role"),
                          fn.MAX(Job.f_initiator_party_id).alias("initiator_party_id"),
                          fn.SUM(Job.f_cores).alias("cores"))
               .where(Job.f_status == JobStatus.WAITING.value)
               .group_by(Job.f_job_id).order_by(SQL("created"), Job.f_job_id))
    queue = [{"job_id": row.f_job_id, "create_time": row.created, "waited_ms": max(0, now_ms - (row.created or now_ms)),
              "initiator": {"role": row.initiator_role, "party_id": row.initiator_party_id},
              "cores": int(row.cores or 0)}
             for row in waiting.limit(QUEUE_ROWS).objects()]
    parties = []
    for party_id in settings.fateflow.party_ids:
        capacity = settings.resources.cores_of(party_id)
        used = resources.cores_in_use(str(party_id))
        parties.append({"party_id": str(party_id), "cores": capacity, "used": used, "free": capacity - used,
                        "running_jobs": distinct_jobs(Job.f_party_id == str(party_id),
                                                      Job.f_resource_in_use == True)})  # noqa: E712
    return {
        "now": now_ms, "today": today,
        "jobs": {"running": distinct_jobs(Job.f_status == JobStatus.RUNNING.value),
                 "waiting": distinct_jobs(Job.f_status == JobStatus.WAITING.value),
                 "ended_today": ended},
        "queue": queue, "parties": parties,
    }
