"""The rules of docs/rules.md, each in one place and named as docs/rules.md names it. Pure functions: no I/O.

The store makes every decision taken here stick with a conditional write; when the condition fails, the
caller reads again and asks these functions again.

Ending a job or a step does not write its open sub-steps one by one. It records a *closure* instead, on the
item that ended (the job's ``closure``, a step's ``closes_as``), and a step that is still ``started`` in
storage reads as the closure of its nearest ended ancestor, else of its job (``effective_step``). The
nearest one is the earliest: once an ancestor has closed, nothing below it can be ended any more (it already
reads as ended), so only steps that still read as started are ever ended.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType

from external_tasks import limits
from external_tasks.config import CleanupDelays
from external_tasks.errors import Conflict, Forbidden, Invalid, NotFound
from external_tasks.model import Caller, Closure, Job, Role, Status, Step, StepType

type Chain = Mapping[str, Step]  # steps by id, holding (at least) the ancestors of the steps in question
NO_CHAIN: Chain = MappingProxyType({})

_ASSUMED_ROLE = re.compile(
    r"^arn:(?P<partition>[^:]+):sts::(?P<account>\d+):assumed-role/(?P<name>[^/]+)/.+\Z"
)
_WITH_PATH = re.compile(
    r"^arn:(?P<partition>[^:]+):iam::(?P<account>\d+):(?P<kind>role|user)/(?:[^/]+/)+(?P<name>[^/]+)\Z"
)


def owner_of(principal_arn: str) -> str:
    """Job owner: the caller's principal, an assumed-role session reduced to its role ARN.

    An assumed-role ARN does not carry the role's path, so role and user ARNs drop theirs too (names are
    unique within an account, whatever the path): an administrator listed as ``…:role/ops/Admin`` is the
    caller ``…:assumed-role/Admin/on-call``.
    """
    match = _ASSUMED_ROLE.match(principal_arn)
    if match is not None:
        return f"arn:{match['partition']}:iam::{match['account']}:role/{match['name']}"
    match = _WITH_PATH.match(principal_arn)
    if match is not None:
        return f"arn:{match['partition']}:iam::{match['account']}:{match['kind']}/{match['name']}"
    return principal_arn


# Rule 6: clearing, and cleared jobs disappearing.


def gone_at(job: Job, cleanup: CleanupDelays) -> int | None:
    """When an auto-cleared, terminal job disappears; None while it stays."""
    if not job.auto_cleared or job.end_time is None:
        return None
    minutes = cleanup.succeeded_minutes if job.status is Status.FINISHED else cleanup.failed_minutes
    return job.end_time + round(minutes * 60_000)


def is_gone(job: Job, now: int) -> bool:
    """An expired job reads as gone before DynamoDB's TTL physically deletes it. (Listings apply the same
    test in their query: store.dynamodb.JobStore.list_jobs.)"""
    return job.gone_at is not None and job.gone_at <= now


def clear_job(job: Job, now: int, cleanup: CleanupDelays) -> Job | None:
    """Mark the job auto-cleared (None: it already is). A started job stays until it ends."""
    if job.auto_cleared:
        return None
    cleared = replace(job, auto_cleared=True, last_updated=now)
    return replace(cleared, gone_at=gone_at(cleared, cleanup))


# Rule 8: unknown resources.


def visible_job(job: Job | None, job_id: str, now: int) -> Job:
    if job is None or is_gone(job, now):
        raise NotFound(f"Job {job_id} not found")
    return job


def found_step(step: Step | None, job: Job, step_id: str) -> Step:
    if step is None:
        raise NotFound(f"Step {step_id} not found in job {job.id}")
    return step


# Rule 7: who may do what.

USER_OWNER_PREFIX = "user/"
# A user in several groups has the strongest of their roles.
_STRONGEST_FIRST = (Role.ADMINISTRATOR, Role.WRITER, Role.READER)


def user_caller(user_name: str, groups: Iterable[str]) -> Caller:
    """A signed-in user: owner ``user/<user name>``, with the role of their groups; in none of them, 403."""
    member_of = set(groups)
    role = next((role for role in _STRONGEST_FIRST if role in member_of), None)
    if role is None:
        raise Forbidden(
            f"User {user_name} is in none of the groups {', '.join(_STRONGEST_FIRST[::-1])}: "
            "an administrator adds them to one (rule 7 in docs/rules.md)"
        )
    return Caller(f"{USER_OWNER_PREFIX}{user_name}", role)


def check_may_write(caller: Caller) -> None:
    """Creating and ending need the writer permission. IAM has already checked an IAM principal's; a user's
    comes from their group."""
    if caller.role is Role.READER:
        raise Forbidden(
            f"{caller.principal} may only read: adding, ending and clearing jobs and steps needs the "
            f"{Role.WRITER} group (rule 7 in docs/rules.md)"
        )


def check_may_change(caller: Caller, job: Job, admins: frozenset[str], action: str) -> None:
    """Only the job's owner or an administrator: a principal listed in ``AdminPrincipals``, or a user in the
    administrators group."""
    check_may_write(caller)
    if caller.principal == job.owner or caller.role is Role.ADMINISTRATOR:
        return
    if caller.principal in {owner_of(arn) for arn in admins}:
        return
    raise Forbidden(
        f"{caller.principal} may not {action} job {job.id}: only its owner ({job.owner}) "
        "or an administrator may (rule 7 in docs/rules.md)"
    )


# Rules 2, 3 and 4: ending.


def outcome_of(succeeded: bool | None, status: Status | None) -> Status:
    """The terminal status an end request asks for: an oVirt 3.x ``status`` wins over ``succeeded``."""
    if status is not None:
        if not status.is_terminal:
            raise Invalid(
                f"status '{status}' does not end anything: use finished, failed, aborted or unknown"
            )
        return status
    return Status.FAILED if succeeded is False else Status.FINISHED


def _check_end_again(kind: str, ident: str, current: Status, outcome: Status) -> None:
    """Rule 4: ending again with the same outcome is a harmless retry, with another one a conflict."""
    if current is not outcome:
        raise Conflict(
            f"{kind} {ident} already ended {current}; it cannot end {outcome} as well "
            "(rule 4 in docs/rules.md)"
        )


def end_job(job: Job, outcome: Status, *, force: bool, now: int, cleanup: CleanupDelays) -> Job | None:
    """Rule 2. Returns the ended job, or None when it had already ended so (rule 4)."""
    if job.status.is_terminal:
        _check_end_again("Job", job.id, job.status, outcome)
        return None
    ended = replace(
        job,
        status=outcome,
        end_time=now,
        last_updated=now,
        closure=Closure(Status.ABORTED if force else outcome, now),
        auto_cleared=job.auto_cleared or force,
    )
    return replace(ended, gone_at=gone_at(ended, cleanup))


def effective_step(job: Job, step: Step, chain: Chain = NO_CHAIN) -> Step:
    """The step as readers see it: a started step under an ended ancestor or job has ended with it.

    ``chain`` holds the step's ancestors as stored; an ancestor missing from it is taken to be started (the
    write that acts on that assumption checks it, and the caller reads the ancestors when it fails).
    """
    if step.status.is_terminal:
        return step
    closure = _closure_above(job, step, chain)
    if closure is None:
        return step
    # A step added while its job or ancestor was ending can have started a moment after the end was decided
    # (the end tests status alone, so that adds never starve it): it ended as it started.
    return replace(step, status=closure.status, end_time=max(closure.time, step.start_time))


def _closure_above(job: Job, step: Step, chain: Chain) -> Closure | None:
    for ancestor_id in reversed(step.ancestors):
        ancestor = chain.get(ancestor_id)
        if ancestor is not None and ancestor.closure is not None:
            return ancestor.closure
    return job.closure


def end_step(
    job: Job,
    step: Step,
    outcome: Status,
    *,
    force: bool,
    now: int,
    cleanup: CleanupDelays,
    chain: Chain = NO_CHAIN,
) -> tuple[Job, Step] | None:
    """Rule 3. Returns the job and step after the end, or None when the step had already ended so."""
    current = effective_step(job, step, chain)
    if current.status.is_terminal:
        _check_end_again("Step", step.id, current.status, outcome)
        return None
    ended_step = replace(step, status=outcome, end_time=now, closes_as=Status.ABORTED if force else outcome)
    changed_job = replace(job, last_updated=now)
    if outcome is Status.FAILED:
        # A failed step fails its job, and so every step still started anywhere in it.
        failed = Closure(Status.FAILED, now)
        changed_job = replace(changed_job, status=Status.FAILED, end_time=now, closure=failed)
        changed_job = replace(changed_job, gone_at=gone_at(changed_job, cleanup))
    return changed_job, ended_step


# Rule 5: adding steps.


def check_open(job: Job) -> None:
    """Steps can only be added to a started job."""
    if job.status.is_terminal:
        raise Conflict(
            f"Job {job.id} has ended ({job.status}): steps can only be added to a started job "
            "(rule 5 in docs/rules.md)"
        )


def add_step(
    job: Job, parent: Step | None, *, step_id: str, description: str, step_type: StepType, now: int
) -> tuple[Job, Step]:
    """The job after adding the step under ``parent`` (None: a top-level step), and the new step.

    ``parent`` must be as readers see it (``effective_step``).
    """
    check_open(job)
    if parent is not None and parent.status.is_terminal:
        raise Conflict(
            f"Parent step {parent.id} has ended ({parent.status}): "
            "sub-steps can only be added under a started step (rule 5 in docs/rules.md)"
        )
    if parent is not None and parent.depth >= limits.MAX_STEP_DEPTH:
        raise Invalid(
            f"parent_step {parent.id} is {parent.depth} levels deep, "
            f"and steps nest at most {limits.MAX_STEP_DEPTH} levels deep"
        )
    if job.step_total >= limits.MAX_STEPS_PER_JOB:
        raise Conflict(f"Job {job.id} already has {job.step_total} steps, the most a job may have")
    number = parent.child_count if parent is not None else job.step_count
    step = Step(
        id=step_id,
        job_id=job.id,
        description=description,
        type=step_type,
        path=(*parent.path, number) if parent is not None else (number,),
        status=Status.STARTED,
        start_time=now,
        parent_step_id=parent.id if parent is not None else None,
        ancestors=(*parent.ancestors, parent.id) if parent is not None else (),
    )
    changed_job = replace(
        job,
        step_count=job.step_count + (parent is None),
        step_total=job.step_total + 1,
        last_updated=now,
    )
    return changed_job, step
