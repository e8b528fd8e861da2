"""Change events and monitored executions on the local server (README: locally): the table's stream (DynamoDB
Local's) published through the same function as deployed, into the state directory's events.jsonl; a
service's status-change event delivered to /_local/default-bus, through the template's rules, to the monitor.
"""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import jsonschema

from external_tasks.change_events import DetailType
from tests.support.http import LocalApi
from tools import event_schemas

SAMPLES = Path(__file__).parents[1] / "fixtures" / "aws_events"
SCHEMAS = Path(__file__).parents[2] / "schemas" / "events"


def _events_of(api: LocalApi, job_id: str, wanted: int, seconds: float = 30) -> list[dict[str, Any]]:
    assert api.state is not None
    sink = api.state / "events.jsonl"
    deadline = time.monotonic() + seconds
    while True:
        lines = sink.read_text().splitlines() if sink.exists() else []
        events = [event for event in map(json.loads, lines) if event["detail"].get("job_id") == job_id]
        if len(events) >= wanted or time.monotonic() > deadline:
            return events
        time.sleep(0.5)


def _deliver(api: LocalApi, event: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        f"http://{api.host}/_local/default-bus", data=json.dumps(event).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310
        return json.loads(reply.read())


def test_changes_are_published_to_the_local_sink(local_api: LocalApi) -> None:
    job_id = local_api.send("POST", "/jobs", body={"description": "Publish to the local sink"}).data["id"]
    step = local_api.send(
        "POST", f"/jobs/{job_id}/steps", root="step", body={"description": "Copy", "type": "executing"}
    )
    assert (
        local_api.send("POST", f"/jobs/{job_id}/end", root="action", body={"succeeded": False}).status == 200
    )
    events = _events_of(local_api, job_id, wanted=3)
    assert [(e["detail-type"], e["detail"]["status"]) for e in events] == [
        ("Job Status Change", "started"),
        ("Step Status Change", "started"),
        ("Job Status Change", "failed"),
    ]
    for event in events:
        assert event["source"] == "external-tasks"
        schema = json.loads((SCHEMAS / event_schemas.file_name(DetailType(event["detail-type"]))).read_text())
        jsonschema.validate(event["detail"], schema)
    assert events[1]["detail"]["step"]["id"] == step.data["id"]


def test_a_delivered_status_change_event_ends_the_bound_step(local_api: LocalApi) -> None:
    event = json.loads((SAMPLES / "states-execution-succeeded.json").read_text())
    arn = f"{event['detail']['executionArn']}-{time.time_ns()}"
    event["detail"]["executionArn"] = arn
    job_id = local_api.send("POST", "/jobs", body={"description": "Nightly"}).data["id"]
    body = {"description": "Run the state machine", "type": "executing", "execution": {"arn": arn}}
    step = local_api.send("POST", f"/jobs/{job_id}/steps", root="step", body=body)
    assert step.status == 201, step.body
    assert step.data["status"] == "started"  # the local Step Functions does not know the execution yet
    delivered = _deliver(local_api, event)
    assert [d["rule"] for d in delivered["delivered"]] == [
        "MonitorExecutionsFunction.StepFunctionsExecutionEnded"
    ]
    assert local_api.send("GET", f"/jobs/{job_id}/steps/{step.data['id']}").data["status"] == "finished"
    # an execution whose end was delivered before its step was bound: the step ends at once
    second = local_api.send("POST", f"/jobs/{job_id}/steps", root="step", body=body)
    assert second.status == 409  # one step per execution
    event["detail"]["executionArn"] = arn + "-early"
    _deliver(local_api, event)
    body["execution"] = {"arn": arn + "-early"}
    early = local_api.send("POST", f"/jobs/{job_id}/steps", root="step", body=body)
    assert early.data["status"] == "finished"


def test_no_state_machine_may_be_started_locally_unless_listed(local_api: LocalApi) -> None:
    capabilities = local_api.send("GET", "/capabilities").data
    kinds = {c["kind"]: c for c in capabilities["monitored_commands"]["monitored_command"]}
    assert kinds["states:execution"]["state_machines"] == {"state_machine": []}
    job_id = local_api.send("POST", "/jobs", body={"description": "Nightly"}).data["id"]
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:nightly"
    body = {"description": "Run", "type": "executing", "execution": {"state_machine": machine}}
    assert local_api.send("POST", f"/jobs/{job_id}/steps", root="step", body=body).status == 403
