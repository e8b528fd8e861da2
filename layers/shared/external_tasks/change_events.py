"""Change events (docs/events.md): what each change the table's stream reports is published as. Pure: stream
records in, events out; eventbus.py publishes them.

Every event has the source ``external-tasks`` and one of four detail-types. Its detail holds the job or step
in the API's JSON shape (http.views, as ``GET`` renders it), its status before the change, the job's owner and
correlation id, and an ``event_id`` made from the stream record's own id, so that every delivery of the same
change carries the same one. The JSON Schemas in schemas/events/ describe each detail-type's detail.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from external_tasks.http import views
from external_tasks.http.representation import to_json
from external_tasks.model import Job
from external_tasks.store import items

SOURCE = "external-tasks"
REMOVED = "removed"  # a job's status in the event that reports it cleared away


class DetailType(StrEnum):
    JOB_STATUS = "Job Status Change"
    STEP_STATUS = "Step Status Change"
    JOB_PROGRESS = "Job Progress"
    STEP_PROGRESS = "Step Progress"


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    record: str  # the stream record's sequence number
    job_id: str
    detail_type: DetailType
    detail: Mapping[str, Any]
    time: datetime

    @property
    def detail_json(self) -> str:
        return json.dumps(self.detail, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class JobFacts:
    """What every event of a job carries about the job."""

    owner: str
    correlation_id: str


def _sk(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["Keys"]["SK"]["S"])


def job_id_of(record: Mapping[str, Any]) -> str | None:
    """The job a stream record's item belongs to; None for items that are no job or step (bindings)."""
    pk = str(record["dynamodb"]["Keys"]["PK"]["S"])
    return pk.removeprefix("JOB#") if pk.startswith("JOB#") else None


def jobs_to_read(records: Iterable[Mapping[str, Any]]) -> set[str]:
    """Jobs whose owner and correlation id only the table can tell: those of changed steps whose job item
    the records do not show."""
    shown = {job_id_of(r) for r in records if job_id_of(r) is not None and _sk(r) == items.JOB_SK}
    steps = {
        job_id_of(r)
        for r in records
        if job_id_of(r) is not None and _sk(r).startswith(items.STEP_SK_PREFIX) and r["eventName"] != "REMOVE"
    }
    return {job_id for job_id in steps - shown if job_id is not None}


def facts_shown(records: Iterable[Mapping[str, Any]]) -> dict[str, JobFacts]:
    """Owner and correlation id of every job whose item the records show."""
    found = {}
    for record in records:
        job_id = job_id_of(record)
        if job_id is None or _sk(record) != items.JOB_SK:
            continue
        image = record["dynamodb"].get("NewImage") or record["dynamodb"].get("OldImage")
        if image:
            found[job_id] = JobFacts(image["job_owner"]["S"], image["correlation_id"]["S"])
    return found


def facts_of(job: Job) -> JobFacts:
    return JobFacts(job.owner, job.correlation_id)


def _rendered(document: Any) -> dict[str, Any]:
    rendered: dict[str, Any] = json.loads(to_json(document))
    return rendered


def _progress(image: Mapping[str, Any] | None) -> int | None:
    value = (image or {}).get("progress")
    return None if value is None else int(value["N"])


def events_of(record: Mapping[str, Any], facts: Mapping[str, JobFacts]) -> list[ChangeEvent]:
    """The events one stream record makes: a status change, a progress report, both (a job ending finished
    reaches 100), or none (a change of counters or times alone, a step deleted with its cleared job)."""
    job_id = job_id_of(record)
    if job_id is None:
        return []
    change = record["dynamodb"]
    old, new = change.get("OldImage"), change.get("NewImage")
    is_job = _sk(record) == items.JOB_SK
    status_attribute = "job_status" if is_job else "status"
    body: dict[str, Any]
    if is_job:
        image = new or old
        assert image is not None
        entity = items.job_from_item(image)
        body = {"job": _rendered(views.job(entity))}
        kind = "job"
    elif new is not None:
        step = items.step_from_item(new)
        body = {"step_id": step.id, "step": _rendered(views.step(step))}
        kind = "step"
    else:
        return []  # a step deleted after its job was cleared away: the job's removal reported it
    previous = None if old is None else str(old[status_attribute]["S"])
    status = REMOVED if new is None else str(new[status_attribute]["S"])
    job_facts = facts.get(job_id)
    common = {
        "job_id": job_id,
        **body,
        "owner": None if job_facts is None else job_facts.owner,
        "correlation_id": None if job_facts is None else job_facts.correlation_id,
    }
    time = datetime.fromtimestamp(float(change.get("ApproximateCreationDateTime", 0)), tz=UTC)
    sequence, event_id = str(change["SequenceNumber"]), str(record["eventID"])
    found = []
    if new is not None and _progress(new) != _progress(old):
        found.append(
            ChangeEvent(
                sequence,
                job_id,
                DetailType.JOB_PROGRESS if kind == "job" else DetailType.STEP_PROGRESS,
                {
                    "event_id": f"{event_id}:progress",
                    "progress": _progress(new),
                    "previous_progress": _progress(old),
                    "status": status,
                    "previous_status": previous,
                    **common,
                },
                time,
            )
        )
    if status != previous:
        found.append(
            ChangeEvent(
                sequence,
                job_id,
                DetailType.JOB_STATUS if kind == "job" else DetailType.STEP_STATUS,
                {"event_id": event_id, "status": status, "previous_status": previous, **common},
                time,
            )
        )
    return found
