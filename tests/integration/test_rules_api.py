"""Rules 1-8 of docs/rules.md through the handlers, in JSON and XML, on the template's table in moto."""

from __future__ import annotations

from typing import Any

from tests.conftest import Clock
from tests.support.api import ADMIN, PLUGIN_OTHER_SESSION, PLUGIN_ROLE, STRANGER, Api

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def _status(api: Api, job_id: str, step_id: str | None = None) -> str:
    reply = api.get_step(job_id, step_id) if step_id else api.get_job(job_id)
    assert reply.status == 200, reply.body
    status: str = reply.data["status"]
    return status


# Rule 1: everything starts started; terminal is final.


def test_jobs_and_steps_start_started_and_owned_by_the_callers_role(api: Api) -> None:
    """Rule 1, and Job.owner: an assumed-role session owns its jobs as its role."""
    added = api.add_job("Back up VM db01")
    job = added.data
    assert job["status"] == "started"
    assert job["owner"]["id"] == PLUGIN_ROLE
    assert job["external"] is True
    assert job["auto_cleared"] is True
    assert "end_time" not in job
    step = api.add_step(job["id"]).data
    assert step["status"] == "started"
    assert step["external"] is True


def test_nothing_moves_a_job_back_to_started(api: Api) -> None:
    """Rule 1: ending with a 3.x status of started is refused."""
    job_id = api.new_job()
    refused = api.end_job(job_id, status="started")
    assert refused.status == 400
    assert "started" in refused.fault["detail"]
    assert _status(api, job_id) == "started"


# Rule 2: ending a job.


def test_ending_a_job_ends_every_open_step_at_any_depth_with_it(api: Api) -> None:
    """Rule 2: open steps take the job's status and end time."""
    job_id = api.new_job()
    top = api.new_step(job_id)
    middle = api.new_step(job_id, parent=top)
    deep = api.new_step(job_id, parent=middle)
    assert api.end_job(job_id, succeeded=False).status == 200
    job = api.get_job(job_id).data
    assert job["status"] == "failed"
    for step_id in (top, middle, deep):
        step = api.get_step(job_id, step_id).data
        assert step["status"] == "failed"
        assert step["end_time"] == job["end_time"]


def test_forcing_an_end_aborts_open_steps_and_auto_clears_the_job(api: Api) -> None:
    """Rule 2: force=true aborts the still-started steps and marks the job auto-cleared."""
    job_id = api.new_job(auto_cleared=False)
    done = api.new_step(job_id, "Done already")
    assert api.end_step(job_id, done).status == 200
    open_step = api.new_step(job_id, "Still running")
    ended = api.end_job(job_id, succeeded=True, force=True)
    assert ended.status == 200
    assert ended.data["force"] is True
    job = api.get_job(job_id).data
    assert job["status"] == "finished"
    assert job["auto_cleared"] is True
    assert _status(api, job_id, done) == "finished"
    assert _status(api, job_id, open_step) == "aborted"


def test_a_3x_plugin_ends_a_job_by_naming_its_status(api: Api) -> None:
    """Rule 2 and oVirt 3.x compatibility: status.state names the terminal status directly."""
    job_id = api.new_job()
    step_id = api.new_step(job_id)
    assert api.end_job(job_id, status={"state": "ABORTED"}).status == 200
    assert _status(api, job_id) == "aborted"
    assert _status(api, job_id, step_id) == "aborted"


# Rule 3: ending a step.


def test_ending_a_step_ends_its_open_sub_steps_with_it(api: Api) -> None:
    """Rule 3: sub-steps still started end with their step (oVirt left them open)."""
    job_id = api.new_job()
    parent = api.new_step(job_id)
    child = api.new_step(job_id, parent=parent)
    grandchild = api.new_step(job_id, parent=child)
    sibling = api.new_step(job_id)
    assert api.end_step(job_id, parent, succeeded=True).status == 200
    assert _status(api, job_id, child) == "finished"
    assert _status(api, job_id, grandchild) == "finished"
    assert _status(api, job_id, sibling) == "started"
    assert _status(api, job_id) == "started"


