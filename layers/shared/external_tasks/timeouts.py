"""Jobs whose plug-in stopped renewing their lease end ``unknown`` (docs/rules.md: Progress, heartbeats and
timeouts).

A started job with a timeout has an entry in the sparse index jobs_by_lease, at the time to look at it: at
first its deadline. Heartbeats and other writes move the deadline on the job's item alone, never the entry,
so that they stay one write of one item. ``time_out_jobs``, run every minute, reads the entries that are due:
a job whose deadline has passed ends ``unknown`` at its deadline (rule 2's closure ends its open steps),
conditionally on the deadline read, so that a heartbeat arriving first wins; a renewed lease has its entry
moved to the new deadline; an ended job's entry is dropped. Each run costs what is due, not what is stored.
"""

from __future__ import annotations

from external_tasks import clock, leases, observability
from external_tasks.config import CleanupDelays, settings
from external_tasks.errors import Unavailable
from external_tasks.model import Job
from external_tasks.store import Changed, JobStore, job_store

# Entries read per shard and run at most: a backlog is worked off over the following runs.
CHECK_PER_RUN = 200
# Decisions taken again for one job after its write found it changed (a heartbeat, an end, a clear).
_REDECISIONS = 3


def time_out_jobs() -> dict[str, int]:
    """End the jobs whose lease has lapsed; how many did."""
    store, cleanup, now = job_store(), settings().cleanup, clock.now_ms()
    timed_out = 0
    for job in store.jobs_to_check(now, CHECK_PER_RUN):
        try:
            timed_out += settle(store, job, now, cleanup)
        except Unavailable as error:  # the entry stays due: the next run looks again
            observability.logger().warning(
                "lease not settled", extra={"job_id": job.id, "detail": error.detail}
            )
    if timed_out:
        observability.count("JobsTimedOut", timed_out)
        observability.logger().info("jobs timed out", extra={"jobs": timed_out})
    return {"timed_out": timed_out}


def settle(store: JobStore, job: Job, now: int, cleanup: CleanupDelays) -> bool:
    """Decide the lease of a job found due, and make it stick; whether the job timed out now."""
    current: Job | None = job
    for _ in range(_REDECISIONS):
        if current is None:
            return False  # deleted (its entry with it)
        try:
            if current.status.is_terminal:
                store.drop_lease_check(current.id)
                return False
            if leases.has_lapsed(current, now):
                store.save_lapsed_job(current, leases.lapse(current, cleanup))
                return True
            store.move_lease_check(current)
            return False
        except Changed as changed:
            current = changed.job
    return False
