"""Progress, heartbeats and timeouts (docs/rules.md): the rules, as pure functions like those of rules.py.

A job added with a ``timeout`` holds a lease: every accepted write under it (adding or ending a step, the
job's progress, a heartbeat) moves its ``deadline`` to the time of the write plus the timeout. A step's
progress report writes the step alone, so it moves neither. Once the deadline has passed with the job still
started, the job ends ``unknown`` at its deadline, and with it every step still started (rule 2's closure).
"""

from __future__ import annotations

from dataclasses import replace

from external_tasks import rules
from external_tasks.config import CleanupDelays
from external_tasks.errors import Conflict
from external_tasks.model import Job, Status


def renewed(job: Job, now: int) -> Job:
    """The job after a write at ``now`` under it: its deadline moved, when it has a timeout."""
    if job.timeout is None or job.status.is_terminal:
        return job
    return replace(job, deadline=now + job.timeout * 1000)


def with_timeout(job: Job, timeout: int | None) -> Job:
    """A new job with its lease from its start (None: no timeout, the job never lapses)."""
    if timeout is None:
        return job
    return replace(job, timeout=timeout, deadline=job.start_time + timeout * 1000)


def check_started(kind: str, ident: str, status: Status) -> None:
    """Progress and heartbeats go to what is still started; an ended job or step is a conflict."""
    if status.is_terminal:
        raise Conflict(
            f"{kind} {ident} has ended ({status}): progress and heartbeats go to a started {kind.lower()}"
        )


def has_lapsed(job: Job, now: int) -> bool:
    return job.status is Status.STARTED and job.deadline is not None and job.deadline <= now


def lapse(job: Job, cleanup: CleanupDelays) -> Job:
    """The job ended ``unknown`` at its deadline, its still-started steps with it (as rule 2 ends them)."""
    assert job.deadline is not None
    ended = rules.end_job(job, Status.UNKNOWN, force=False, now=job.deadline, cleanup=cleanup)
    assert ended is not None, "only a started job lapses"
    return ended


def finished_progress(progress: int | None, status: Status) -> int | None:
    """What a job or step shows as its progress: 100 once it has finished, else what was last reported."""
    return 100 if status is Status.FINISHED else progress
