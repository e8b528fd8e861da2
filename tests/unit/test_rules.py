"""docs/rules.md rules 1-8 as ``rules`` decides them: jobs and steps built by hand, no store, no clock.

Times are epoch milliseconds. The tree of steps most tests use, with the numbers siblings get:

    job
    ├── A (0,)          two sub-steps
    │   ├── B (0, 0)    one sub-step
    │   │   └── C (0, 0, 0)
    │   └── D (0, 1)
    └── E (1,)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from external_tasks import limits, rules
from external_tasks.config import CleanupDelays
from external_tasks.errors import Conflict, Forbidden, Invalid, NotFound
from external_tasks.model import Caller, Closure, Job, Path, Status, Step, StepType

ACCOUNT = "123456789012"
OWNER = f"arn:aws:iam::{ACCOUNT}:role/PluginRole"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/admin"
STRANGER = f"arn:aws:iam::{ACCOUNT}:user/mallory"
JOB_ID = "6f1c1a52-5b8e-4d0a-9d3e-2b0f6f1d7c11"

SECOND = 1_000
MINUTE = 60 * SECOND
T0 = 1_764_000_000_000  # the job starts; a whole second, 2025-11-24T16:00:00Z
NOW = T0 + 5 * MINUTE  # the request being decided
LATER = NOW + 3 * MINUTE
DEFAULT_DELAYS = CleanupDelays()  # rule 6: SucceededJobCleanupMinutes 10, FailedJobCleanupMinutes 60

A: Path = (0,)
B: Path = (0, 0)
C: Path = (0, 0, 0)
D: Path = (0, 1)
E: Path = (1,)


def a_job(**changes: Any) -> Job:
    """A started job of OWNER's without steps, auto-cleared (the default); ``changes`` override fields."""
    job = Job(
        id=JOB_ID,
        description="Backing up virtual machines",
        owner=OWNER,
        status=Status.STARTED,
        start_time=T0,
        last_updated=T0,
        auto_cleared=True,
        correlation_id="backup-1",
    )
    return replace(job, **changes)


def step_id(path: Path) -> str:
    return "step-" + "-".join(str(number) for number in path)


def a_step(path: Path, **changes: Any) -> Step:
    """A started step of JOB_ID at ``path``, its parent being the step at the path above it."""
    step = Step(
        id=step_id(path),
        job_id=JOB_ID,
        description=f"step {path}",
        type=StepType.EXECUTING,
        path=path,
        status=Status.STARTED,
        start_time=T0,
        parent_step_id=step_id(path[:-1]) if len(path) > 1 else None,
        ancestors=tuple(step_id(path[:depth]) for depth in range(1, len(path))),
    )
    return replace(step, **changes)


def job_with_tree(**changes: Any) -> tuple[Job, dict[Path, Step]]:
    """The job of the module docstring, every step started."""
    job = a_job(**{"step_count": 2, "step_total": 5, **changes})
    steps = {
        A: a_step(A, child_count=2),
        B: a_step(B, child_count=1),
        C: a_step(C),
        D: a_step(D),
        E: a_step(E),
    }
    return job, steps


def ended_job(status: Status, *, at: int = NOW, closure: Status | None = None, **changes: Any) -> Job:
    """A job that ended ``status`` at ``at``, its open steps closed with ``closure`` (default: its status)."""
    return a_job(
        status=status,
        end_time=at,
        last_updated=at,
        closure=Closure(closure or status, at),
        **changes,
    )


def read_as(job: Job, step: Step, steps: dict[Path, Step] | None = None) -> tuple[Status, int | None]:
    """What a reader of the step sees of its ending, its ancestors being as in ``steps``."""
    seen = rules.effective_step(job, step, chain(steps or {}))
    return seen.status, seen.end_time


def chain(steps: dict[Path, Step]) -> rules.Chain:
    return {step.id: step for step in steps.values()}


def ended(steps: dict[Path, Step], step: Step) -> dict[Path, Step]:
    """``steps`` after ``step`` (as ended) was stored."""
    return {**steps, step.path: step}


# Job owner (docs/api.md, Resources: "an assumed-role session is reduced to its role ARN").


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_an_assumed_role_session_owns_jobs_as_its_role(partition: str) -> None:
    """Job.owner: a plug-in running under an assumed role is recorded as the role, in any partition."""
    # given a session of PluginRole
    session = f"arn:{partition}:sts::{ACCOUNT}:assumed-role/PluginRole/i-0abc123"
    # when it is reduced to an owner
    owner = rules.owner_of(session)
    # then it is the role's IAM ARN in the same partition and account
    assert owner == f"arn:{partition}:iam::{ACCOUNT}:role/PluginRole"


def test_two_sessions_of_one_role_are_the_same_owner() -> None:
    """Job.owner and rule 7: whichever session of its role a plug-in runs in, it owns the same jobs."""
    # given two sessions of the same role
    first = f"arn:aws:sts::{ACCOUNT}:assumed-role/PluginRole/monday"
    second = f"arn:aws:sts::{ACCOUNT}:assumed-role/PluginRole/tuesday"
    # when each is reduced, then they are one owner
    assert rules.owner_of(first) == rules.owner_of(second) == OWNER


