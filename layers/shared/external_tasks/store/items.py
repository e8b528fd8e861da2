"""Stored items: how jobs and steps are laid out in the one table, and the mapping both ways.

| item | PK           | SK             | other keys                                                     |
|------|--------------|----------------|----------------------------------------------------------------|
| job  | JOB#<job_id> | JOB            | ``listed_at``, a ``list_*`` key per job listing (listing.py)   |
| step | JOB#<job_id> | STEP#<step_id> | ``tree``: its path, ``0000.0002`` = 3rd under 1st              |

``tree`` keys the local index steps_in_tree_order.

A job and its steps share a partition, so one Query reads a whole job. Only job items carry the ``list_*``
keys, so the ``jobs_by_*`` indexes hold jobs only; only steps carry ``tree``, so steps_in_tree_order holds
steps only. Both kinds of item stay bounded in size whatever happens under them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from external_tasks.model import Closure, Job, Path, Status, Step, StepType
from external_tasks.store import listing

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

type Item = dict[str, AttributeValueTypeDef]
type StoredItem = Mapping[str, Any]  # as DynamoDB returns it

JOB_SK = "JOB"
STEP_SK_PREFIX = "STEP#"
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


def ttl_seconds(gone_at: int) -> int:
    """DynamoDB's TTL attribute ``expires_at``: epoch seconds, rounded up so that TTL never deletes a job
    before it reads as gone (``gone_at``, milliseconds, is what reads compare)."""
    return -(-gone_at // 1000)


def listing_keys(job: Job, listings: list[listing.Listing]) -> Item:
    shard = listing.shard_of(job.id)
    return {entry.attribute: s(entry.key(shard)) for entry in listings}


def expiry(job_id: str, gone_at: int) -> Item:
    """When a job reads as gone, and its place in jobs_by_expiry and DynamoDB's TTL attribute to match."""
    return {
        "gone_at": n(gone_at),
        "expires_at": n(ttl_seconds(gone_at)),
        listing.EXPIRY_ATTRIBUTE: s(listing.expiry_key(listing.shard_of(job_id))),
    }


EXPIRY_ATTRIBUTES = ("gone_at", "expires_at", listing.EXPIRY_ATTRIBUTE)


def lease_check(job_id: str, check_at: int) -> Item:
    """The job's place in jobs_by_lease: when to look whether its lease has lapsed (leases.py)."""
    return {
        listing.LEASE_ATTRIBUTE: s(listing.lease_key(listing.shard_of(job_id))),
        listing.LEASE_CHECK_AT: n(check_at),
    }


LEASE_CHECK_ATTRIBUTES = (listing.LEASE_ATTRIBUTE, listing.LEASE_CHECK_AT)


def job_item(job: Job) -> Item:
    """A new job's item."""
    item: Item = {
        **job_key(job.id),
        listing.SORT_KEY: s(listing.listed_at(job.start_time, job.id)),
        **listing_keys(job, listing.listings(job)),
        "description": s(job.description),
        "job_status": s(job.status),
        "job_owner": s(job.owner),
        "correlation_id": s(job.correlation_id),
        "start_time": n(job.start_time),
        "last_updated": n(job.last_updated),
        "auto_cleared": {"BOOL": job.auto_cleared},
        "step_count": n(job.step_count),
        "step_total": n(job.step_total),
    }
    if job.end_time is not None:
        item["end_time"] = n(job.end_time)
    if job.closure is not None:
        item["steps_end_as"] = s(job.closure.status)
    if job.gone_at is not None:
        item.update(expiry(job.id, job.gone_at))
    if job.request_digest is not None:
        item["request_digest"] = s(job.request_digest)
    if job.progress is not None:
        item["progress"] = n(job.progress)
    if job.timeout is not None and job.deadline is not None:
        item["timeout_ms"] = n(job.timeout * 1000)
        item["deadline"] = n(job.deadline)
        if job.status is Status.STARTED:
            item.update(lease_check(job.id, job.deadline))
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
    if step.ancestors:
        item["ancestors"] = {"L": [s(ancestor) for ancestor in step.ancestors]}
    if step.end_time is not None:
        item["end_time"] = n(step.end_time)
    if step.closes_as is not None:
        item["closes_as"] = s(step.closes_as)
    if step.request_digest is not None:
        item["request_digest"] = s(step.request_digest)
    if step.execution is not None:
        item["execution"] = s(step.execution)
    if step.progress is not None:
        item["progress"] = n(step.progress)
    return item


def is_job(item: StoredItem) -> bool:
    return bool(item["SK"]["S"] == JOB_SK)


def _int(item: StoredItem, name: str) -> int | None:
    value = item.get(name)
    return None if value is None else int(value["N"])


def _text(item: StoredItem, name: str) -> str | None:
    value = item.get(name)
    return None if value is None else str(value["S"])


def job_from_item(item: StoredItem) -> Job:
    end_time = _int(item, "end_time")
    steps_end_as = _text(item, "steps_end_as")
    # A job without a timeout may hold a deadline all the same (progress and heartbeats write one without
    # reading the job first: store.dynamodb's renew): it means nothing there.
    timeout_ms = _int(item, "timeout_ms")
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
            Closure(Status(steps_end_as), end_time)
            if steps_end_as is not None and end_time is not None
            else None
        ),
        gone_at=_int(item, "gone_at"),
        step_count=_int(item, "step_count") or 0,
        step_total=_int(item, "step_total") or 0,
        request_digest=_text(item, "request_digest"),
        progress=_int(item, "progress"),
        timeout=None if timeout_ms is None else timeout_ms // 1000,
        deadline=None if timeout_ms is None else _int(item, "deadline"),
    )


def step_from_item(item: StoredItem) -> Step:
    closes_as = _text(item, "closes_as")
    return Step(
        id=item["SK"]["S"].removeprefix(STEP_SK_PREFIX),
        job_id=item["PK"]["S"].removeprefix("JOB#"),
        description=item["description"]["S"],
        type=StepType(item["step_type"]["S"]),
        path=decode_path(item["tree"]["S"]),
        status=Status(item["status"]["S"]),
        start_time=int(item["start_time"]["N"]),
        parent_step_id=_text(item, "parent_step_id"),
        end_time=_int(item, "end_time"),
        ancestors=tuple(str(ancestor["S"]) for ancestor in item.get("ancestors", {}).get("L", [])),
        closes_as=None if closes_as is None else Status(closes_as),
        child_count=_int(item, "child_count") or 0,
        request_digest=_text(item, "request_digest"),
        execution=_text(item, "execution"),
        progress=_int(item, "progress"),
    )
