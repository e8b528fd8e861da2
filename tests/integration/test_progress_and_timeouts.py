"""Progress, heartbeats and timeouts (docs/rules.md) through the handlers, in JSON and XML, on the template's
table in moto, with the service's clock moved by the test."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

import pytest

from external_tasks import observability
from external_tasks.config import settings
from external_tasks.store import calls
from tests.conftest import TABLE_NAME, Clock
from tests.integration.test_least_privilege import _allowed, _needed
from tests.support.api import ADMIN, PLUGIN_OTHER_SESSION, STRANGER, Api, Response
from xtasks_local.template import Template, load_handler

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def _time_out_jobs(template: Template) -> dict[str, int]:
    """One run of the scheduled function, as EventBridge Scheduler invokes it."""
    function = template.resources["TimeOutJobsFunction"]["Properties"]
    handler = load_handler(template.path.parent / function["CodeUri"], "app.handler")
    result: dict[str, int] = handler({}, None)
    return result


# Progress.


def test_progress_is_absent_until_reported_and_then_shown_on_the_job_and_step(api: Api) -> None:
    job_id = api.new_job()
    step_id = api.new_step(job_id)
    assert "progress" not in api.get_job(job_id).data
    assert "progress" not in api.get_step(job_id, step_id).data
    job_reply = api.report_progress(job_id, progress=25)
    assert job_reply.status == 200, job_reply.body
    assert job_reply.data["progress"] == 25
    assert job_reply.data["id"] == job_id
    step_reply = api.report_progress(job_id, step_id, progress=40)
    assert step_reply.status == 200, step_reply.body
    assert step_reply.data["progress"] == 40
    assert step_reply.data["id"] == step_id
    assert api.get_job(job_id).data["progress"] == 25
    assert api.get_step(job_id, step_id).data["progress"] == 40
    listed = api.list_steps(job_id).data["step"]
    assert [step["progress"] for step in listed] == [40]
    followed = api.get_job(job_id, query=[("follow", "steps")]).data
    assert followed["steps"]["step"][0]["progress"] == 40


def test_other_fields_of_a_progress_body_are_ignored(json_api: Api) -> None:
    job_id = json_api.new_job("Keep me")
    reply = json_api.report_progress(job_id, progress="40", description="Changed", status="finished")
    assert reply.status == 200, reply.body
    job = json_api.get_job(job_id).data
    assert (job["progress"], job["description"], job["status"]) == (40, "Keep me", "started")


def test_xml_progress_bodies_as_ovirt_writes_them(json_api: Api) -> None:
    job_id = json_api.new_job()
    step_id = json_api.new_step(job_id)
    xml = [("Content-Type", "application/xml")]
    job_reply = json_api.request(
        "PUT", f"/jobs/{job_id}", body="<job><progress> 60 </progress></job>", headers=xml
    )
    assert job_reply.status == 200, job_reply.body
    step_reply = json_api.request(
        "PUT", f"/jobs/{job_id}/steps/{step_id}", body="<step><progress>7</progress></step>", headers=xml
    )
    assert step_reply.status == 200, step_reply.body
    assert (job_reply.data["progress"], step_reply.data["progress"]) == (60, 7)


@pytest.mark.parametrize("value", [-1, 101, 40.5, "forty", "", True, "4 0", [40], {"value": 40}, "1e2"])
def test_progress_outside_0_to_100_or_not_an_integer_is_400_and_changes_nothing(
    json_api: Api, value: Any
) -> None:
    job_id = json_api.new_job()
    step_id = json_api.new_step(job_id)
    for target in (None, step_id):
        reply = json_api.report_progress(job_id, target, progress=value)
        assert reply.status == 400, (value, reply.body)
        assert "progress" in reply.fault["detail"]
    assert "progress" not in json_api.get_job(job_id).data
    assert "progress" not in json_api.get_step(job_id, step_id).data


def test_progress_is_required(json_api: Api) -> None:
    job_id = json_api.new_job()
    reply = json_api.request("PUT", f"/jobs/{job_id}", body={"description": "x"})
    assert reply.status == 400
    assert "progress" in reply.fault["detail"]


@pytest.mark.parametrize("value", [0, 100, "0", "100", " 0100 "])
def test_progress_edges_are_accepted(json_api: Api, value: Any) -> None:
    job_id = json_api.new_job()
    assert json_api.report_progress(job_id, progress=value).status == 200


def test_only_the_owner_or_an_administrator_reports_progress(api: Api) -> None:
    """Rule 7: progress is a change like any other."""
    job_id = api.new_job()
    step_id = api.new_step(job_id)
    for target in (None, step_id):
        refused = api.report_progress(job_id, target, progress=10, caller=STRANGER)
        assert refused.status == 403
        assert "rule 7" in refused.fault["detail"]
    assert "progress" not in api.get_job(job_id).data
    assert api.report_progress(job_id, progress=20, caller=PLUGIN_OTHER_SESSION).status == 200
    assert api.report_progress(job_id, step_id, progress=30, caller=ADMIN).status == 200
    assert api.report_progress(job_id, progress=35, caller=ADMIN).status == 200


def test_progress_on_an_unknown_job_or_step_is_404(api: Api) -> None:
    job_id = api.new_job()
    assert api.report_progress(UNKNOWN, progress=1).status == 404
    assert api.report_progress(UNKNOWN, UNKNOWN, progress=1).status == 404
    assert api.report_progress(job_id, UNKNOWN, progress=1).status == 404
    assert api.heartbeat(UNKNOWN).status == 404


def test_progress_on_an_ended_job_or_step_is_409(api: Api) -> None:
    job_id = api.new_job()
    ended_step = api.new_step(job_id)
    parent = api.new_step(job_id)
    child = api.new_step(job_id, parent=parent)
    assert api.report_progress(job_id, ended_step, progress=30).status == 200
    assert api.end_step(job_id, ended_step, force=True).status == 200
    refused = api.report_progress(job_id, ended_step, progress=50)
    assert refused.status == 409, refused.body
    assert "ended" in refused.fault["detail"]
    assert api.get_step(job_id, ended_step).data["progress"] == 100
    # A sub-step whose parent ended reads as ended too.
    assert api.end_step(job_id, parent, succeeded=False).status == 200
    assert api.report_progress(job_id, child, progress=50).status == 409
    # The job failed with its step (rule 3).
    assert api.report_progress(job_id, progress=50).status == 409
    assert api.heartbeat(job_id).status == 409
    assert "progress" not in api.get_job(job_id).data


def test_ending_finished_sets_progress_to_100_other_outcomes_leave_it(api: Api) -> None:
    finished = api.new_job()
    done_step = api.new_step(finished)
    open_step = api.new_step(finished)
    api.report_progress(finished, open_step, progress=10)
    api.report_progress(finished, progress=90)
    assert api.end_step(finished, done_step).status == 200
    assert api.get_step(finished, done_step).data["progress"] == 100
    assert api.end_job(finished).status == 200
    assert api.get_job(finished).data["progress"] == 100
    assert api.get_step(finished, open_step).data["progress"] == 100  # ended finished with the job

    failed = api.new_job()
    step_id = api.new_step(failed)
    api.report_progress(failed, progress=30)
    api.report_progress(failed, step_id, progress=20)
    assert api.end_job(failed, succeeded=False).status == 200
    assert api.get_job(failed).data["progress"] == 30
    assert api.get_step(failed, step_id).data["progress"] == 20
    aborted = api.new_job()
    assert api.end_job(aborted, succeeded=False, force=True).status == 200
    assert "progress" not in api.get_job(aborted).data


def test_a_steps_progress_writes_the_step_alone(json_api: Api, clock: Clock) -> None:
    job_id = json_api.new_job(timeout=60)
    step_id = json_api.new_step(job_id)
    before = json_api.get_job(job_id).data
    clock.advance(seconds=30)
    assert json_api.report_progress(job_id, step_id, progress=40).status == 200
    after = json_api.get_job(job_id).data
    assert after["last_updated"] == before["last_updated"]
    assert after["deadline"] == before["deadline"]


def test_a_jobs_progress_moves_its_last_updated(json_api: Api, clock: Clock) -> None:
    job_id = json_api.new_job()
    before = json_api.get_job(job_id).data["last_updated"]
    clock.advance(seconds=5)
    reply = json_api.report_progress(job_id, progress=5)
    assert reply.data["last_updated"] > before
    assert "deadline" not in reply.data


# Heartbeats.


def test_a_heartbeat_is_an_action_of_the_owner_or_an_administrator(api: Api) -> None:
    job_id = api.new_job(timeout=120)
    reply = api.heartbeat(job_id)
    assert reply.status == 200, reply.body
    assert reply.data["status"] == "complete"
    assert reply.data["job"]["id"] == job_id
    refused = api.heartbeat(job_id, caller=STRANGER)
    assert refused.status == 403
    assert "rule 7" in refused.fault["detail"]
    assert api.heartbeat(job_id, caller=ADMIN).status == 200


def test_a_heartbeat_on_a_job_without_a_timeout_is_accepted(json_api: Api) -> None:
    job_id = json_api.new_job()
    assert json_api.heartbeat(job_id).status == 200
    job = json_api.get_job(job_id).data
    assert "deadline" not in job
    assert "timeout" not in job


def test_a_heartbeat_on_an_ended_job_is_409(api: Api) -> None:
    job_id = api.new_job(timeout=60)
    assert api.end_job(job_id).status == 200
    refused = api.heartbeat(job_id)
    assert refused.status == 409
    assert "ended" in refused.fault["detail"]


# Timeouts.


def test_a_timeout_is_shown_with_a_deadline_while_the_job_is_started(api: Api, clock: Clock) -> None:
    added = api.add_job(timeout=300)
    assert added.status == 201, added.body
    job = added.data
    assert job["timeout"] == 300
    assert job["deadline"] == job["start_time"] + 300_000
    assert api.end_job(job["id"]).status == 200
    ended = api.get_job(job["id"]).data
    assert ended["timeout"] == 300
    assert "deadline" not in ended


@pytest.mark.parametrize("value", [59, 604_801, 0, -60, 60.5, "sixty", True, "", "1e3"])
def test_a_timeout_outside_60_to_604800_or_not_an_integer_is_400(json_api: Api, value: Any) -> None:
    reply = json_api.add_job(timeout=value)
    assert reply.status == 400, (value, reply.body)
    assert "timeout" in reply.fault["detail"]


@pytest.mark.parametrize("value", [60, 604_800, "60", " 604800 "])
def test_timeout_edges_are_accepted(json_api: Api, value: Any) -> None:
    assert json_api.add_job(timeout=value).status == 201


def test_every_accepted_write_under_the_job_moves_its_deadline(json_api: Api, clock: Clock) -> None:
    """Adding or ending a step, the job's progress and a heartbeat renew the lease; a step's progress does
    not."""
    job_id = json_api.new_job(timeout=60)

    def deadline() -> int:
        value: int = json_api.get_job(job_id).data["deadline"]
        return value

    writes: list[Callable[[], Response]] = [
        lambda: json_api.add_step(job_id),
        lambda: json_api.end_step(job_id, json_api.new_step(job_id)),
        lambda: json_api.report_progress(job_id, progress=50),
        lambda: json_api.heartbeat(job_id),
    ]
    for write in writes:
        clock.advance(seconds=40)
        before = deadline()
        reply = write()
        assert reply.status in (200, 201), reply.body
        assert deadline() >= clock.now - 5 + 60_000 > before


def test_a_job_whose_lease_lapses_ends_unknown_with_its_open_steps_at_its_deadline(
    api: Api, clock: Clock, template: Template, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[str] = []
    monkeypatch.setattr(observability, "count", lambda event, times=1: counted.extend([event] * times))
    job_id = api.new_job(timeout=60)
    top = api.new_step(job_id)
    deep = api.new_step(job_id, parent=api.new_step(job_id, parent=top))
    done = api.new_step(job_id)
    assert api.end_step(job_id, done).status == 200
    api.report_progress(job_id, top, progress=70)
    deadline = api.get_job(job_id).data["deadline"]
    clock.advance(seconds=59)
    assert _time_out_jobs(template) == {"timed_out": 0}
    assert api.get_job(job_id).data["status"] == "started"
    clock.advance(seconds=2)
    assert _time_out_jobs(template) == {"timed_out": 1}
    assert counted.count("JobsTimedOut") == 1
    job = api.get_job(job_id).data
    assert (job["status"], job["end_time"]) == ("unknown", deadline)
    assert "deadline" not in job
    for step_id in (top, deep):
        step = api.get_step(job_id, step_id).data
        assert (step["status"], step["end_time"]) == ("unknown", deadline)
    assert api.get_step(job_id, top).data["progress"] == 70
    assert api.get_step(job_id, done).data["status"] == "finished"
    # Ended: nothing more to do, and the job is no longer looked at.
    assert _time_out_jobs(template) == {"timed_out": 0}
    assert api.heartbeat(job_id).status == 409
    assert api.end_job(job_id).status == 409  # rule 4: it ended unknown
    assert api.end_job(job_id, status="unknown").status == 200


def test_a_job_that_keeps_its_lease_does_not_end(json_api: Api, clock: Clock, template: Template) -> None:
    job_id = json_api.new_job(timeout=60)
    for _ in range(5):
        clock.advance(seconds=45)
        assert json_api.heartbeat(job_id).status == 200
        assert _time_out_jobs(template) == {"timed_out": 0}
    clock.advance(seconds=55)
    _time_out_jobs(template)
    assert json_api.get_job(job_id).data["status"] == "started"
    clock.advance(seconds=10)
    assert _time_out_jobs(template) == {"timed_out": 1}


def test_a_heartbeat_that_arrives_before_the_run_wins(
    json_api: Api, clock: Clock, template: Template
) -> None:
    job_id = json_api.new_job(timeout=60)
    clock.advance(seconds=90)  # lapsed, but nothing has looked yet
    assert json_api.heartbeat(job_id).status == 200
    assert _time_out_jobs(template) == {"timed_out": 0}
    assert json_api.get_job(job_id).data["status"] == "started"


def test_the_lapse_is_conditional_on_the_deadline_read(json_api: Api, clock: Clock) -> None:
    """A heartbeat between the function's read and its write wins: the end's condition fails."""
    from external_tasks import leases
    from external_tasks.store import Changed, job_store

    job_id = json_api.new_job(timeout=60)
    clock.advance(seconds=61)
    store = job_store()
    (read,) = store.jobs_to_check(clock.now, 10)
    assert json_api.heartbeat(job_id).status == 200
    with pytest.raises(Changed) as changed:
        store.save_lapsed_job(read, leases.lapse(read, settings().cleanup))
    assert changed.value.job is not None
    assert changed.value.job.deadline is not None
    assert changed.value.job.deadline > clock.now
    assert json_api.get_job(job_id).data["status"] == "started"


def test_jobs_without_a_timeout_never_time_out(json_api: Api, clock: Clock, template: Template) -> None:
    job_id = json_api.new_job()
    clock.advance(minutes=60 * 24 * 30)
    assert _time_out_jobs(template) == {"timed_out": 0}
    assert json_api.get_job(job_id).data["status"] == "started"


def test_the_run_reads_only_what_is_due(json_api: Api, clock: Clock, table: Any) -> None:
    """A cost proportional to what lapsed: untimed and not yet due jobs are never read."""
    from external_tasks.store import job_store

    for _ in range(5):
        json_api.new_job()
        json_api.new_job(timeout=600)
    due = json_api.new_job(timeout=60)
    clock.advance(seconds=61)
    assert [job.id for job in job_store().jobs_to_check(clock.now, 100)] == [due]
    entries = table.scan(TableName=TABLE_NAME, FilterExpression="attribute_exists(check_at)")["Items"]
    assert len(entries) == 6


def test_a_default_timeout_applies_to_jobs_added_without_one(
    json_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEFAULT_JOB_TIMEOUT_SECONDS", "120")
    settings.cache_clear()
    try:
        assert json_api.add_job().data["timeout"] == 120
        assert json_api.add_job(timeout=60).data["timeout"] == 60
    finally:
        monkeypatch.delenv("DEFAULT_JOB_TIMEOUT_SECONDS")
        settings.cache_clear()
    assert "timeout" not in json_api.add_job().data


def test_an_idempotent_add_with_another_timeout_is_422(json_api: Api) -> None:
    key = [("Idempotency-Key", "timed-1")]
    first = json_api.request("POST", "/jobs", body={"description": "d", "timeout": 60}, headers=key)
    assert first.status == 201
    again = json_api.request("POST", "/jobs", body={"description": "d", "timeout": 60}, headers=key)
    assert again.data["id"] == first.data["id"]
    other = json_api.request("POST", "/jobs", body={"description": "d", "timeout": 90}, headers=key)
    assert other.status == 422


def test_every_call_is_allowed_by_the_calling_functions_policy(
    json_api: Api, template: Template, clock: Clock
) -> None:
    """As tests/integration/test_least_privilege.py checks the other routes, with a sub-step's progress
    (which reads its ancestors) and every branch of the scheduled function."""
    current: list[str] = []
    denied: list[str] = []
    checked: set[str] = set()

    def check(params: dict[str, Any], model: Any, **_: Any) -> None:
        allowed = _allowed(template, current[-1])
        for action, resource in _needed(model.name, params):
            if not any(a == action and fnmatch.fnmatchcase(resource, p) for a, p in allowed):
                denied.append(f"{current[-1]} calls {action} on {resource}")
        checked.add(current[-1])

    job_id = json_api.new_job(timeout=60)
    sub = json_api.new_step(job_id, parent=json_api.new_step(job_id))
    ended = json_api.new_job(timeout=60)
    renewed = json_api.new_job(timeout=60)
    json_api.end_job(ended)
    events = calls.client().meta.events
    events.register("provide-client-params.dynamodb.*", check)
    try:
        current.append("ReportStepProgressFunction")
        assert json_api.report_progress(job_id, sub, progress=10).status == 200
        current.append("ReportJobProgressFunction")
        assert json_api.report_progress(job_id, progress=10).status == 200
        assert json_api.report_progress(ended, progress=10).status == 409
        current.append("HeartbeatFunction")
        clock.advance(seconds=30)
        assert json_api.heartbeat(renewed).status == 200
        current.append("TimeOutJobsFunction")
        clock.advance(seconds=31)
        assert _time_out_jobs(template) == {"timed_out": 1}
    finally:
        events.unregister("provide-client-params.dynamodb.*", check)
    assert denied == []
    assert checked == {
        "ReportStepProgressFunction",
        "ReportJobProgressFunction",
        "HeartbeatFunction",
        "TimeOutJobsFunction",
    }