@pytest.mark.parametrize(
    "principal",
    [
        f"arn:aws:iam::{ACCOUNT}:user/alice",
        f"arn:aws:iam::{ACCOUNT}:role/PluginRole",
        f"arn:aws:iam::{ACCOUNT}:root",
        f"arn:aws:sts::{ACCOUNT}:federated-user/bob",
        f"arn:aws-cn:iam::{ACCOUNT}:user/alice",
    ],
)
def test_principals_other_than_assumed_role_sessions_own_jobs_as_they_are(principal: str) -> None:
    """Job.owner: a principal ARN without a path is kept unchanged."""
    # when any other principal is reduced, then it is unchanged
    assert rules.owner_of(principal) == principal


@pytest.mark.parametrize(
    ("principal", "owner"),
    [
        (f"arn:aws:iam::{ACCOUNT}:role/service-role/PluginRole", OWNER),
        (f"arn:aws:iam::{ACCOUNT}:user/engineering/alice", f"arn:aws:iam::{ACCOUNT}:user/alice"),
    ],
)
def test_a_role_or_user_arn_with_a_path_is_the_same_principal_as_without(principal: str, owner: str) -> None:
    """Job.owner and rule 7: an assumed-role session's ARN has no path, so paths are dropped everywhere."""
    # when a role or user ARN with a path is reduced, then it is the ARN without the path
    assert rules.owner_of(principal) == owner


# Rule 6: cleared jobs disappearing.


@pytest.mark.parametrize(
    ("delays", "minutes"),
    [(DEFAULT_DELAYS, 10), (CleanupDelays(succeeded_minutes=3, failed_minutes=7), 3)],
)
def test_a_finished_auto_cleared_job_disappears_after_the_succeeded_delay(
    delays: CleanupDelays, minutes: int
) -> None:
    """Rule 6: a finished auto-cleared job goes SucceededJobCleanupMinutes after it ended."""
    # given an auto-cleared job that finished at NOW
    job = ended_job(Status.FINISHED)
    # when its expiry is worked out
    job = replace(job, gone_at=rules.gone_at(job, delays))
    # then it is readable until the delay is over, and gone from then on
    assert not rules.is_gone(job, NOW + minutes * MINUTE - 1)
    assert rules.is_gone(job, NOW + minutes * MINUTE)


@pytest.mark.parametrize("status", [Status.FAILED, Status.ABORTED, Status.UNKNOWN])
@pytest.mark.parametrize(
    ("delays", "minutes"),
    [(DEFAULT_DELAYS, 60), (CleanupDelays(succeeded_minutes=3, failed_minutes=7), 7)],
)
def test_a_job_that_did_not_finish_stays_for_the_failed_delay(
    status: Status, delays: CleanupDelays, minutes: int
) -> None:
    """Rule 6: failed, aborted and unknown auto-cleared jobs go FailedJobCleanupMinutes after they ended."""
    # given an auto-cleared job that ended other than finished at NOW
    job = ended_job(status)
    # when its expiry is worked out
    job = replace(job, gone_at=rules.gone_at(job, delays))
    # then the succeeded delay does not apply to it: it stays until the failed delay is over
    assert not rules.is_gone(job, NOW + round(delays.succeeded_minutes * MINUTE))
    assert not rules.is_gone(job, NOW + minutes * MINUTE - 1)
    assert rules.is_gone(job, NOW + minutes * MINUTE)


@pytest.mark.parametrize("status", [Status.FINISHED, Status.FAILED])
def test_a_cleanup_delay_of_zero_minutes_means_gone_at_once(status: Status) -> None:
    """Rule 6: "0 meaning at once", even for a job that ended in the middle of a second."""
    # given an auto-cleared job that ended mid-second, with both delays 0
    at = NOW + 123
    job = ended_job(status, at=at)
    # when its expiry is worked out
    job = replace(job, gone_at=rules.gone_at(job, CleanupDelays(0, 0)))
    # then it is gone the moment it ended
    assert rules.is_gone(job, at)


def test_an_auto_cleared_job_stays_readable_for_the_whole_delay_when_it_ended_mid_second() -> None:
    """Rule 6: a finished job goes *after* SucceededJobCleanupMinutes, not up to a second before."""
    # given an auto-cleared job that finished 999 ms into a second
    at = NOW + 999
    job = ended_job(Status.FINISHED, at=at)
    job = replace(job, gone_at=rules.gone_at(job, DEFAULT_DELAYS))
    # when it is read a millisecond before ten minutes have passed
    # then it is still there
    assert rules.visible_job(job, JOB_ID, at + 10 * MINUTE - 1) == job


@pytest.mark.parametrize("status", [Status.FINISHED, Status.FAILED])
def test_a_job_that_is_not_auto_cleared_never_disappears(status: Status) -> None:
    """Rule 6: only auto-cleared jobs disappear; one created with auto_cleared=false stays."""
    # given an ended job that is not auto-cleared
    job = ended_job(status, auto_cleared=False)
    # when its expiry is worked out, then there is none
    assert rules.gone_at(job, CleanupDelays(0, 0)) is None
    assert not rules.is_gone(job, NOW + 365 * 24 * 60 * MINUTE)


