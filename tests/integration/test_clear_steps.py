"""Rule 6, "its steps go with it": the stream function deletes the steps of a job that TTL removed."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import stored_items
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
