"""Stored items: how jobs and steps are laid out in the one table, and the mapping both ways.

| item | PK           | SK            | tree (index steps_in_tree_order)            |
|------|--------------|---------------|---------------------------------------------|
| job  | JOB#<job_id> | JOB           | ``#``, before every step                    |
| step | JOB#<job_id> | STEP#<step_id>| the step's path, ``0000.0002`` = 3rd under 1st |

A job and its steps share a partition, so one Query reads a whole job in tree order. Only job items carry
the attributes the ``jobs_by_*`` global secondary indexes are keyed on, so those indexes hold jobs only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from external_tasks.model import Closure, Job, Path, Status, Step, StepType

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

type Item = dict[str, AttributeValueTypeDef]
type StoredItem = Mapping[str, Any]  # as DynamoDB returns it

JOB_SK = "JOB"
STEP_SK_PREFIX = "STEP#"
JOB_TREE = "#"  # sorts before every step path, so the job comes first in tree order
ALL_JOBS = "jobs"  # the one partition of jobs_by_time
_PATH_DIGITS = 4  # zero-padded, so that the paths' string order is the tree's order


def s(value: str) -> AttributeValueTypeDef:
    return {"S": value}


def n(value: int) -> AttributeValueTypeDef:
    return {"N": str(value)}


def job_pk(job_id: str) -> str:
    return f"JOB#{job_id}"


def job_key(job_id: str) -> Item:
    return {"PK": s(job_pk(job_id)), "SK": s(JOB_SK)}


def step_key(job_id: str, step_id: str) -> Item:
    return {"PK": s(job_pk(job_id)), "SK": s(STEP_SK_PREFIX + step_id)}


def encode_path(path: Path) -> str:
    return ".".join(f"{number:0{_PATH_DIGITS}d}" for number in path)


def decode_path(tree: str) -> Path:
    return tuple(int(part) for part in tree.split("."))


def owner_status(owner: str, status: Status) -> str:
    """The key of jobs_by_owner_status. IAM ARNs cannot contain ``#``."""
    return f"{owner}#{status}"


def ttl_seconds(gone_at: int) -> int:
    """DynamoDB's TTL attribute ``expires_at``: epoch seconds, rounded up so that TTL never deletes a job
    before it reads as gone (``gone_at``, milliseconds, is what reads compare)."""
    return -(-gone_at // 1000)


def closure_item(closure: Closure) -> AttributeValueTypeDef:
    return {"M": {"status": s(closure.status), "time": n(closure.time)}}


def job_item(job: Job) -> Item:
    """A new job's item."""
    item: Item = {
        **job_key(job.id),
        "tree": s(JOB_TREE),
        "job_list": s(ALL_JOBS),
        "description": s(job.description),
        "job_status": s(job.status),
        "job_owner": s(job.owner),
        "job_owner_status": s(owner_status(job.owner, job.status)),
        "correlation_id": s(job.correlation_id),
        "start_time": n(job.start_time),
        "last_updated": n(job.last_updated),
        "auto_cleared": {"BOOL": job.auto_cleared},
        "step_count": n(job.step_count),
        "step_total": n(job.step_total),
        "closed_subtrees": {"M": {encode_path(p): closure_item(c) for p, c in job.closed_subtrees.items()}},
    }
    if job.end_time is not None:
        item["end_time"] = n(job.end_time)
    if job.closure is not None:
        item["steps_end_as"] = s(job.closure.status)
    if job.gone_at is not None:
        item["gone_at"] = n(job.gone_at)
        item["expires_at"] = n(ttl_seconds(job.gone_at))
    return item


def step_item(step: Step) -> Item:
    """A new step's item."""
    item: Item = {
        **step_key(step.job_id, step.id),
        "tree": s(encode_path(step.path)),
        "description": s(step.description),
        "step_type": s(step.type),
        "status": s(step.status),
        "start_time": n(step.start_time),
        "child_count": n(step.child_count),
    }
    if step.parent_step_id is not None:
        item["parent_step_id"] = s(step.parent_step_id)
    if step.end_time is not None:
        item["end_time"] = n(step.end_time)
    return item


def is_job(item: StoredItem) -> bool:
    return bool(item["SK"]["S"] == JOB_SK)


def _int(item: StoredItem, name: str) -> int | None:
    value = item.get(name)
    return None if value is None else int(value["N"])


def job_from_item(item: StoredItem) -> Job:
    end_time = _int(item, "end_time")
    steps_end_as = item.get("steps_end_as")
    closed = item.get("closed_subtrees", {}).get("M", {})
    return Job(
        id=item["PK"]["S"].removeprefix("JOB#"),
        description=item["description"]["S"],
        owner=item["job_owner"]["S"],
        status=Status(item["job_status"]["S"]),
        start_time=int(item["start_time"]["N"]),
        last_updated=int(item["last_updated"]["N"]),
        auto_cleared=bool(item["auto_cleared"]["BOOL"]),
        correlation_id=item["correlation_id"]["S"],
        end_time=end_time,
        closure=(
            Closure(Status(steps_end_as["S"]), end_time)
            if steps_end_as is not None and end_time is not None
            else None
        ),
        closed_subtrees={
            decode_path(tree): Closure(Status(c["M"]["status"]["S"]), int(c["M"]["time"]["N"]))
            for tree, c in closed.items()
        },
        gone_at=_int(item, "gone_at"),
        step_count=_int(item, "step_count") or 0,
        step_total=_int(item, "step_total") or 0,
    )


def step_from_item(item: StoredItem) -> Step:
    parent = item.get("parent_step_id")
    return Step(
        id=item["SK"]["S"].removeprefix(STEP_SK_PREFIX),
        job_id=item["PK"]["S"].removeprefix("JOB#"),
        description=item["description"]["S"],
        type=StepType(item["step_type"]["S"]),
        path=decode_path(item["tree"]["S"]),
        status=Status(item["status"]["S"]),
        start_time=int(item["start_time"]["N"]),
        parent_step_id=None if parent is None else parent["S"],
        end_time=_int(item, "end_time"),
        child_count=_int(item, "child_count") or 0,
    )
