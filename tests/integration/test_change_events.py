"""Change events (docs/events.md): the table's stream, published by PublishChangesFunction to the bus.

The bus runs in moto with a rule that sends everything from ``external-tasks`` to an SQS queue, from which the
tests read the events back as a rule's target receives them, and hold each detail to its JSON Schema in
schemas/events/. Stream records come from tests.support.table_stream (moto has no DynamoDB Streams).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest

from external_tasks import eventbus
from external_tasks.change_events import ChangeEvent, DetailType
from tests.conftest import REGION, TABLE_NAME
from tests.support.api import PLUGIN_ROLE, Api
from tests.support.table_stream import TableStream
from tools import event_schemas
from xtasks_local.template import Template, load_handler

BUS = "external-tasks-test-changes"
SCHEMAS = Path(__file__).parents[2] / "schemas" / "events"


def publisher(template: Template) -> Any:
    properties = template.resources["PublishChangesFunction"]["Properties"]
    return load_handler((template.path.parent / properties["CodeUri"]).resolve(), "app.handler")


@dataclass
class Bus:
    queue_url: str
    sqs: Any

    def published(self) -> list[dict[str, Any]]:
        """Every event the rule's target received so far, in the order received."""
        events: list[dict[str, Any]] = []
        while True:
            reply = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = reply.get("Messages", [])
            if not messages:
                return events
            for message in messages:
                events.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def bus(table: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    events, sqs = boto3.client("events", region_name=REGION), boto3.client("sqs", region_name=REGION)
    events.create_event_bus(Name=BUS)
    queue_url = sqs.create_queue(QueueName="change-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name="everything", EventBusName=BUS, EventPattern=json.dumps({"source": ["external-tasks"]})
    )
    events.put_targets(Rule="everything", EventBusName=BUS, Targets=[{"Id": "queue", "Arn": queue_arn}])
    monkeypatch.setenv("EVENT_BUS_NAME", BUS)
    eventbus.client.cache_clear()
    yield Bus(queue_url, sqs)
    eventbus.client.cache_clear()


def _schema(detail_type: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        (SCHEMAS / event_schemas.file_name(DetailType(detail_type))).read_text()
    )
    return schema


def _valid(event: dict[str, Any]) -> dict[str, Any]:
    """The event's detail, once it is held to its detail-type's schema."""
    assert event["source"] == "external-tasks"
    detail: dict[str, Any] = event["detail"]
    jsonschema.validate(detail, _schema(event["detail-type"]))
    return detail


def test_the_committed_schemas_are_the_ones_the_models_generate() -> None:
    for detail_type in DetailType:
        path = SCHEMAS / event_schemas.file_name(detail_type)
        assert path.read_text() == event_schemas.render(detail_type), "run `make openapi`"


def test_a_plug_ins_changes_are_published_in_order_each_as_its_schema_says(
    json_api: Api, table: Any, bus: Bus, template: Template
) -> None:
    # Given a plug-in's job: a step, a sub-step that fails, and so the job (rule 3)
    stream = TableStream(table, TABLE_NAME)
    job_id = json_api.new_job()
    records = stream.changes()
    step_id = json_api.new_step(job_id)
    records += stream.changes()
    sub_id = json_api.new_step(job_id, "Verify", parent=step_id)
    records += stream.changes()
    assert json_api.end_step(job_id, sub_id, succeeded=False).status == 200
    records += stream.changes()
    # When the stream delivers the changes to the function
    assert publisher(template)({"Records": records}, None) == {"batchItemFailures": []}
    # Then each change is on the bus, in order, its detail as its schema says
    events = bus.published()
    details = [_valid(event) for event in events]
    summary = [
        (e["detail-type"], d.get("step_id"), d["previous_status"], d["status"])
        for e, d in zip(events, details, strict=True)
    ]
    assert summary == [
        ("Job Status Change", None, None, "started"),
        ("Step Status Change", step_id, None, "started"),
        ("Step Status Change", sub_id, None, "started"),
        ("Job Status Change", None, "started", "failed"),
        ("Step Status Change", sub_id, "started", "failed"),
    ]
    job = json_api.get_job(job_id).data
    for detail in details:
        assert detail["job_id"] == job_id
        assert detail["owner"] == PLUGIN_ROLE
        assert detail["correlation_id"] == job["correlation_id"]
    # the job and step as GET shows them
    assert details[3]["job"] == job
    assert details[4]["step"] == json_api.get_step(job_id, sub_id).data
    # and the event ids are the stream records' own, the same on every delivery of the same change
    ids = [detail["event_id"] for detail in details]
    assert len(set(ids)) == 5
    assert publisher(template)({"Records": records}, None) == {"batchItemFailures": []}
    assert [detail["event_id"] for detail in map(_valid, bus.published())] == ids


def test_progress_and_removal_after_clean_up_are_published(
    json_api: Api, table: Any, bus: Bus, template: Template
) -> None:
    job_id = json_api.new_job()
    step_id = json_api.new_step(job_id)
    job_key = {"PK": {"S": f"JOB#{job_id}"}, "SK": {"S": "JOB"}}
    step_key = {"PK": {"S": f"JOB#{job_id}"}, "SK": {"S": f"STEP#{step_id}"}}
    stream = TableStream(table, TABLE_NAME)

    def progress(key: dict[str, Any], value: int) -> None:
        """Progress reported: the item gains, or changes, its progress attribute."""
        table.update_item(
            TableName=TABLE_NAME,
            Key=key,
            UpdateExpression="SET progress = :p",
            ExpressionAttributeValues={":p": {"N": str(value)}},
        )

    progress(job_key, 40)
    progress(step_key, 40)
    records = stream.changes()
    progress(job_key, 75)
    records += stream.changes()
    # and the job ends and is cleared away (its item deleted, its steps after it)
    assert json_api.end_job(job_id, force=True).status == 200
    records += stream.changes()
    table.delete_item(TableName=TABLE_NAME, Key=job_key)
    table.delete_item(TableName=TABLE_NAME, Key=step_key)
    records += stream.changes()
    assert publisher(template)({"Records": records}, None) == {"batchItemFailures": []}
    events = bus.published()
    details = [_valid(event) for event in events]
    summary = [
        (e["detail-type"], d.get("progress"), d.get("previous_progress"), d["previous_status"], d["status"])
        for e, d in zip(events, details, strict=True)
    ]
    assert summary == [
        ("Job Progress", 40, None, "started", "started"),
        ("Step Progress", 40, None, "started", "started"),
        ("Job Progress", 75, 40, "started", "started"),
        ("Job Status Change", None, None, "started", "finished"),
        ("Job Status Change", None, None, "finished", "removed"),
    ]
    assert details[1]["step"]["id"] == step_id
    assert details[4]["job"]["id"] == job_id
    assert details[4]["job"]["status"] == "finished"  # as it last read


def test_only_changes_of_status_or_progress_are_published(
    json_api: Api, table: Any, bus: Bus, template: Template
) -> None:
    job_id = json_api.new_job()
    step_id = json_api.new_step(job_id)
    stream = TableStream(table, TABLE_NAME)
    json_api.new_step(job_id, parent=step_id)  # the job's counters and the parent's child count move
    assert json_api.clear_job(job_id).status == 200  # auto_cleared was already true: nothing
    records = stream.changes()
    modified = [r for r in records if r["eventName"] == "MODIFY"]
    assert len(modified) == 2
    binding = TableStream(table, TABLE_NAME).record(
        ("EXEC#arn:aws:states:x", "EXEC"), None, {"PK": {"S": "EXEC#x"}}
    )
    assert publisher(template)({"Records": [*records, binding]}, None) == {"batchItemFailures": []}
    assert [event["detail-type"] for event in bus.published()] == ["Step Status Change"]


# PutEvents' limits and partial failures, against a client that answers as EventBridge can.


class FlakyEventBridge:
    """Accepts entries, except ``refuse`` of them by detail: (error code, times; -1 for ever)."""

    def __init__(self, refuse: dict[str, tuple[str, int]] | None = None) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.accepted: list[dict[str, Any]] = []
        self.refuse = dict(refuse or {})

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - botocore's name
        assert len(Entries) <= eventbus.MAX_ENTRIES
        self.calls.append(Entries)
        results, failed = [], 0
        for entry in Entries:
            detail = json.loads(entry["Detail"])
            code, times = self.refuse.get(detail["event_id"], ("", 0))
            if times:
                self.refuse[detail["event_id"]] = (code, times - 1)
                results.append({"ErrorCode": code, "ErrorMessage": "refused"})
                failed += 1
            else:
                self.accepted.append(detail)
                results.append({"EventId": detail["event_id"]})
        return {"FailedEntryCount": failed, "Entries": results}


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> Any:
    def install(refuse: dict[str, tuple[str, int]] | None = None) -> FlakyEventBridge:
        fake = FlakyEventBridge(refuse)
        monkeypatch.setattr(eventbus, "client", lambda: fake)
        monkeypatch.setattr(time, "sleep", lambda seconds: None)
        return fake

    monkeypatch.setenv("EVENT_BUS_NAME", BUS)
    return install


def _two_jobs(json_api: Api, table: Any) -> tuple[list[dict[str, Any]], str, str]:
    stream = TableStream(table, TABLE_NAME)
    first, second = json_api.new_job("first"), json_api.new_job("second")
    records = stream.changes()
    json_api.new_step(first)
    json_api.new_step(second)
    records += stream.changes()
    json_api.end_job(first)
    return records + stream.changes(), first, second


def test_refused_entries_are_sent_again_while_eventbridge_may_take_them(
    json_api: Api, table: Any, template: Template, flaky: Any
) -> None:
    records, _, _ = _two_jobs(json_api, table)
    throttled = records[0]["eventID"]
    fake = flaky({throttled: ("ThrottlingException", 2)})
    assert publisher(template)({"Records": records}, None) == {"batchItemFailures": []}
    assert len(fake.accepted) == 5
    assert sum(1 for call in fake.calls for entry in call if throttled in entry["Detail"]) == 3


def test_a_job_whose_event_is_refused_waits_and_other_jobs_go_on(
    json_api: Api, table: Any, template: Template, flaky: Any
) -> None:
    records, first, second = _two_jobs(json_api, table)
    first_added = next(
        r
        for r in records
        if r["dynamodb"]["Keys"]["PK"]["S"] == f"JOB#{first}" and r["eventName"] == "INSERT"
    )
    fake = flaky({first_added["eventID"]: ("InternalFailure", -1)})
    reply = publisher(template)({"Records": records}, None)
    # The refused record is reported first (Lambda delivers the batch again from it), its job's later too
    reported = [failure["itemIdentifier"] for failure in reply["batchItemFailures"]]
    assert reported[0] == first_added["dynamodb"]["SequenceNumber"]
    of_first = [
        r["dynamodb"]["SequenceNumber"] for r in records if r["dynamodb"]["Keys"]["PK"]["S"] == f"JOB#{first}"
    ]
    assert set(reported) <= set(of_first)
    # ... no later event of its job was published before it, and the other job's all were, in order
    assert all(detail["job_id"] == second for detail in fake.accepted)
    assert [d["status"] for d in fake.accepted] == ["started", "started"]
    # and no call held two events of one job
    for call in fake.calls:
        jobs = [json.loads(entry["Detail"])["job_id"] for entry in call]
        assert len(jobs) == len(set(jobs))


def test_a_batch_none_of_whose_events_is_published_fails_the_invocation(
    json_api: Api, table: Any, template: Template, flaky: Any
) -> None:
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    stream = TableStream(table, TABLE_NAME)
    json_api.new_job()
    records = stream.changes()
    flaky({records[0]["eventID"]: ("InternalFailure", -1)})
    with pytest.raises(BatchProcessingError):  # Lambda retries the batch, halving it (bounded, then the DLQ)
        publisher(template)({"Records": records}, None)


def _event(job_id: str, size: int, number: int) -> ChangeEvent:
    detail = {"event_id": f"e{number}", "job_id": job_id, "padding": "x" * size}
    return ChangeEvent(f"{number}", job_id, DetailType.JOB_STATUS, detail, datetime.now(tz=UTC))


def test_a_call_holds_at_most_ten_entries_and_256_kb(flaky: Any) -> None:
    fake = flaky()
    many = [_event(f"job-{n}", 100, n) for n in range(25)]
    assert eventbus.publish(many) == set()
    assert [len(call) for call in fake.calls] == [10, 10, 5]
    fake.calls.clear()
    large = [_event(f"big-{n}", 100_000, n) for n in range(5)]
    assert eventbus.publish(large) == set()
    assert [len(call) for call in fake.calls] == [2, 2, 1]
    assert all(sum(eventbus.entry_size(e) for e in large[:2]) <= eventbus.MAX_BYTES for _ in fake.calls)
    # one job's events go out one call after another, in order
    fake.calls.clear()
    one_job = [_event("same", 10, n) for n in range(3)]
    assert eventbus.publish(one_job) == set()
    assert [[json.loads(e["Detail"])["event_id"] for e in call] for call in fake.calls] == [
        ["e0"],
        ["e1"],
        ["e2"],
    ]


# The template.


def test_the_bus_and_the_publishers_bounded_retries_and_dead_letter_queue(template: Template) -> None:
    assert template.resources["ChangeEventBus"]["Type"] == "AWS::Events::EventBus"
    outputs = template.document["Outputs"]
    assert outputs["EventBusName"]["Value"] == {"Ref": "ChangeEventBus"}
    assert outputs["EventBusArn"]["Value"] == {"Fn::GetAtt": ["ChangeEventBus", "Arn"]}
    properties = template.resources["PublishChangesFunction"]["Properties"]
    assert properties["Environment"]["Variables"]["EVENT_BUS_NAME"] == {"Ref": "ChangeEventBus"}
    stream = properties["Events"]["Changes"]
    assert stream["Type"] == "DynamoDB"
    settings = stream["Properties"]
    assert settings["Stream"] == {"Fn::GetAtt": ["JobsTable", "StreamArn"]}
    assert settings["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 0 < settings["MaximumRetryAttempts"] <= 10
    assert settings["BisectBatchOnFunctionError"] is True
    assert settings["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["ChangeEventsDeadLetterQueue", "Arn"]},
    }
    assert template.resources["ChangeEventsDeadLetterQueue"]["Type"] == "AWS::SQS::Queue"
    statements = [s for policy in properties["Policies"] for s in policy["Statement"]]
    assert {
        "Effect": "Allow",
        "Action": ["events:PutEvents"],
        "Resource": {"Fn::GetAtt": ["ChangeEventBus", "Arn"]},
    } in statements


def test_the_function_answers_its_events_file(template: Template, flaky: Any) -> None:
    """events/publish_changes.json, for `sam local invoke`: a job added and a step added to it."""
    fake = flaky()
    event = json.loads((Path(__file__).parents[2] / "events" / "publish_changes.json").read_text())
    assert publisher(template)(event, None) == {"batchItemFailures": []}
    assert [(d["status"], d.get("step_id")) for d in fake.accepted] == [
        ("started", None),
        ("started", "c2f1a9e0-5b7d-4c3e-8f21-9d6e4b3a0c52"),
    ]


def test_progress_reported_through_the_api_is_published(
    json_api: Api, table: Any, bus: Bus, template: Template
) -> None:
    job_id = json_api.new_job()
    step_id = json_api.new_step(job_id)
    stream = TableStream(table, TABLE_NAME)
    assert json_api.request("PUT", f"/jobs/{job_id}/steps/{step_id}", body={"progress": 30}).status == 200
    records = stream.changes()
    assert json_api.request("PUT", f"/jobs/{job_id}", body={"progress": 50}).status == 200
    records += stream.changes()
    assert (
        json_api.end_step(job_id, step_id).status == 200
    )  # finished: read as 100, its progress not rewritten
    records += stream.changes()
    assert publisher(template)({"Records": records}, None) == {"batchItemFailures": []}
    events = bus.published()
    details = [_valid(event) for event in events]
    summary = [
        (e["detail-type"], d.get("progress"), d["status"]) for e, d in zip(events, details, strict=True)
    ]
    assert summary == [
        ("Step Progress", 30, "started"),
        ("Job Progress", 50, "started"),
        ("Step Status Change", None, "finished"),
    ]
    assert details[1]["job"]["progress"] == 50
    assert details[2]["step"] == json_api.get_step(job_id, step_id).data