def test_a_started_job_never_disappears() -> None:
    """Rule 6: "A started job is never cleared away", however long it runs."""
    # given a started, auto-cleared job
    job = a_job()
    # when its expiry is worked out, then there is none, even with delays of 0
    assert rules.gone_at(job, CleanupDelays(0, 0)) is None
    assert not rules.is_gone(job, NOW + 365 * 24 * 60 * MINUTE)


# Rule 6: clear.


@pytest.mark.parametrize("status", [Status.STARTED, Status.FINISHED])
def test_clearing_a_job_that_is_already_auto_cleared_changes_nothing(status: Status) -> None:
    """Rule 6: clear marks the job auto-cleared; one that already is needs no change (None)."""
    # given an auto-cleared job
    job = a_job(status=status, auto_cleared=True)
    # when it is cleared, then nothing is to be written
    assert rules.clear_job(job, LATER, DEFAULT_DELAYS) is None


def test_clearing_a_started_job_keeps_it_until_it_ends() -> None:
    """Rule 6: a cleared job that is still started stays; it is marked auto-cleared, with no expiry."""
    # given a started job that is not auto-cleared
    job = a_job(auto_cleared=False)
    # when it is cleared
    cleared = rules.clear_job(job, NOW, DEFAULT_DELAYS)
    # then it is auto-cleared, still started, without an expiry, and its last_updated moved
    assert cleared is not None
    assert cleared.auto_cleared
    assert cleared.status is Status.STARTED
    assert cleared.gone_at is None
    assert cleared.last_updated == NOW
    assert not rules.is_gone(cleared, NOW + 365 * 24 * 60 * MINUTE)


def test_a_job_cleared_while_started_disappears_once_it_ends() -> None:
    """Rule 6: "An auto-cleared job, once terminal, disappears on its own", also when cleared first."""
    # given a started job cleared by its owner
    cleared = rules.clear_job(a_job(auto_cleared=False), NOW, DEFAULT_DELAYS)
    assert cleared is not None
    # when it then finishes
    ended = rules.end_job(cleared, Status.FINISHED, force=False, now=LATER, cleanup=DEFAULT_DELAYS)
    # then it goes ten minutes later
    assert ended is not None
    assert not rules.is_gone(ended, LATER + 10 * MINUTE - 1)
    assert rules.is_gone(ended, LATER + 10 * MINUTE)


def test_clearing_an_ended_job_makes_it_disappear() -> None:
    """Rule 6: clearing a job that already ended gives it an expiry: it goes after its cleanup delay."""
    # given a job that finished without being auto-cleared
    job = ended_job(Status.FINISHED, auto_cleared=False)
    # when it is cleared a minute later
    cleared = rules.clear_job(job, NOW + MINUTE, DEFAULT_DELAYS)
    # then it is auto-cleared, still readable now, and gone once ten minutes have passed since the clear
    assert cleared is not None
    assert cleared.auto_cleared
    assert cleared.last_updated == NOW + MINUTE
    assert cleared.gone_at is not None
    assert not rules.is_gone(cleared, NOW + MINUTE)
    assert rules.is_gone(cleared, NOW + MINUTE + 10 * MINUTE)


# Rules 6 and 8: unknown and expired jobs.


def test_an_unknown_job_is_not_found() -> None:
    """Rule 8: a job that is not stored is 404, naming the job."""
    # when a job that does not exist is looked up, then it is not found
    with pytest.raises(NotFound, match=JOB_ID):
        rules.visible_job(None, JOB_ID, NOW)


def test_an_expired_job_reads_as_gone_before_it_is_deleted() -> None:
    """Rule 6: "Until it is physically deleted, an expired job already reads as gone (404)"."""
    # given a stored job whose expiry has passed
    job = ended_job(Status.FINISHED, gone_at=NOW)
    # when it is read after its expiry, then it is not found
    with pytest.raises(NotFound, match=JOB_ID):
        rules.visible_job(job, JOB_ID, NOW + SECOND)


def test_a_cleared_job_is_readable_until_it_expires() -> None:
    """Rule 6: an auto-cleared ended job reads normally until its expiry."""
    # given a job that expires ten minutes after it ended
    job = ended_job(Status.FINISHED, gone_at=NOW + 10 * MINUTE)
    # when it is read just before, then it is the job
    assert rules.visible_job(job, JOB_ID, NOW + 10 * MINUTE - 1) == job


def test_an_unknown_step_is_not_found() -> None:
    """Rule 8: a step that is not in the job is 404, naming the step."""
    # when a step that does not exist is looked up, then it is not found
    with pytest.raises(NotFound, match="step-9"):
        rules.found_step(None, a_job(), "step-9")


# Rule 7: who may change a job.


