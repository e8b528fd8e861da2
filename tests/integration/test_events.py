"""Every function answers its own events/ file, so that the files `sam local invoke -e` uses cannot rot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from external_tasks import rules
from external_tasks.model import Job, Status, StepType
from external_tasks.store.dynamodb import DynamoDBStore
from tests.conftest import TABLE_NAME, Clock
from xtasks_local.template import ROOT, Route, Template

EVENTS = ROOT / "events"
EXPECTED_STATUS = {"POST /jobs": 201, "POST /jobs/{job_id}/steps": 201}


def _event_file(route: Route) -> Path:
    return EVENTS / f"{route.code_uri.name}.json"


def test_every_function_has_an_event_and_every_event_a_function(template: Template) -> None:
    folders = [
        Path(function["Properties"]["CodeUri"]).name
        for function in template.of_type("AWS::Serverless::Function").values()
    ]
    assert sorted(f"{folder}.json" for folder in folders) == sorted(p.name for p in EVENTS.glob("*.json"))


def _seed(event: dict[str, Any], now: int) -> None:
    """The job and step the events name, owned by the events' caller, as a plug-in would have made them."""
    identity = event["requestContext"]["identity"]
    parameters = event["pathParameters"] or {}
    job_id = parameters.get("job_id", "7d5bd1f6-3e0c-4a39-9a43-1f0a8c2b7e11")
    store = DynamoDBStore(TABLE_NAME)
    job = Job(
        id=job_id,
        description="Back up VM db01",
        owner=rules.owner_of(identity["userArn"]),
        status=Status.STARTED,
        start_time=now,
        last_updated=now,
        auto_cleared=True,
        correlation_id=event["headers"]["Correlation-Id"],
    )
    store.add_job(job)
    step_id = parameters.get("step_id", "c2f1a9e0-5b7d-4c3e-8f21-9d6e4b3a0c52")
    changed, step = rules.add_step(
        job, None, step_id=step_id, description="Copy disks", step_type=StepType.EXECUTING, now=now
    )
    store.add_step(job, changed, step, None)


@pytest.mark.parametrize("route", Template().routes, ids=lambda route: route.function)
def test_the_function_answers_its_event(route: Route, table: Any, clock: Clock) -> None:
    # Given the job and step its event refers to
    event = json.loads(_event_file(route).read_text())
    assert event["resource"] == route.path
    assert event["httpMethod"] == route.method
    _seed(event, clock.now)
    # When the function handles the event
    reply = route.load()(event, None)
    # Then it succeeds, in the format the event accepts
    assert reply["statusCode"] == EXPECTED_STATUS.get(f"{route.method} {route.path}", 200), reply["body"]
    accept = event["headers"]["Accept"]
    assert reply["headers"]["Content-Type"].startswith(accept)
    assert reply["headers"]["Correlation-Id"] == event["headers"]["Correlation-Id"]