def test_forcing_a_step_end_aborts_its_open_sub_steps(api: Api) -> None:
    """Rule 3: force=true aborts the step's still-started sub-steps."""
    job_id = api.new_job()
    parent = api.new_step(job_id)
    child = api.new_step(job_id, parent=parent)
    assert api.end_step(job_id, parent, succeeded=True, force=True).status == 200
    assert _status(api, job_id, parent) == "finished"
    assert _status(api, job_id, child) == "aborted"


def test_a_failed_step_fails_its_job_and_every_open_step(api: Api) -> None:
    """Rule 3: a step ending failed fails its job, and so every still-started step."""
    job_id = api.new_job()
    failing = api.new_step(job_id, "Copy disk")
    other = api.new_step(job_id, "Copy other disk")
    nested = api.new_step(job_id, parent=other)
    assert api.end_step(job_id, failing, succeeded=False).status == 200
    assert _status(api, job_id) == "failed"
    assert _status(api, job_id, failing) == "failed"
    assert _status(api, job_id, other) == "failed"
    assert _status(api, job_id, nested) == "failed"


def test_a_step_ended_before_its_parent_keeps_its_own_outcome(api: Api) -> None:
    """Rules 2 and 3: only steps still started take an ancestor's outcome."""
    job_id = api.new_job()
    parent = api.new_step(job_id)
    child = api.new_step(job_id, parent=parent)
    assert api.end_step(job_id, child, succeeded=True).status == 200
    assert api.end_job(job_id, succeeded=True, force=True).status == 200
    assert _status(api, job_id, child) == "finished"
    assert _status(api, job_id, parent) == "aborted"


# Rule 4: ending again.


def test_ending_a_job_twice_with_the_same_outcome_changes_nothing(api: Api, clock: Clock) -> None:
    """Rule 4: a harmless retry."""
    job_id = api.new_job()
    assert api.end_job(job_id, succeeded=True).status == 200
    first = api.get_job(job_id).data
    clock.advance(seconds=5)
    again = api.end_job(job_id, succeeded=True)
    assert again.status == 200
    assert again.data["status"] == "complete"
    assert api.get_job(job_id).data == first


def test_ending_a_job_again_with_another_outcome_is_a_conflict(api: Api) -> None:
    """Rule 4: 409, and the first outcome stays (fix: oVirt overwrote it)."""
    job_id = api.new_job()
    assert api.end_job(job_id, succeeded=True).status == 200
    conflict = api.end_job(job_id, succeeded=False)
    assert conflict.status == 409
    assert conflict.data["status"] == "failed"  # the action failed, wrapped as oVirt does
    assert "rule 4" in conflict.fault["detail"]
    assert _status(api, job_id) == "finished"


def test_ending_a_step_twice_same_outcome_is_200_and_another_is_409(api: Api, clock: Clock) -> None:
    """Rule 4 for steps (fix: oVirt silently overwrote step outcomes)."""
    job_id = api.new_job()
    step_id = api.new_step(job_id)
    assert api.end_step(job_id, step_id, succeeded=True).status == 200
    first = api.get_step(job_id, step_id).data
    clock.advance(seconds=5)
    assert api.end_step(job_id, step_id, succeeded=True).status == 200
    assert api.get_step(job_id, step_id).data == first
    assert api.end_step(job_id, step_id, succeeded=False).status == 409
    assert _status(api, job_id, step_id) == "finished"


def test_ending_a_step_that_its_job_already_ended_follows_rule_4(api: Api) -> None:
    """Rules 2 and 4: a step closed by its job's end has that outcome; the same one is a retry."""
    job_id = api.new_job()
    step_id = api.new_step(job_id)
    assert api.end_job(job_id, succeeded=True).status == 200
    assert api.end_step(job_id, step_id, succeeded=True).status == 200
    assert api.end_step(job_id, step_id, succeeded=False).status == 409