def test_the_owner_may_change_its_job() -> None:
    """Rule 7: the job's owner may add steps, end and clear."""
    # given a job of OWNER's, when OWNER changes it, then nothing is refused
    rules.check_may_change(Caller(OWNER), a_job(), frozenset(), "end")


def test_another_session_of_the_owners_role_may_change_the_job() -> None:
    """Rule 7 with Job.owner: a plug-in whose role session changed still owns the jobs it made."""
    # given a job owned by PluginRole, and a new session of that role
    caller = Caller(rules.owner_of(f"arn:aws:sts::{ACCOUNT}:assumed-role/PluginRole/another-session"))
    # when it changes the job, then nothing is refused
    rules.check_may_change(caller, a_job(), frozenset(), "end")


def test_an_administrator_may_change_anyones_job() -> None:
    """Rule 7: a principal listed in AdminPrincipals may change a job it does not own."""
    # given a job of OWNER's and ADMIN among the administrators
    admins = frozenset({f"arn:aws:iam::{ACCOUNT}:user/someone-else", ADMIN})
    # when ADMIN changes it, then nothing is refused
    rules.check_may_change(Caller(ADMIN), a_job(), admins, "clear")


def test_an_administrator_listed_as_an_assumed_role_session_may_change_jobs() -> None:
    """Rule 7: AdminPrincipals naming an assumed-role session admits that role, as callers are reduced."""
    # given the administrators listed as a session ARN of OpsRole
    admins = frozenset({f"arn:aws:sts::{ACCOUNT}:assumed-role/OpsRole/console-user"})
    # when any session of OpsRole changes a job
    caller = Caller(rules.owner_of(f"arn:aws:sts::{ACCOUNT}:assumed-role/OpsRole/another-user"))
    # then nothing is refused
    rules.check_may_change(caller, a_job(), admins, "end")


def test_an_administrator_role_listed_with_its_path_may_change_jobs() -> None:
    """Rule 7: AdminPrincipals naming a role by its ARN (which includes its IAM path) admits that role's
    sessions; an assumed-role ARN never carries the path, so the session is still that role."""
    # given the administrators listed as the ARN of a role that has a path
    admins = frozenset({f"arn:aws:iam::{ACCOUNT}:role/operations/OpsRole"})
    # when a session of that role changes a job
    caller = Caller(rules.owner_of(f"arn:aws:sts::{ACCOUNT}:assumed-role/OpsRole/on-call"))
    # then nothing is refused
    rules.check_may_change(caller, a_job(), admins, "end")


@pytest.mark.parametrize("action", ["add steps to", "end", "end steps of", "clear"])
def test_anyone_else_may_not_change_a_job(action: str) -> None:
    """Rule 7: neither owner nor administrator gets 403, the detail naming rule 7."""
    # given a job of OWNER's and ADMIN as the only administrator
    admins = frozenset({ADMIN})
    # when a stranger tries to change it, then it is forbidden
    with pytest.raises(Forbidden, match="rule 7") as refused:
        rules.check_may_change(Caller(STRANGER), a_job(), admins, action)
    assert STRANGER in refused.value.detail


# Rules 2 and 3: the outcome an end request asks for.


@pytest.mark.parametrize(
    ("succeeded", "outcome"),
    [(True, Status.FINISHED), (False, Status.FAILED), (None, Status.FINISHED)],
)
def test_succeeded_chooses_finished_or_failed_and_defaults_to_true(
    succeeded: bool | None, outcome: Status
) -> None:
    """Rules 2 and 3: succeeded=true -> finished, false -> failed; absent means true (Operations)."""
    # when an end request says only succeeded, then that is its outcome
    assert rules.outcome_of(succeeded, None) is outcome


@pytest.mark.parametrize("status", [Status.FINISHED, Status.FAILED, Status.ABORTED, Status.UNKNOWN])
@pytest.mark.parametrize("succeeded", [True, False, None])
def test_an_ovirt_3_status_names_the_outcome_directly(status: Status, succeeded: bool | None) -> None:
    """Rule 2: a 3.x-style status names the terminal status directly, whatever succeeded says."""
    # when an end request carries a terminal status, then that status is the outcome
    assert rules.outcome_of(succeeded, status) is status


def test_ending_with_status_started_is_invalid() -> None:
    """Rule 1: nothing moves a job or step to started; asking to end as started is 400."""
    # when an end request asks for started, then it is invalid
    with pytest.raises(Invalid, match="started"):
        rules.outcome_of(True, Status.STARTED)


# Rule 2: end job.


@pytest.mark.parametrize("outcome", [Status.FINISHED, Status.FAILED, Status.ABORTED, Status.UNKNOWN])
def test_ending_a_job_ends_it_and_its_open_steps_with_its_status(outcome: Status) -> None:
    """Rule 2: the job takes the outcome; every still-started step, at any depth, ends with it."""
    # given a started job with a tree of started steps, not auto-cleared
    job, steps = job_with_tree(auto_cleared=False)
    # when the job ends
    ended = rules.end_job(job, outcome, force=False, now=NOW, cleanup=DEFAULT_DELAYS)
    # then it has the outcome and end time, and every step reads as ended the same way at the same time
    assert ended is not None
    assert (ended.status, ended.end_time, ended.last_updated) == (outcome, NOW, NOW)
    assert not ended.auto_cleared
    assert ended.gone_at is None
    for step in steps.values():
        assert read_as(ended, step) == (outcome, NOW)


