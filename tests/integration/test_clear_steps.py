"""Rule 6: expired jobs are deleted by a scheduled function, and the stream function deletes the steps of
a job that was deleted (by it, or by TTL)."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import Clock, stored_items
from tests.support.api import Api
from xtasks_local.template import ROOT, Template, load_handler

EVENT = ROOT / "events" / "clear_steps.json"


def _removed(job_id: str) -> dict[str, Any]:
    """A stream record of TTL removing a job item: the events/ file's, for this job."""
    record: dict[str, Any] = json.loads(EVENT.read_text())["Records"][0]
    record["dynamodb"]["Keys"]["PK"] = {"S": f"JOB#{job_id}"}
    return record


def _clear_steps(template: Template) -> Any:
    properties = template.resources["ClearStepsFunction"]["Properties"]
    return load_handler((template.path.parent / properties["CodeUri"]).resolve(), "app.handler")


def test_the_steps_of_a_removed_job_are_deleted_and_no_others(
    json_api: Api, table: Any, template: Template
) -> None:
    # Given two jobs with steps, and the first job's item removed by TTL
    gone, kept = json_api.new_job(), json_api.new_job()
    for _ in range(30):
        json_api.new_step(gone)
    kept_step = json_api.new_step(kept)
    table.delete_item(TableName="external-tasks-test", Key={"PK": {"S": f"JOB#{gone}"}, "SK": {"S": "JOB"}})
    # When the stream reports the removal (among records the function ignores)
    modify = {**_removed(kept), "eventName": "MODIFY"}
    step_removed = _removed(kept)
    step_removed["dynamodb"]["Keys"]["SK"] = {"S": f"STEP#{kept_step}"}
    reply = _clear_steps(template)({"Records": [modify, step_removed, _removed(gone)]}, None)
    # Then every step of the removed job is gone, and the other job is whole
    assert reply == {"batchItemFailures": []}
    partitions = {item["PK"]["S"] for item in stored_items(table)}
    assert partitions == {f"JOB#{kept}"}
    assert len(json_api.list_steps(kept).data["step"]) == 1


def _expire_jobs(template: Template) -> Any:
    properties = template.resources["ExpireJobsFunction"]["Properties"]
    return load_handler((template.path.parent / properties["CodeUri"]).resolve(), "app.handler")


def test_the_scheduled_function_deletes_the_jobs_that_expired(
    json_api: Api, table: Any, template: Template, clock: Clock
) -> None:
    """Rule 6: an auto-cleared job is deleted once its delay passes; a started or a not yet expired one
    stays."""
    # Given a finished auto-cleared job, a failed one, one not auto-cleared and a started one
    finished, failed, started = (json_api.new_job() for _ in range(3))
    kept = json_api.new_job(auto_cleared=False)
    json_api.new_step(finished)
    assert json_api.end_job(finished).status == 200
    assert json_api.end_job(failed, succeeded=False).status == 200
    assert json_api.end_job(kept).status == 200
    event = json.loads((ROOT / "events" / "expire_jobs.json").read_text())
    # When the scheduled function runs 11 minutes later (rule 6: finished jobs go after 10)
    clock.advance(minutes=11)
    assert _expire_jobs(template)(event, None) == {"deleted": 1}
    # Then the finished job is deleted, its step waits for the stream function, the others stay
    jobs = {item["PK"]["S"] for item in stored_items(table) if item["SK"]["S"] == "JOB"}
    assert jobs == {f"JOB#{failed}", f"JOB#{kept}", f"JOB#{started}"}
    # and 50 minutes later the failed one (60) goes too; running again deletes nothing
    clock.advance(minutes=50)
    assert _expire_jobs(template)(event, None) == {"deleted": 1}
    assert _expire_jobs(template)(event, None) == {"deleted": 0}
    jobs = {item["PK"]["S"] for item in stored_items(table) if item["SK"]["S"] == "JOB"}
    assert jobs == {f"JOB#{kept}", f"JOB#{started}"}