# Rule 5: adding steps.


def test_numbers_count_from_zero_among_siblings(api: Api) -> None:
    """Step.number: consecutive, per parent."""
    job_id = api.new_job()
    first = api.add_step(job_id).data
    second = api.add_step(job_id).data
    under_first = [api.add_step(job_id, parent=first["id"]).data for _ in range(3)]
    under_second = api.add_step(job_id, parent=second["id"]).data
    assert (first["number"], second["number"]) == (0, 1)
    assert [s["number"] for s in under_first] == [0, 1, 2]
    assert under_second["number"] == 0
    assert api.add_step(job_id).data["number"] == 2


def test_no_step_can_be_added_to_an_ended_job(api: Api) -> None:
    """Rule 5: 409 (fix: oVirt let steps hang under finished jobs)."""
    job_id = api.new_job()
    assert api.end_job(job_id).status == 200
    refused = api.add_step(job_id)
    assert refused.status == 409
    assert "rule 5" in refused.fault["detail"]


def test_no_sub_step_can_be_added_under_an_ended_step(api: Api) -> None:
    """Rule 5: the parent must be started."""
    job_id = api.new_job()
    parent = api.new_step(job_id)
    assert api.end_step(job_id, parent).status == 200
    assert api.add_step(job_id, parent=parent).status == 409


def test_no_sub_step_can_be_added_under_a_step_closed_by_its_ancestor(api: Api) -> None:
    """Rule 5: a parent that reads as ended through its own ancestor is ended."""
    job_id = api.new_job()
    top = api.new_step(job_id)
    middle = api.new_step(job_id, parent=top)
    assert api.end_step(job_id, top).status == 200
    assert api.add_step(job_id, parent=middle).status == 409


def test_a_parent_step_of_another_job_is_not_found(api: Api) -> None:
    """Rule 5: 404 (fix: oVirt let steps hang under other jobs' steps)."""
    job_id = api.new_job()
    other_job = api.new_job("Another job")
    foreign = api.new_step(other_job)
    refused = api.add_step(job_id, parent=foreign)
    assert refused.status == 404
    assert foreign in refused.fault["detail"]
    assert api.list_steps(job_id).data["step"] == []


# Rule 6: clearing.


def test_an_auto_cleared_job_disappears_after_its_delay(api: Api, clock: Clock) -> None:
    """Rule 6: finished jobs go after SucceededJobCleanupMinutes (10 by default), with their steps."""
    job_id = api.new_job()
    step_id = api.new_step(job_id)
    assert api.end_job(job_id).status == 200
    clock.advance(minutes=9)
    assert api.get_job(job_id).status == 200
    clock.advance(minutes=1, seconds=1)
    assert api.get_job(job_id).status == 404
    assert api.get_step(job_id, step_id).status == 404
    assert api.list_steps(job_id).status == 404
    assert job_id not in [job["id"] for job in api.list_jobs().data["job"]]


def test_a_failed_auto_cleared_job_stays_for_the_failed_delay(api: Api, clock: Clock) -> None:
    """Rule 6: failed jobs go after FailedJobCleanupMinutes (60 by default)."""
    job_id = api.new_job()
    assert api.end_job(job_id, succeeded=False).status == 200
    clock.advance(minutes=59)
    assert api.get_job(job_id).status == 200
    clock.advance(minutes=1, seconds=1)
    assert api.get_job(job_id).status == 404


def test_a_job_that_is_not_auto_cleared_stays_until_cleared(api: Api, clock: Clock) -> None:
    """Rule 6: clear marks the job auto-cleared; it goes when its delay since it ended has passed."""
    job_id = api.new_job(auto_cleared=False)
    assert api.end_job(job_id).status == 200
    clock.advance(minutes=4)
    assert api.get_job(job_id).status == 200
    cleared = api.clear_job(job_id)
    assert cleared.status == 200
    assert cleared.data["status"] == "complete"
    assert cleared.data["job"]["id"] == job_id
    assert api.get_job(job_id).data["auto_cleared"] is True
    clock.advance(minutes=6, seconds=1)
    assert api.get_job(job_id).status == 404