def test_ending_an_auto_cleared_job_schedules_its_disappearance() -> None:
    """Rules 2 and 6: an auto-cleared job that ends gets an expiry from its delay."""
    # given a started auto-cleared job
    job = a_job(auto_cleared=True)
    # when it fails
    ended = rules.end_job(job, Status.FAILED, force=False, now=NOW, cleanup=DEFAULT_DELAYS)
    # then it goes an hour later
    assert ended is not None
    assert not rules.is_gone(ended, NOW + 60 * MINUTE - 1)
    assert rules.is_gone(ended, NOW + 60 * MINUTE)


@pytest.mark.parametrize("outcome", [Status.FINISHED, Status.FAILED])
def test_force_ending_a_job_aborts_its_open_steps_and_auto_clears_it(outcome: Status) -> None:
    """Rule 2: with force=true, open steps end aborted and the job is marked auto-cleared."""
    # given a started job that is not auto-cleared, with open steps
    job, steps = job_with_tree(auto_cleared=False)
    # when it is ended with force
    ended = rules.end_job(job, outcome, force=True, now=NOW, cleanup=DEFAULT_DELAYS)
    # then the job keeps the outcome asked for, its steps read aborted, and it will disappear
    assert ended is not None
    assert ended.status is outcome
    assert ended.auto_cleared
    assert ended.gone_at is not None
    for step in steps.values():
        assert read_as(ended, step) == (Status.ABORTED, NOW)


def test_ending_a_job_leaves_steps_that_already_ended_as_they_were() -> None:
    """Rule 2: only steps "still started" end with the job; ended ones keep their outcome and time."""
    # given a job whose step E finished before the job ended
    job, steps = job_with_tree()
    done = replace(steps[E], status=Status.FINISHED, end_time=T0 + MINUTE)
    # when the job is ended with force
    ended = rules.end_job(job, Status.FINISHED, force=True, now=NOW, cleanup=DEFAULT_DELAYS)
    # then E still reads finished at its own time
    assert ended is not None
    assert read_as(ended, done) == (Status.FINISHED, T0 + MINUTE)


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("status", [Status.FINISHED, Status.FAILED, Status.ABORTED])
def test_ending_a_job_again_with_its_outcome_is_a_harmless_retry(status: Status, force: bool) -> None:
    """Rule 4: ending again with the outcome it already has: 200, nothing changes (None)."""
    # given a job that already ended
    job = ended_job(status, auto_cleared=False)
    # when it is ended again the same way, then there is nothing to write
    assert rules.end_job(job, status, force=force, now=LATER, cleanup=DEFAULT_DELAYS) is None


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(Status.FINISHED, Status.FAILED), (Status.FAILED, Status.FINISHED), (Status.ABORTED, Status.FINISHED)],
)
def test_ending_a_job_again_with_another_outcome_is_a_conflict(status: Status, outcome: Status) -> None:
    """Rules 1 and 4: a terminal job cannot take a different outcome: 409 naming rule 4."""
    # given a job that already ended
    job = ended_job(status)
    # when it is ended again with another outcome, then it conflicts
    with pytest.raises(Conflict, match="rule 4"):
        rules.end_job(job, outcome, force=False, now=LATER, cleanup=DEFAULT_DELAYS)


# Rules 2 and 3: how steps read after an ending above them.


def test_a_started_step_of_a_started_job_reads_as_started() -> None:
    """Rule 1: nothing ended above it, so the step is as it is stored."""
    # given a started job with started steps, when C is read, then it is started
    job, steps = job_with_tree()
    assert read_as(job, steps[C]) == (Status.STARTED, None)


def test_a_started_step_under_ended_steps_reads_as_its_nearest_ended_ancestor() -> None:
    """Rules 2 and 3: an open step ends with the first thing above it that ended: step, then job."""
    # given B ended forced at NOW (its sub-step aborted), then A finished at LATER, then the job failed after
    job, steps = job_with_tree()
    steps = ended(steps, replace(steps[B], status=Status.FINISHED, end_time=NOW, closes_as=Status.ABORTED))
    steps = ended(steps, replace(steps[A], status=Status.FINISHED, end_time=LATER, closes_as=Status.FINISHED))
    job = replace(
        job, status=Status.FAILED, end_time=LATER + MINUTE, closure=Closure(Status.FAILED, LATER + MINUTE)
    )
    # when the steps still started in storage are read
    # then each ended with its nearest ended ancestor, or the job when none above it ended
    assert read_as(job, steps[C], steps) == (Status.ABORTED, NOW)
    assert read_as(job, steps[D], steps) == (Status.FINISHED, LATER)
    assert read_as(job, steps[E], steps) == (Status.FAILED, LATER + MINUTE)


