"""The operations of SPEC.md: read, apply the rules, write conditionally, and when another request got
there first, read and decide again. Handlers call exactly one of these."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from external_tasks import clock, idempotency, limits, observability, paging, rules
from external_tasks.config import settings
from external_tasks.errors import Invalid, Unavailable
from external_tasks.model import Caller, Job, JobQuery, Page, Status, Step, StepType
from external_tasks.store import Changed, JobCursor, StepCursor, job_store

# Adds under one parent take their numbers one at a time; with many plug-ins adding at once a request may
# lose the race a number of times before it wins. It stops trying well within the function's timeout.
_ATTEMPTS = 30
_RETRY_SECONDS = 8.0


def _attempts() -> Iterator[int]:
    deadline = time.monotonic() + _RETRY_SECONDS
    for attempt in range(_ATTEMPTS):
        if attempt:
            time.sleep(random.uniform(0, min(0.25, 0.005 * 2**attempt)))  # noqa: S311 - jitter, not crypto
            if time.monotonic() > deadline:
                break
        yield attempt
    raise Unavailable("Too many concurrent changes to this job; retry shortly")


def _new_id() -> str:
    return str(uuid.uuid4())


def add_job(
    caller: Caller,
    description: str,
    auto_cleared: bool,
    correlation_id: str,
    *,
    idempotency_key: str | None = None,
    context: Any = None,
) -> Job:
    """A new job; with an idempotency key, the job the first request with that key made."""
    if idempotency_key is None:
        return _add_job(caller, description, auto_cleared, correlation_id)
    record = idempotency.once(
        "add_job",
        caller=caller.principal,
        key=idempotency_key,
        payload={"description": description, "auto_cleared": auto_cleared},
        work=lambda: _job_record(_add_job(caller, description, auto_cleared, correlation_id)),
        table_name=settings().table_name,
        context=context,
    )
    return _job_from_record(record)


def _job_record(job: Job) -> dict[str, Any]:
    """A new job as the idempotency record keeps it (JSON)."""
    return {
        "id": job.id,
        "description": job.description,
        "owner": job.owner,
        "start_time": job.start_time,
        "auto_cleared": job.auto_cleared,
        "correlation_id": job.correlation_id,
    }


def _job_from_record(record: dict[str, Any]) -> Job:
    return Job(
        id=record["id"],
        description=record["description"],
        owner=record["owner"],
        status=Status.STARTED,
        start_time=record["start_time"],
        last_updated=record["start_time"],
        auto_cleared=record["auto_cleared"],
        correlation_id=record["correlation_id"],
    )


def _add_job(caller: Caller, description: str, auto_cleared: bool, correlation_id: str) -> Job:
    now = clock.now_ms()
    job = Job(
        id=_new_id(),
        description=description,
        owner=caller.principal,
        status=Status.STARTED,
        start_time=now,
        last_updated=now,
        auto_cleared=auto_cleared,
        correlation_id=correlation_id,
    )
    job_store().add_job(job)
    observability.count("JobAdded")
    return job


def get_job(job_id: str) -> Job:
    return rules.visible_job(job_store().get_job(job_id), job_id, clock.now_ms())


def get_job_with_steps(job_id: str) -> tuple[Job, list[Step]]:
    stored, steps = job_store().get_job_with_steps(job_id, most=limits.MAX_FOLLOWED_STEPS)
    job = rules.visible_job(stored, job_id, clock.now_ms())
    if len(steps) > limits.MAX_FOLLOWED_STEPS or _fitting(steps, _step_texts) < len(steps):
        raise Invalid(
            f"Job {job_id} has too many steps to embed with follow=steps; "
            f"list them a page at a time with GET /jobs/{job_id}/steps"
        )
    return job, [rules.effective_step(job, step) for step in steps]


def _job_texts(job: Job) -> Sequence[str]:
    return job.description, job.owner, job.correlation_id


def _step_texts(step: Step) -> Sequence[str]:
    return (step.description,)


def _fitting[T](items: Sequence[T], texts: Callable[[T], Sequence[str]]) -> int:
    """How many of ``items``, from the first, fit in one reply (SPEC: a page may be shorter than max)."""
    total = 0
    for count, item in enumerate(items):
        total += limits.reply_bytes_bound(texts(item))
        if total > limits.MAX_REPLY_BYTES:
            return count
    return len(items)


def _jobs_listing(query: JobQuery) -> str:
    return "jobs?" + json.dumps([query.correlation_id, query.status, query.owner])


def list_jobs(query: JobQuery, limit: int, page: str | None) -> Page[Job]:
    key = settings().page_token_key
    listing = _jobs_listing(query)
    after = None
    if page is not None:
        match paging.decode(page, listing, key):
            case [str(job_id), int(start_time)]:
                after = JobCursor(job_id, start_time)
            case _:
                raise Invalid("page token is not valid for this listing")
    jobs, cursor = job_store().list_jobs(query, limit, after, clock.now_ms())
    fitting = _fitting(jobs, _job_texts)
    if fitting < len(jobs):
        jobs, cursor = jobs[:fitting], JobCursor(jobs[fitting - 1].id, jobs[fitting - 1].start_time)
    token = None if cursor is None else paging.encode([cursor.job_id, cursor.start_time], listing, key)
    return Page(tuple(jobs), token)


def list_steps(job_id: str, limit: int, page: str | None) -> Page[Step]:
    key = settings().page_token_key
    listing = f"jobs/{job_id}/steps"
    after = None
    if page is not None:
        match paging.decode(page, listing, key):
            case [str(step_id), *numbers] if numbers and all(isinstance(number, int) for number in numbers):
                after = StepCursor(step_id, tuple(int(number) for number in numbers))
            case _:
                raise Invalid("page token is not valid for this listing")
    stored, steps, cursor = job_store().list_steps(job_id, limit, after)
    job = rules.visible_job(stored, job_id, clock.now_ms())
    fitting = _fitting(steps, _step_texts)
    if fitting < len(steps):
        steps, cursor = steps[:fitting], StepCursor(steps[fitting - 1].id, steps[fitting - 1].path)
    token = None if cursor is None else paging.encode([cursor.step_id, *cursor.path], listing, key)
    return Page(tuple(rules.effective_step(job, step) for step in steps), token)


def end_job(caller: Caller, job_id: str, outcome: Status, force: bool) -> None:
    store, config = job_store(), settings()
    current: Job | None = None
    for _ in _attempts():
        now = clock.now_ms()
        job = rules.visible_job(current or store.get_job(job_id), job_id, now)
        rules.check_may_change(caller, job, config.admin_principals, "end")
        ended = rules.end_job(job, outcome, force=force, now=now, cleanup=config.cleanup)
        if ended is None:
            return
        try:
            store.save_ended_job(job, ended)
        except Changed as changed:
            current = changed.job
            continue
        observability.count("JobEnded")
        return


def clear_job(caller: Caller, job_id: str) -> None:
    store, config = job_store(), settings()
    current: Job | None = None
    for _ in _attempts():
        now = clock.now_ms()
        job = rules.visible_job(current or store.get_job(job_id), job_id, now)
        rules.check_may_change(caller, job, config.admin_principals, "clear")
        cleared = rules.clear_job(job, now, config.cleanup)
        if cleared is None:
            return
        try:
            store.save_cleared_job(job, cleared)
        except Changed as changed:
            current = changed.job
            continue
        observability.count("JobCleared")
        return


def get_step(job_id: str, step_id: str) -> Step:
    job, step = job_store().get_job_and_step(job_id, step_id)
    visible = rules.visible_job(job, job_id, clock.now_ms())
    return rules.effective_step(visible, rules.found_step(step, visible, step_id))


def add_step(
    caller: Caller,
    job_id: str,
    description: str,
    step_type: StepType,
    parent_step_id: str | None,
    *,
    idempotency_key: str | None = None,
    context: Any = None,
) -> Step:
    """A new step; with an idempotency key, the step the first request with that key made."""
    if idempotency_key is None:
        return _add_step(caller, job_id, description, step_type, parent_step_id)
    record = idempotency.once(
        "add_step",
        caller=caller.principal,
        key=idempotency_key,
        payload={"job": job_id, "description": description, "type": step_type, "parent": parent_step_id},
        work=lambda: _step_record(_add_step(caller, job_id, description, step_type, parent_step_id)),
        table_name=settings().table_name,
        context=context,
    )
    return _step_from_record(record)


def _step_record(step: Step) -> dict[str, Any]:
    """A new step as the idempotency record keeps it (JSON)."""
    return {
        "id": step.id,
        "job_id": step.job_id,
        "description": step.description,
        "type": step.type,
        "path": list(step.path),
        "start_time": step.start_time,
        "parent_step_id": step.parent_step_id,
    }


def _step_from_record(record: dict[str, Any]) -> Step:
    return Step(
        id=record["id"],
        job_id=record["job_id"],
        description=record["description"],
        type=StepType(record["type"]),
        path=tuple(record["path"]),
        status=Status.STARTED,
        start_time=record["start_time"],
        parent_step_id=record["parent_step_id"],
    )


def _add_step(
    caller: Caller, job_id: str, description: str, step_type: StepType, parent_step_id: str | None
) -> Step:
    store, config = job_store(), settings()
    step_id = _new_id()
    for _ in _attempts():
        now = clock.now_ms()
        if parent_step_id is None:
            stored, stored_parent = store.get_job(job_id), None
        else:
            stored, stored_parent = store.get_job_and_step(job_id, parent_step_id)
        job = rules.visible_job(stored, job_id, now)
        rules.check_may_change(caller, job, config.admin_principals, "add steps to")
        parent = (
            None
            if parent_step_id is None
            else rules.effective_step(job, rules.found_step(stored_parent, job, parent_step_id))
        )
        changed_job, step = rules.add_step(
            job, parent, step_id=step_id, description=description, step_type=step_type, now=now
        )
        try:
            store.add_step(job, changed_job, step, parent)
        except Changed:
            continue
        observability.count("StepAdded")
        return step
    raise AssertionError("unreachable: _attempts raises when exhausted")


def end_step(caller: Caller, job_id: str, step_id: str, outcome: Status, force: bool) -> None:
    store, config = job_store(), settings()
    for _ in _attempts():
        now = clock.now_ms()
        stored_job, stored_step = store.get_job_and_step(job_id, step_id)
        job = rules.visible_job(stored_job, job_id, now)
        rules.check_may_change(caller, job, config.admin_principals, "end steps of")
        step = rules.found_step(stored_step, job, step_id)
        change = rules.end_step(job, step, outcome, force=force, now=now, cleanup=config.cleanup)
        if change is None:
            return
        changed_job, ended = change
        try:
            store.save_ended_step(job, changed_job, step, ended)
        except Changed:
            continue
        observability.count("StepEnded")
        return
