"""Rule 6's "its steps go with it": a job item expires through DynamoDB's TTL; the table's stream reports the
removal and this deletes the steps left in the job's partition. Reads never see them meanwhile: every step
read goes through its job, which is gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from external_tasks import observability
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
