"""The rules of progress, heartbeats and timeouts (external_tasks.leases), without I/O."""

from __future__ import annotations

from dataclasses import replace

import pytest

from external_tasks import leases, rules
from external_tasks.config import CleanupDelays
from external_tasks.errors import Conflict
from external_tasks.model import Job, Status, Step, StepType

JOB = Job(
    id="1a2b3c4d-0000-4000-8000-000000000001",
    description="Copy",
    owner="arn:aws:iam::123456789012:role/ExternalTasks",
    status=Status.STARTED,
    start_time=1_000,
    last_updated=1_000,
    auto_cleared=True,
    correlation_id="c",
)
CLEANUP = CleanupDelays(succeeded_minutes=10, failed_minutes=60)


def test_a_new_job_holds_its_lease_from_its_start() -> None:
    timed = leases.with_timeout(JOB, 60)
    assert (timed.timeout, timed.deadline) == (60, 61_000)
    assert leases.with_timeout(JOB, None) == JOB


def test_a_write_renews_a_started_timed_job_and_nothing_else() -> None:
    timed = leases.with_timeout(JOB, 60)
    assert leases.renewed(timed, 30_000).deadline == 90_000
    assert leases.renewed(JOB, 30_000) == JOB
    ended = replace(timed, status=Status.FAILED)
    assert leases.renewed(ended, 30_000) == ended


def test_a_job_lapses_once_its_deadline_has_come_while_started() -> None:
    timed = leases.with_timeout(JOB, 60)
    assert not leases.has_lapsed(timed, 60_999)
    assert leases.has_lapsed(timed, 61_000)
    assert not leases.has_lapsed(JOB, 10**15)
    assert not leases.has_lapsed(replace(timed, status=Status.FINISHED), 10**15)


def test_a_lapse_ends_the_job_unknown_at_its_deadline_as_rule_2_does() -> None:
    timed = leases.with_timeout(JOB, 60)
    lapsed = leases.lapse(timed, CLEANUP)
    assert (lapsed.status, lapsed.end_time, lapsed.last_updated) == (Status.UNKNOWN, 61_000, 61_000)
    assert lapsed.gone_at == 61_000 + 60 * 60_000  # the failed jobs' delay (rule 6)
    step = Step(
        id="1a2b3c4d-0000-4000-8000-000000000002",
        job_id=JOB.id,
        description="Copy disk",
        type=StepType.EXECUTING,
        path=(0, 3),
        status=Status.STARTED,
        start_time=2_000,
        ancestors=("1a2b3c4d-0000-4000-8000-000000000003",),
    )
    shown = rules.effective_step(lapsed, step)
    assert (shown.status, shown.end_time) == (Status.UNKNOWN, 61_000)


def test_only_what_is_started_takes_progress_and_heartbeats() -> None:
    leases.check_started("Job", JOB.id, Status.STARTED)
    for status in (Status.FINISHED, Status.FAILED, Status.ABORTED, Status.UNKNOWN):
        with pytest.raises(Conflict, match=f"has ended \\({status}\\)"):
            leases.check_started("Step", "s", status)


def test_a_finished_job_or_step_shows_100_others_what_was_reported() -> None:
    assert leases.finished_progress(None, Status.FINISHED) == 100
    assert leases.finished_progress(40, Status.FINISHED) == 100
    assert leases.finished_progress(40, Status.FAILED) == 40
    assert leases.finished_progress(None, Status.UNKNOWN) is None
    assert leases.finished_progress(7, Status.STARTED) == 7
