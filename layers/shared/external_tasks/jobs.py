"""The operations of docs/api.md: read, apply the rules, write conditionally, and when another request got
there first, read and decide again. Handlers call exactly one of these."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace

from external_tasks import clock, idempotency, leases, limits, observability, rules
from external_tasks.config import default_job_timeout, settings
from external_tasks.errors import Conflict, Invalid, Unavailable
from external_tasks.listings import job_bytes, page_of_jobs, page_of_steps, steps_fitting, with_chain
from external_tasks.model import Caller, Job, JobQuery, Page, Status, Step, StepType
from external_tasks.store import Changed, job_store
from external_tasks.store.base import ExecutionTaken

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


def _now(job: Job | None = None) -> int:
    """The time of a change: never before the job's last one, so last_updated never moves back."""
    now = clock.now_ms()
    return now if job is None else max(now, job.last_updated)


# Jobs.


def add_job(
    caller: Caller,
    description: str,
    auto_cleared: bool,
    correlation_id: str,
    *,
    idempotency_key: str | None = None,
    timeout: int | None = None,
) -> Job:
    """A new job; with an idempotency key, the job the first request with that key made. Without a
    ``timeout``, the deployment's default one (none unless DefaultJobTimeoutSeconds is set)."""
    now = clock.now_ms()
    job = Job(
        id=str(uuid.uuid4()),
        description=description,
        owner=caller.principal,
        status=Status.STARTED,
        start_time=now,
        last_updated=now,
        auto_cleared=auto_cleared,
        correlation_id=correlation_id,
    )
    job = leases.with_timeout(job, default_job_timeout() if timeout is None else timeout)
    if idempotency_key is not None:
        request: dict[str, object] = {"description": description, "auto_cleared": auto_cleared}
        if timeout is not None:
            request["timeout"] = timeout
        job = replace(
            job,
            id=idempotency.keyed_id(caller.principal, idempotency_key, "job"),
            request_digest=idempotency.digest(request),
        )
    stored = job_store().add_job(job)
    if stored != job:  # the key's first request made it
        assert idempotency_key is not None
        idempotency.check_repeat(idempotency_key, stored.request_digest, job.request_digest)
        if rules.is_gone(stored, clock.now_ms()):
            raise idempotency.cleared_away(idempotency_key, "job", stored.id)
        return stored
    observability.count("JobAdded")
    return job


def get_job(job_id: str) -> Job:
    return rules.visible_job(job_store().get_job(job_id), job_id, clock.now_ms())


def get_job_with_steps(job_id: str) -> tuple[Job, list[Step]]:
    """The job and its steps, to embed (follow=steps): up to MAX_FOLLOWED_STEPS, while the job and its
    steps fit in one of Lambda's replies (limits.MAX_REPLY_BYTES); a larger job is refused, pointing at the
    listing."""
    stored, steps = job_store().get_job_with_steps(job_id, most=limits.MAX_FOLLOWED_STEPS)
    job = rules.visible_job(stored, job_id, clock.now_ms())
    room = limits.MAX_REPLY_BYTES - job_bytes(job)
    if len(steps) > limits.MAX_FOLLOWED_STEPS or steps_fitting(steps, room) < len(steps):
        raise Invalid(
            f"Job {job_id} has too many steps to embed with follow=steps (at most {limits.MAX_FOLLOWED_STEPS}"
            f", and only while they fit in a reply of {limits.LAMBDA_REPLY_BYTES} bytes); "
            f"list them a page at a time with GET /jobs/{job_id}/steps"
        )
    chain = {step.id: step for step in steps}
    return job, [rules.effective_step(job, step, chain) for step in steps]


def list_jobs(query: JobQuery, limit: int, page: str | None) -> Page[Job]:
    return page_of_jobs(query, limit, page)


def end_job(caller: Caller, job_id: str, outcome: Status, force: bool) -> None:
    store, config = job_store(), settings()
    current: Job | None = None
    try:
        for _ in _attempts():
            stored = current or store.get_job(job_id)
            now = _now(stored)
            job = rules.visible_job(stored, job_id, now)
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
            if ended.status is Status.FAILED:
                observability.count("JobFailed")
            return
    except Unavailable:
        # Out of attempts: the job as last seen may already show this end (made by an attempt of this very
        # request whose answer was lost); then it is done, not a 503.
        if current is None or current.status is Status.STARTED:
            raise
        rules.end_job(current, outcome, force=force, now=_now(current), cleanup=config.cleanup)


def clear_job(caller: Caller, job_id: str) -> None:
    store, config = job_store(), settings()
    current: Job | None = None
    try:
        for _ in _attempts():
            stored = current or store.get_job(job_id)
            now = _now(stored)
            job = rules.visible_job(stored, job_id, now)
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
    except Unavailable:
        if current is None or not current.auto_cleared:  # as in end_job
            raise