def test_a_step_that_ended_before_its_ancestors_keeps_its_own_outcome() -> None:
    """Rules 1 and 4: a terminal step keeps its status and end time whatever ends above it later."""
    # given C finished at NOW, then its ancestors and the job ended otherwise
    job, steps = job_with_tree()
    steps = ended(steps, replace(steps[B], status=Status.ABORTED, end_time=LATER, closes_as=Status.ABORTED))
    steps = ended(steps, replace(steps[A], status=Status.ABORTED, end_time=LATER, closes_as=Status.ABORTED))
    job = replace(job, status=Status.FAILED, end_time=LATER, closure=Closure(Status.FAILED, LATER))
    finished = replace(steps[C], status=Status.FINISHED, end_time=NOW, closes_as=Status.FINISHED)
    # when C is read, then it is as it ended
    assert read_as(job, finished, steps) == (Status.FINISHED, NOW)


# Rule 3: end step.


def test_finishing_a_step_leaves_its_job_and_the_other_steps_started() -> None:
    """Rule 3: succeeded=true -> finished; the job and the steps beside and above it go on."""
    # given the started tree
    job, steps = job_with_tree()
    # when C finishes
    change = rules.end_step(job, steps[C], Status.FINISHED, force=False, now=NOW, cleanup=DEFAULT_DELAYS)
    # then C is finished at NOW, the job is started and updated, the others are still started
    assert change is not None
    changed_job, ended = change
    assert (ended.id, ended.status, ended.end_time) == (steps[C].id, Status.FINISHED, NOW)
    assert changed_job.status is Status.STARTED
    assert changed_job.end_time is None
    assert changed_job.last_updated == NOW
    for path in (A, B, D, E):
        assert read_as(changed_job, steps[path]) == (Status.STARTED, None)


def test_ending_a_step_ends_its_open_sub_steps_with_it() -> None:
    """Rule 3: a step's still-started sub-steps, at any depth, end with its status (fix over oVirt)."""
    # given the started tree
    job, steps = job_with_tree()
    # when A finishes
    change = rules.end_step(job, steps[A], Status.FINISHED, force=False, now=NOW, cleanup=DEFAULT_DELAYS)
    # then B, C and D read finished at NOW, E (beside A) is still started
    assert change is not None
    changed_job, ended_a = change
    steps = ended(steps, ended_a)
    for path in (B, C, D):
        assert read_as(changed_job, steps[path], steps) == (Status.FINISHED, NOW)
    assert read_as(changed_job, steps[E], steps) == (Status.STARTED, None)


def test_ending_a_step_records_its_closure_on_itself_and_leaves_the_job_as_it_was() -> None:
    """Rule 3: the closure is kept on the step that ended, so the job item does not grow as steps end."""
    # given the started tree
    job, steps = job_with_tree()
    # when the leaf D finishes with force
    change = rules.end_step(job, steps[D], Status.FINISHED, force=True, now=NOW, cleanup=DEFAULT_DELAYS)
    # then D closes what might be under it aborted, and the job changed only its last update
    assert change is not None
    changed_job, ended_d = change
    assert (ended_d.status, ended_d.closes_as) == (Status.FINISHED, Status.ABORTED)
    assert changed_job == replace(job, last_updated=NOW)


def test_force_ending_a_step_aborts_its_sub_steps() -> None:
    """Rule 3: with force=true the step takes its outcome and its open sub-steps end aborted."""
    # given the started tree
    job, steps = job_with_tree()
    # when B is ended with force
    change = rules.end_step(job, steps[B], Status.FINISHED, force=True, now=NOW, cleanup=DEFAULT_DELAYS)
    # then B is finished, C aborted
    assert change is not None
    changed_job, ended_b = change
    assert ended_b.status is Status.FINISHED
    assert read_as(changed_job, steps[C], ended(steps, ended_b)) == (Status.ABORTED, NOW)


def test_ending_a_failed_step_fails_the_job() -> None:
    """Rule 3: a step ending failed fails its job, and so every still-started step."""
    # given the started tree, not auto-cleared
    job, steps = job_with_tree(auto_cleared=False)
    # when C fails
    change = rules.end_step(job, steps[C], Status.FAILED, force=False, now=NOW, cleanup=DEFAULT_DELAYS)
    # then the job failed at NOW, every other step reads failed at NOW, and the job stays
    assert change is not None
    changed_job, ended = change
    assert ended.status is Status.FAILED
    assert (changed_job.status, changed_job.end_time, changed_job.last_updated) == (Status.FAILED, NOW, NOW)
    assert changed_job.gone_at is None
    for path in (A, B, D, E):
        assert read_as(changed_job, steps[path]) == (Status.FAILED, NOW)


def test_force_failing_a_step_aborts_its_sub_steps_and_fails_the_rest() -> None:
    """Rule 3: force aborts the failing step's own sub-steps; the job's other open steps fail with it."""
    # given the started tree
    job, steps = job_with_tree()
    # when B fails with force
    change = rules.end_step(job, steps[B], Status.FAILED, force=True, now=NOW, cleanup=DEFAULT_DELAYS)
    # then C (under B) aborted, the rest failed
    assert change is not None
    changed_job, ended_b = change
    steps = ended(steps, ended_b)
    assert read_as(changed_job, steps[C], steps) == (Status.ABORTED, NOW)
    for path in (A, D, E):
        assert read_as(changed_job, steps[path], steps) == (Status.FAILED, NOW)


