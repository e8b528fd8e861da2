"""How job listings are keyed: which index answers a query, and the sharded keys each job is listed under.

Every listing key ends with one of ``SHARDS`` shards chosen by the job id, so that no partition key of an
index takes more than a fraction of its writes however many jobs share an owner, a status or a correlation id
(most deployments run every plug-in under one role). A listing reads its shards in parallel and merges them in
``listed_at`` order: the start time, then the id, so that jobs that started in the same millisecond still have
one order and a page can end between them.
"""

from __future__ import annotations

from dataclasses import dataclass

from external_tasks.model import Job, JobQuery, Status

SHARDS = 8
SORT_KEY = "listed_at"
_TIME_DIGITS = 15  # epoch milliseconds, zero-padded so that string order is time order


@dataclass(frozen=True, slots=True)
class Listing:
    """One ``jobs_by_*`` index: its name and partition key attribute, and the key's value before the shard."""

    index: str
    attribute: str
    value: str

    def key(self, shard: int) -> str:
        return f"{self.value}#{shard}"

    def keys(self) -> list[str]:
        return [self.key(shard) for shard in range(SHARDS)]


def listed_at(start_time: int, job_id: str) -> str:
    return f"{start_time:0{_TIME_DIGITS}d}#{job_id}"


def position(value: str) -> tuple[int, str] | None:
    """``listed_at``'s start time and job id, or None when it is not one."""
    start, hash_sign, job_id = value.partition("#")
    if not hash_sign or len(start) != _TIME_DIGITS or not start.isdigit():
        return None
    return int(start), job_id


def shard_of(job_id: str) -> int:
    """A job id is a UUID: its last hex digits are uniformly spread (random or hashed)."""
    return int(job_id[-4:], 16) % SHARDS


def _all() -> Listing:
    return Listing("jobs_by_time", "list_all", "jobs")


def _by_status(status: Status) -> Listing:
    return Listing("jobs_by_status", "list_status", status)


def _by_owner(owner: str) -> Listing:
    return Listing("jobs_by_owner", "list_owner", owner)


def _by_owner_status(owner: str, status: Status) -> Listing:
    # IAM ARNs and user ids contain no "#" before the status, and the shard is always last.
    return Listing("jobs_by_owner_status", "list_owner_status", f"{owner}#{status}")


def _by_correlation_id(correlation_id: str) -> Listing:
    return Listing("jobs_by_correlation_id", "list_correlation_id", correlation_id)


def for_query(query: JobQuery) -> Listing:
    """The index that answers the query reading (nearly) only what it returns; other terms of a query by
    correlation id are checked on the jobs read (few jobs share one)."""
    if query.correlation_id is not None:
        return _by_correlation_id(query.correlation_id)
    if query.owner is not None and query.status is not None:
        return _by_owner_status(query.owner, query.status)
    if query.owner is not None:
        return _by_owner(query.owner)
    if query.status is not None:
        return _by_status(query.status)
    return _all()


def status_listings(job: Job) -> list[Listing]:
    """The listings whose key follows the job's status: rewritten when, and only when, it changes."""
    return [_by_status(job.status), _by_owner_status(job.owner, job.status)]


def listings(job: Job) -> list[Listing]:
    """Every listing the job appears in."""
    return [_all(), _by_owner(job.owner), _by_correlation_id(job.correlation_id), *status_listings(job)]


def matches(job: Job, query: JobQuery) -> bool:
    """The query's terms hold for the job as read (an index entry may lag behind the job)."""
    return (
        (query.correlation_id is None or job.correlation_id == query.correlation_id)
        and (query.status is None or job.status is query.status)
        and (query.owner is None or job.owner == query.owner)
    )


def expiry_key(shard: int) -> str:
    """A key of jobs_by_expiry, the sparse index of jobs that will disappear, by when."""
    return f"expiring#{shard}"


EXPIRY_INDEX = "jobs_by_expiry"
EXPIRY_ATTRIBUTE = "expiry_shard"


def lease_key(shard: int) -> str:
    """A key of jobs_by_lease, the sparse index of started jobs with a timeout, by when to look at them."""
    return f"lease#{shard}"


LEASE_INDEX = "jobs_by_lease"
LEASE_ATTRIBUTE = "lease_shard"
LEASE_CHECK_AT = "check_at"