def test_clearing_a_job_that_ended_long_ago_makes_it_gone_at_once(api: Api, clock: Clock) -> None:
    """Rule 6: the delay counts from the job's end, not from the clear."""
    job_id = api.new_job(auto_cleared=False)
    assert api.end_job(job_id).status == 200
    clock.advance(minutes=600)
    assert api.get_job(job_id).status == 200
    assert api.clear_job(job_id).status == 200
    assert api.get_job(job_id).status == 404


def test_a_started_job_is_never_cleared_away(api: Api, clock: Clock) -> None:
    """Rule 6: clearing a started job only marks it; it stays while started."""
    job_id = api.new_job(auto_cleared=False)
    assert api.clear_job(job_id).status == 200
    clock.advance(minutes=10_000)
    job = api.get_job(job_id).data
    assert job["status"] == "started"
    assert job["auto_cleared"] is True


# Rule 7: who may do what.


def test_only_the_owner_or_an_administrator_may_change_a_job(api: Api) -> None:
    """Rule 7: a stranger gets 403 on add-step, end step, end and clear, and nothing changes."""
    job_id = api.new_job()
    step_id = api.new_step(job_id)
    for reply in (
        api.add_step(job_id, caller=STRANGER),
        api.end_step(job_id, step_id, caller=STRANGER),
        api.end_job(job_id, caller=STRANGER),
        api.request("POST", f"/jobs/{job_id}/clear", body={}, caller=STRANGER),
    ):
        assert reply.status == 403
        assert "rule 7" in reply.fault["detail"]
    assert _status(api, job_id) == "started"
    assert _status(api, job_id, step_id) == "started"
    assert len(api.list_steps(job_id).data["step"]) == 1
    # Anyone who may read, may read.
    assert api.request("GET", f"/jobs/{job_id}", caller=STRANGER).status == 200


def test_another_session_of_the_owning_role_may_change_the_job(api: Api) -> None:
    """Rule 7 with Job.owner: the owner is the role, whichever session assumed it."""
    job_id = api.new_job()
    assert api.add_step(job_id, caller=PLUGIN_OTHER_SESSION).status == 201
    assert api.end_job(job_id, caller=PLUGIN_OTHER_SESSION).status == 200


def test_an_administrator_may_change_any_job(api: Api) -> None:
    """Rule 7: principals in AdminPrincipals."""
    job_id = api.new_job()
    step_id = api.add_step(job_id, caller=ADMIN).data["id"]
    assert api.end_step(job_id, step_id, caller=ADMIN).status == 200
    assert api.end_job(job_id, caller=ADMIN).status == 200
    assert api.request("POST", f"/jobs/{job_id}/clear", body={}, caller=ADMIN).status == 200


def test_an_unsigned_request_is_refused(api: Api) -> None:
    """Rule 7: without a verified identity nobody may create (API Gateway would not even call us)."""
    refused = api.add_job("No identity", caller=None)
    assert refused.status == 403


# Rule 8: unknown resources.


def test_unknown_jobs_and_steps_are_404(api: Api) -> None:
    """Rule 8 (fix: oVirt answered 400, and 200 with an empty list for an unknown job's steps)."""
    job_id = api.new_job()
    replies: list[Any] = [
        api.get_job(UNKNOWN),
        api.list_steps(UNKNOWN),
        api.end_job(UNKNOWN),
        api.clear_job(UNKNOWN),
        api.add_step(UNKNOWN),
        api.get_step(job_id, UNKNOWN),
        api.end_step(job_id, UNKNOWN),
        api.get_job("not-a-uuid"),
        api.get_step(job_id, "12345"),
    ]
    for reply in replies:
        assert reply.status == 404, reply.body
        assert reply.fault["reason"] == "Not Found"