def test_a_failed_step_makes_an_auto_cleared_job_disappear_after_the_failed_delay() -> None:
    """Rules 3 and 6: the job failed by its step is terminal, so an auto-cleared one gets its expiry."""
    # given an auto-cleared job with a started step
    job, steps = job_with_tree(auto_cleared=True)
    # when the step fails
    change = rules.end_step(job, steps[E], Status.FAILED, force=False, now=NOW, cleanup=DEFAULT_DELAYS)
    # then the job goes after FailedJobCleanupMinutes
    assert change is not None
    changed_job, _ = change
    assert not rules.is_gone(changed_job, NOW + 60 * MINUTE - 1)
    assert rules.is_gone(changed_job, NOW + 60 * MINUTE)


@pytest.mark.parametrize("force", [False, True])
def test_ending_a_step_again_with_its_outcome_is_a_harmless_retry(force: bool) -> None:
    """Rule 4: 200, nothing changes (None)."""
    # given E already finished
    job, steps = job_with_tree()
    done = replace(steps[E], status=Status.FINISHED, end_time=NOW)
    # when it is finished again, then there is nothing to write
    assert rules.end_step(job, done, Status.FINISHED, force=force, now=LATER, cleanup=DEFAULT_DELAYS) is None


def test_ending_a_step_again_with_another_outcome_is_a_conflict() -> None:
    """Rule 4: a terminal step cannot take a different outcome: 409 naming rule 4 (fix over oVirt)."""
    # given E already finished
    job, steps = job_with_tree()
    done = replace(steps[E], status=Status.FINISHED, end_time=NOW)
    # when it is then failed, then it conflicts
    with pytest.raises(Conflict, match="rule 4"):
        rules.end_step(job, done, Status.FAILED, force=False, now=LATER, cleanup=DEFAULT_DELAYS)


def test_ending_a_step_its_ancestor_already_closed_the_same_way_is_a_harmless_retry() -> None:
    """Rule 4: C already reads finished because A finished; finishing C is a retry, not a change."""
    # given A finished at NOW, closing C with it
    job, steps = job_with_tree()
    change = rules.end_step(job, steps[A], Status.FINISHED, force=False, now=NOW, cleanup=DEFAULT_DELAYS)
    assert change is not None
    closed_job, ended_a = change
    # when the still-stored-as-started C is finished, its ancestors read, then there is nothing to write
    again = rules.end_step(
        closed_job,
        steps[C],
        Status.FINISHED,
        force=False,
        now=LATER,
        cleanup=DEFAULT_DELAYS,
        chain=chain(ended(steps, ended_a)),
    )
    assert again is None


@pytest.mark.parametrize("outcome", [Status.FINISHED, Status.FAILED])
def test_ending_a_step_its_ancestor_closed_another_way_is_a_conflict(outcome: Status) -> None:
    """Rule 4: C reads aborted because A was ended with force; ending C otherwise is 409."""
    # given A ended with force at NOW, aborting C
    job, steps = job_with_tree()
    change = rules.end_step(job, steps[A], Status.FINISHED, force=True, now=NOW, cleanup=DEFAULT_DELAYS)
    assert change is not None
    closed_job, ended_a = change
    # when C is ended with another outcome, its ancestors read, then it conflicts
    with pytest.raises(Conflict, match="rule 4"):
        rules.end_step(
            closed_job,
            steps[C],
            outcome,
            force=False,
            now=LATER,
            cleanup=DEFAULT_DELAYS,
            chain=chain(ended(steps, ended_a)),
        )


def test_ending_a_step_whose_ancestors_were_not_read_takes_them_as_started() -> None:
    """Rule 3: without its ancestors the step reads started; the store's write checks that they are."""
    job, steps = job_with_tree()
    change = rules.end_step(job, steps[A], Status.FINISHED, force=True, now=NOW, cleanup=DEFAULT_DELAYS)
    assert change is not None
    closed_job, _ = change
    assert rules.end_step(
        closed_job, steps[C], Status.FINISHED, force=False, now=LATER, cleanup=DEFAULT_DELAYS
    )


def test_ending_a_step_of_a_job_that_ended_another_way_is_a_conflict() -> None:
    """Rules 1 and 4: a step closed by its job's failure cannot be finished afterwards."""
    # given the job failed at NOW while E was open
    job, steps = job_with_tree()
    failed = rules.end_job(job, Status.FAILED, force=False, now=NOW, cleanup=DEFAULT_DELAYS)
    assert failed is not None
    # when E is finished, then it conflicts
    with pytest.raises(Conflict, match="rule 4"):
        rules.end_step(failed, steps[E], Status.FINISHED, force=False, now=LATER, cleanup=DEFAULT_DELAYS)


# Rule 5: add step.