# Steps.


def get_step(job_id: str, step_id: str) -> Step:
    store = job_store()
    stored_job, steps = store.get_job_and_steps(job_id, [step_id])
    job = rules.visible_job(stored_job, job_id, clock.now_ms())
    step = rules.found_step(steps.get(step_id), job, step_id)
    return rules.effective_step(job, step, with_chain(store, job_id, [step]))


def list_steps(job_id: str, limit: int, page: str | None) -> Page[Step]:
    return page_of_steps(job_id, limit, page)


def add_step(
    caller: Caller,
    job_id: str,
    description: str,
    step_type: StepType,
    parent_step_id: str | None,
    *,
    idempotency_key: str | None = None,
    execution: str | None = None,
    step_id: str | None = None,
) -> Step:
    """A new step; with an idempotency key, the step the first request with that key made. ``execution``:
    the ARN of the AWS execution it is bound to; ``step_id``: its id, when the caller chose it already
    (``step_id_for``)."""
    store, config = job_store(), settings()
    step_id, digest = step_id or step_id_for(caller, job_id, idempotency_key), None
    if idempotency_key is not None:
        request = {"description": description, "type": step_type, "parent": parent_step_id}
        digest = idempotency.digest(request if execution is None else {**request, "execution": execution})
    # The parent's ancestors are read only once a write found one of them ended: until then they are taken
    # to be started, and the write checks that they are.
    ancestors: tuple[str, ...] = ()
    for attempt in _attempts():
        # The new step's id is read too when it may exist: made by the first request with this key, or by
        # an earlier attempt of this one whose answer was lost.
        wanted = [step_id] if idempotency_key is not None or attempt else []
        if parent_step_id is not None:
            wanted += [parent_step_id, *ancestors]
        stored, steps = store.get_job_and_steps(job_id, wanted)
        if step_id in steps:
            if idempotency_key is not None:
                idempotency.check_repeat(idempotency_key, steps[step_id].request_digest, digest)
            job = rules.visible_job(stored, job_id, clock.now_ms())
            return rules.effective_step(
                job, steps[step_id], with_chain(store, job_id, [steps[step_id]], steps)
            )
        now = _now(stored)
        job = rules.visible_job(stored, job_id, now)
        rules.check_may_change(caller, job, config.admin_principals, "add steps to")
        parent = None
        if parent_step_id is not None:
            parent = rules.found_step(steps.get(parent_step_id), job, parent_step_id)
        changed_job, step = rules.add_step(
            job,
            None if parent is None else rules.effective_step(job, parent, steps),
            step_id=step_id,
            description=description,
            step_type=step_type,
            now=now,
        )
        changed_job = leases.renewed(changed_job, now)
        step = replace(step, request_digest=digest, execution=execution)
        try:
            store.add_step(job, changed_job, step, parent)
        except Changed:
            ancestors = () if parent is None else parent.ancestors
            continue
        except ExecutionTaken as taken:
            raise Conflict(
                f"Execution {execution} is already bound to step {taken.binding.step_id} of job "
                f"{taken.binding.job_id}: an execution ends one step"
            ) from None
        observability.count("StepAdded")
        return step
    raise AssertionError("unreachable: _attempts raises when exhausted")


def step_id_for(caller: Caller, job_id: str, idempotency_key: str | None) -> str:
    """A new step's id: from the Idempotency-Key when there is one, so that a repeat makes no second step."""
    if idempotency_key is None:
        return str(uuid.uuid4())
    return idempotency.keyed_id(caller.principal, idempotency_key, "step", job_id)


def end_step(caller: Caller, job_id: str, step_id: str, outcome: Status, force: bool) -> bool:
    """Whether this request ended the step (False: it had already ended so, rule 4)."""
    store, config = job_store(), settings()
    ancestors: tuple[str, ...] = ()  # read once a write found one of them ended (see add_step)
    for _ in _attempts():
        stored_job, steps = store.get_job_and_steps(job_id, [step_id, *ancestors])
        now = _now(stored_job)
        job = rules.visible_job(stored_job, job_id, now)
        rules.check_may_change(caller, job, config.admin_principals, "end steps of")
        step = rules.found_step(steps.get(step_id), job, step_id)
        change = rules.end_step(job, step, outcome, force=force, now=now, cleanup=config.cleanup, chain=steps)
        if change is None:
            return False
        changed_job, ended = change
        try:
            store.save_ended_step(job, leases.renewed(changed_job, now), step, ended)
        except Changed:
            ancestors = step.ancestors
            continue
        observability.count("StepEnded")
        if changed_job.status is Status.FAILED and job.status is not Status.FAILED:
            observability.count("JobFailed")  # the failed step failed its job
        return True
    raise AssertionError("unreachable: _attempts raises when exhausted")
