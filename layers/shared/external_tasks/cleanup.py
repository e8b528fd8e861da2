"""Rule 6: cleared jobs disappear, and their steps go with them.

An auto-cleared job reads as gone from its ``gone_at`` on. ``expire_jobs``, run every minute, deletes the
jobs that have expired (DynamoDB's TTL on ``expires_at`` would too, but only within days, and listings would
read past them meanwhile). The table's stream reports each removal, and ``steps_of_removed_jobs`` deletes the
steps left in the job's partition. Reads never see them meanwhile: every step read goes through its job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from external_tasks import clock, observability
from external_tasks.errors import Unavailable
from external_tasks.store import items, job_store


def steps_of_removed_jobs(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Delete the steps of every job item the records remove. A record that fails is reported, so that
    Lambda retries from it (ReportBatchItemFailures) and no later record is lost."""
    store = job_store()
    for record in records:
        keys = record.get("dynamodb", {}).get("Keys", {})
        if record.get("eventName") != "REMOVE" or keys.get("SK", {}).get("S") != items.JOB_SK:
            continue
        job_id = keys["PK"]["S"].removeprefix("JOB#")
        try:
            deleted = store.delete_steps(job_id)
        except Unavailable:
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
        observability.logger().info("cleared job's steps deleted", extra={"job_id": job_id, "steps": deleted})
    return {"batchItemFailures": []}


# Jobs deleted per shard and run at most: a backlog is worked off over the following runs.
EXPIRE_PER_RUN = 500


def expire_jobs() -> dict[str, int]:
    """Delete the jobs that have expired; how many were."""
    store, now = job_store(), clock.now_ms()
    deleted = sum(store.delete_expired_job(job_id, now) for job_id in store.expired_jobs(now, EXPIRE_PER_RUN))
    if deleted:
        observability.count("JobExpired", deleted)
        observability.logger().info("expired jobs deleted", extra={"jobs": deleted})
    return {"deleted": deleted}
