"""The job store in memory: the DynamoDB store's twin for tests of the domain, with the same conditions and
the same answers (the contract suite in tests/contract runs against both). Thread-safe: one lock."""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import replace

from external_tasks import limits, rules
from external_tasks.model import Job, JobQuery, Path, Status, Step
from external_tasks.store import listing
from external_tasks.store.base import Changed, ExecutionTaken, JobPosition
from external_tasks.store.bindings import Binding


class MemoryStore:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._steps: dict[str, dict[str, Step]] = {}
        self._bindings: dict[str, Binding] = {}
        self._lease_checks: dict[str, int] = {}  # jobs_by_lease: when to look at a job's lease
        self._lock = threading.Lock()

    # Reads.

    def get_job(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def get_job_and_steps(self, job_id: str, step_ids: Sequence[str]) -> tuple[Job | None, dict[str, Step]]:
        with self._lock:
            steps = self._steps.get(job_id, {})
            return self._jobs.get(job_id), {i: steps[i] for i in step_ids if i in steps}

    def get_steps(self, job_id: str, step_ids: Collection[str]) -> dict[str, Step]:
        return self.get_job_and_steps(job_id, list(step_ids))[1]

    def _tree(self, job_id: str) -> list[Step]:
        return sorted(self._steps.get(job_id, {}).values(), key=lambda step: step.path)

    def get_job_with_steps(self, job_id: str, most: int) -> tuple[Job | None, list[Step]]:
        with self._lock:
            return self._jobs.get(job_id), self._tree(job_id)[: most + 1]

    def list_steps(self, job_id: str, limit: int, after: Path | None) -> tuple[Job | None, list[Step], bool]:
        with self._lock:
            steps = [step for step in self._tree(job_id) if after is None or step.path > after]
            return self._jobs.get(job_id), steps[:limit], len(steps) > limit

    def list_jobs(
        self, query: JobQuery, limit: int, after: JobPosition | None, now: int
    ) -> tuple[list[Job], bool]:
        with self._lock:
            jobs = sorted(self._jobs.values(), key=lambda job: (job.start_time, job.id), reverse=True)
        live = [
            job
            for job in jobs
            if (after is None or JobPosition(job.start_time, job.id) < after)
            and not rules.is_gone(job, now)
            and listing.matches(job, query)
        ]
        return live[:limit], len(live) > limit

    # Writes.

    def add_job(self, job: Job) -> Job:
        with self._lock:
            stored = self._jobs.setdefault(job.id, job)
            if stored is job and job.deadline is not None and job.status is Status.STARTED:
                self._lease_checks[job.id] = job.deadline
            return stored

    def _started_job(self, job_id: str) -> Job:
        current = self._jobs.get(job_id)
        if current is None or current.status is not Status.STARTED:
            raise Changed(current)
        return current

    def save_ended_job(self, before: Job, after: Job) -> None:
        with self._lock:
            self._save_ended_job(before, after)

    def _save_ended_job(self, before: Job, after: Job) -> None:
        current = self._started_job(after.id)
        if current.auto_cleared != before.auto_cleared:
            raise Changed(current)
        self._jobs[after.id] = replace(
            current,
            status=after.status,
            end_time=after.end_time,
            last_updated=after.last_updated,
            closure=after.closure,
            auto_cleared=after.auto_cleared,
            gone_at=after.gone_at,
        )

    def save_cleared_job(self, before: Job, after: Job) -> None:
        with self._lock:
            current = self._jobs.get(after.id)
            if (
                current is None
                or current.status is not before.status
                or current.auto_cleared != before.auto_cleared
            ):
                raise Changed(current)
            self._jobs[after.id] = replace(
                current, auto_cleared=True, last_updated=after.last_updated, gone_at=after.gone_at
            )

    def _check_started(self, job_id: str, step_ids: Sequence[str]) -> None:
        steps = self._steps.get(job_id, {})
        if any(step_id not in steps or steps[step_id].status is not Status.STARTED for step_id in step_ids):
            raise Changed(self._jobs.get(job_id))

    def add_step(self, job: Job, changed_job: Job, step: Step, parent: Step | None) -> None:
        with self._lock:
            steps = self._steps.setdefault(job.id, {})
            if step.id in steps:
                raise Changed(self._jobs.get(job.id), steps[step.id])
            if step.execution is not None and step.execution in self._bindings:
                raise ExecutionTaken(self._bindings[step.execution])
            current = self._started_job(job.id)
            if current.step_total >= limits.MAX_STEPS_PER_JOB:
                raise Changed(current)
            if parent is None:
                if current.step_count != step.number:
                    raise Changed(current)
            else:
                stored_parent = steps.get(parent.id)
                if (
                    stored_parent is None
                    or stored_parent.status is not Status.STARTED
                    or stored_parent.child_count != step.number
                ):
                    raise Changed(current)
                self._check_started(job.id, parent.ancestors)
                steps[parent.id] = replace(stored_parent, child_count=stored_parent.child_count + 1)
            steps[step.id] = step
            if step.execution is not None:
                self._bindings[step.execution] = Binding(step.execution, job.id, step.id, job.owner)
            self._jobs[job.id] = replace(
                current,
                last_updated=changed_job.last_updated,
                deadline=changed_job.deadline if changed_job.deadline is not None else current.deadline,
                step_total=current.step_total + 1,
                step_count=current.step_count + (parent is None),
            )

    def save_ended_step(self, job: Job, changed_job: Job, step: Step, ended: Step) -> None:
        with self._lock:
            current = self._started_job(job.id)
            self._check_started(job.id, [step.id, *step.ancestors])
            failing = changed_job.status is not job.status
            if failing and current.auto_cleared != job.auto_cleared:
                raise Changed(current)
            steps = self._steps[job.id]
            steps[step.id] = replace(
                steps[step.id], status=ended.status, end_time=ended.end_time, closes_as=ended.closes_as
            )
            changed = replace(current, last_updated=changed_job.last_updated)
            if changed_job.deadline is not None and changed_job.deadline != job.deadline:
                changed = replace(changed, deadline=changed_job.deadline)
            if failing:
                changed = replace(
                    changed,
                    status=changed_job.status,
                    end_time=changed_job.end_time,
                    closure=changed_job.closure,
                    gone_at=changed_job.gone_at,
                )
            self._jobs[job.id] = changed

    def find_binding(self, arn: str) -> Binding | None:
        with self._lock:
            return self._bindings.get(arn)

    def delete_steps(self, job_id: str) -> int:
        with self._lock:
            return len(self._steps.pop(job_id, {}))

    def expired_jobs(self, now: int, most: int) -> list[str]:
        with self._lock:
            gone = [job_id for job_id, job in self._jobs.items() if rules.is_gone(job, now)]
        return gone[: most * listing.SHARDS]

    def delete_expired_job(self, job_id: str, now: int) -> bool:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or not rules.is_gone(job, now):
                return False
            del self._jobs[job_id]
            self._lease_checks.pop(job_id, None)
            return True

    # Progress, heartbeats and timeouts.

    def renew_job(self, job_id: str, now: int, owner: str | None, progress: int | None = None) -> Job:
        with self._lock:
            current = self._started_job(job_id)
            if owner is not None and current.owner != owner:
                raise Changed(current)
            renewed = replace(
                current,
                last_updated=now,
                progress=current.progress if progress is None else progress,
                deadline=None if current.timeout is None else now + current.timeout * 1000,
            )
            self._jobs[job_id] = renewed
            return renewed

    def save_step_progress(self, job_id: str, step_id: str, progress: int) -> Step:
        with self._lock:
            steps = self._steps.get(job_id, {})
            current = steps.get(step_id)
            if current is None or current.status is not Status.STARTED:
                raise Changed(None, current)
            steps[step_id] = replace(current, progress=progress)
            return steps[step_id]

    def jobs_to_check(self, now: int, most: int) -> list[Job]:
        with self._lock:
            due = sorted((at, job_id) for job_id, at in self._lease_checks.items() if at <= now)
            return [self._jobs[job_id] for _, job_id in due[: most * listing.SHARDS]]

    def save_lapsed_job(self, before: Job, after: Job) -> None:
        with self._lock:
            current = self._jobs.get(after.id)
            if current is None or current.deadline != before.deadline:
                raise Changed(current)
            self._save_ended_job(before, after)
            self._lease_checks.pop(after.id, None)

    def move_lease_check(self, job: Job) -> None:
        with self._lock:
            current = self._started_job(job.id)
            assert job.deadline is not None
            self._lease_checks[current.id] = job.deadline

    def drop_lease_check(self, job_id: str) -> None:
        with self._lock:
            current = self._jobs.get(job_id)
            if current is None or current.status is Status.STARTED:
                raise Changed(current)
            self._lease_checks.pop(job_id, None)
