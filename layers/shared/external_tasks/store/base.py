"""What the service asks of its store, whichever it is: DynamoDB (``dynamodb.JobStore``) or the in-memory twin
(``memory.MemoryStore``). One contract suite runs against both, so the twin cannot drift.

Every write is conditional on the state its decision was taken from, on what the rule is about (a status, a
sibling counter, an id not yet taken), never on a timestamp that other writes move. When a condition fails the
write raises ``Changed`` and writes nothing; the caller reads again and decides again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from external_tasks.model import Job, JobQuery, Path, Step
from external_tasks.store.bindings import Binding


class Changed(Exception):
    """The state a write was decided from has changed: decide again, from ``job`` when the store returned the
    job as it now is, else from a new read. ``step`` is the step that already holds a new step's id (a
    request repeated with its Idempotency-Key)."""

    def __init__(self, job: Job | None = None, step: Step | None = None) -> None:
        super().__init__("changed since read")
        self.job = job
        self.step = step
        self.reasons: list[Any] = []  # DynamoDB's, item by item, when a transaction was cancelled


class ExecutionTaken(Exception):
    """The execution a new step is to be bound to is bound to another step already (``binding``)."""

    def __init__(self, binding: Binding) -> None:
        super().__init__(f"{binding.arn} is bound to step {binding.step_id} of job {binding.job_id}")
        self.binding = binding


@dataclass(frozen=True, slots=True, order=True)
class JobPosition:
    """Where a job sits in a listing, newest first: by start time, then by id."""

    start_time: int
    job_id: str


class JobStore(Protocol):
    # Reads. They see every write that answered before they were sent (strongly consistent), except the
    # job listings' indexes, which may lag a write by a moment.

    def get_job(self, job_id: str) -> Job | None: ...

    def get_job_and_steps(self, job_id: str, step_ids: Sequence[str]) -> tuple[Job | None, dict[str, Step]]:
        """The job and those of the steps that exist, as of one moment (never half of a change)."""
        ...

    def get_steps(self, job_id: str, step_ids: Collection[str]) -> dict[str, Step]:
        """Those of the job's steps that exist (the ancestors of a step, read to know which have ended)."""
        ...

    def get_job_with_steps(self, job_id: str, most: int) -> tuple[Job | None, list[Step]]:
        """The job and its steps in tree order; reading stops once more than ``most`` steps are read."""
        ...

    def list_steps(self, job_id: str, limit: int, after: Path | None) -> tuple[Job | None, list[Step], bool]:
        """The job, up to ``limit`` of its steps in tree order after the path ``after``, and whether more
        follow."""
        ...

    def list_jobs(
        self, query: JobQuery, limit: int, after: JobPosition | None, now: int
    ) -> tuple[list[Job], bool]:
        """Up to ``limit`` jobs matching the query, newest first, after ``after``, and whether more follow.
        Jobs that read as gone at ``now`` never take a place: the page is full whenever enough live jobs
        exist."""
        ...

    # Writes.

    def add_job(self, job: Job) -> Job:
        """Store a new job unless its id is taken; the job stored under the id (an earlier one, if it was)."""
        ...

    def save_ended_job(self, before: Job, after: Job) -> None:
        """Rule 2, if the job is still started: its status, end time, closure, auto-clear and expiry."""
        ...

    def save_cleared_job(self, before: Job, after: Job) -> None:
        """Rule 6, if the job's status is still ``before``'s: auto-cleared, and its expiry."""
        ...

    def add_step(self, job: Job, changed_job: Job, step: Step, parent: Step | None) -> None:
        """Rule 5, all or nothing: the new step (its id not yet taken), with the job and every ancestor still
        started and the sibling counter its number came from unmoved; the counters and ``last_updated``.
        A step bound to an execution is stored with its binding; ``ExecutionTaken`` when the execution is
        bound to another step already."""
        ...

    def save_ended_step(self, job: Job, changed_job: Job, step: Step, ended: Step) -> None:
        """Rule 3, all or nothing, with the step, its ancestors and its job still started: the step's status,
        end time and closure; the job's ``last_updated``, and its failure when ``changed_job`` failed."""
        ...

    def find_binding(self, arn: str) -> Binding | None:
        """The step the execution ``arn`` is bound to, if any."""
        ...

    def expired_jobs(self, now: int, most: int) -> list[str]:
        """Ids of jobs that read as gone at ``now`` and are still stored: up to ``most`` a shard."""
        ...

    def delete_expired_job(self, job_id: str, now: int) -> bool:
        """Delete the job if it reads as gone at ``now`` (its steps follow through delete_steps, as after
        TTL); whether it was deleted now."""
        ...

    def delete_steps(self, job_id: str) -> int:
        """Delete the steps of a job that is gone; how many there were."""
        ...

    # Progress, heartbeats and timeouts (leases.py): each a conditional write of one item.

    def renew_job(self, job_id: str, now: int, owner: str | None, progress: int | None = None) -> Job:
        """If the job is started (and, unless ``owner`` is None, owned by ``owner``): ``progress`` when given,
        ``last_updated`` at ``now`` and, for a job with a timeout, its deadline at ``now`` plus the timeout,
        without reading it first. The job as written; ``Changed`` with the job as it is (None: no such job)
        when the condition failed."""
        ...

    def save_step_progress(self, job_id: str, step_id: str, progress: int) -> Step:
        """The step's progress, if the step is still started in storage: the step as written; ``Changed``
        with the step as it is otherwise."""
        ...

    def jobs_to_check(self, now: int, most: int) -> list[Job]:
        """Jobs with a timeout whose lease is due to be looked at by ``now``: up to ``most`` a shard."""
        ...

    def save_lapsed_job(self, before: Job, after: Job) -> None:
        """``save_ended_job``'s end of a lapsed job, if it is still started and its deadline still
        ``before``'s (a heartbeat since wins); its lease no longer looked at."""
        ...

    def move_lease_check(self, job: Job) -> None:
        """Look at the job's lease again at its deadline as read, if the job is still started."""
        ...

    def drop_lease_check(self, job_id: str) -> None:
        """Look no more at the lease of a job that has ended."""
        ...