def add(job: Job, parent: Step | None = None, step_type: StepType = StepType.EXECUTING) -> tuple[Job, Step]:
    return rules.add_step(
        job, parent, step_id="new-step", description="Copying disks", step_type=step_type, now=NOW
    )


def test_top_level_steps_are_numbered_consecutively_from_zero() -> None:
    """Step.number: 0-based among siblings, consecutive, no gaps; top-level steps count on the job."""
    # given a started job without steps
    job = a_job()
    # when three top-level steps are added one after another
    numbers = []
    for _ in range(3):
        job, step = add(job)
        numbers.append(step.number)
        assert step.path == (step.number,)
        assert step.parent_step_id is None
    # then they are 0, 1, 2 and the job counts three top-level steps, three in all
    assert numbers == [0, 1, 2]
    assert (job.step_count, job.step_total) == (3, 3)


def test_a_sub_step_is_numbered_after_its_parents_existing_sub_steps() -> None:
    """Step.number and parent_step: a sub-step's number counts its parent's sub-steps, not the job's."""
    # given A, which has two sub-steps, in a job with two top-level steps and five steps in all
    job, steps = job_with_tree()
    # when a sub-step is added under A
    changed_job, step = add(job, steps[A])
    # then it is A's third sub-step, under A, and only the job's total grows
    assert step.number == 2
    assert step.path == (*A, 2)
    assert step.parent_step_id == steps[A].id
    assert (changed_job.step_count, changed_job.step_total) == (2, 6)


def test_a_new_step_is_started_now_in_its_job() -> None:
    """Rule 1: a step starts started; it belongs to the job, and the job's last_updated moves."""
    # given a started job
    job = a_job()
    # when a step is added
    changed_job, step = add(job, step_type=StepType.VALIDATING)
    # then it is started now, of the type and with the description asked for, and the job was updated
    assert step.id == "new-step"
    assert step.job_id == JOB_ID
    assert (step.status, step.start_time, step.end_time) == (Status.STARTED, NOW, None)
    assert (step.type, step.description) == (StepType.VALIDATING, "Copying disks")
    assert changed_job.last_updated == NOW


@pytest.mark.parametrize("status", [Status.FINISHED, Status.FAILED, Status.ABORTED, Status.UNKNOWN])
def test_no_step_can_be_added_to_an_ended_job(status: Status) -> None:
    """Rule 5: adding a step needs the job started; otherwise 409 (fix over oVirt)."""
    # given an ended job
    job = ended_job(status)
    # when a step is added, then it conflicts
    with pytest.raises(Conflict, match="rule 5"):
        add(job)


def test_no_sub_step_can_be_added_under_an_ended_step() -> None:
    """Rule 5: a sub-step needs its parent started; otherwise 409."""
    # given E finished in a started job
    job, steps = job_with_tree()
    done = replace(steps[E], status=Status.FINISHED, end_time=NOW)
    # when a sub-step is added under it, then it conflicts
    with pytest.raises(Conflict, match="rule 5"):
        add(job, done)


def test_no_sub_step_can_be_added_under_a_step_its_ancestor_closed() -> None:
    """Rule 5: B is stored started but reads finished because A finished; nothing hangs under it."""
    # given A finished, closing B, and B as readers see it
    job, steps = job_with_tree()
    change = rules.end_step(job, steps[A], Status.FINISHED, force=False, now=NOW, cleanup=DEFAULT_DELAYS)
    assert change is not None
    closed_job, ended_a = change
    parent = rules.effective_step(closed_job, steps[B], chain(ended(steps, ended_a)))
    # when a sub-step is added under B, then it conflicts
    with pytest.raises(Conflict, match="rule 5"):
        add(closed_job, parent)


def test_steps_nest_down_to_the_depth_limit_and_no_deeper() -> None:
    """Input limits: steps nest at most MAX_STEP_DEPTH levels; one more is invalid input (400)."""
    # given a started job and a chain of steps as deep as the limit allows
    job = a_job(step_total=limits.MAX_STEP_DEPTH)
    almost = a_step((0,) * (limits.MAX_STEP_DEPTH - 1))
    deepest = a_step((0,) * limits.MAX_STEP_DEPTH)
    # when a sub-step is added under a step one level above the limit, then it sits at the limit
    _, step = add(job, almost)
    assert step.depth == limits.MAX_STEP_DEPTH
    # when one is added under a step at the limit, then it is invalid, naming the parent
    with pytest.raises(Invalid, match=deepest.id):
        add(job, deepest)


def test_a_job_holds_at_most_the_step_limit() -> None:
    """Input limits: a job has at most MAX_STEPS_PER_JOB steps at any depth; one more is 409."""
    # given a job one step short of the limit
    job, steps = job_with_tree(step_total=limits.MAX_STEPS_PER_JOB - 1)
    # when the last step is added, then it fits
    full, _ = add(job, steps[A])
    assert full.step_total == limits.MAX_STEPS_PER_JOB
    # when one more is added, top-level or under a step, then it conflicts
    with pytest.raises(Conflict):
        add(full)
    with pytest.raises(Conflict):
        add(full, steps[A])
