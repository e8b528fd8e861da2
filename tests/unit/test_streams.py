"""The local stream mapping delivers records as AWS writes them and filters them as Lambda does."""

from __future__ import annotations

import json
from typing import Any

from xtasks_local.streams import as_aws_writes_it, matches
from xtasks_local.template import ROOT, Template

PATTERN = json.loads(
    Template().resources["ClearStepsFunction"]["Properties"]["Events"]["ClearedJobs"]["Properties"][
        "FilterCriteria"
    ]["Filters"][0]["Pattern"]
)
KEYS = frozenset({"PK", "SK"})


def _record(name: str, sk: str, **dynamodb: Any) -> dict[str, Any]:
    return {
        "eventID": "1",
        "eventName": name,
        "dynamodb": {"Keys": {"PK": {"S": "JOB#1"}, "SK": {"S": sk}}, "SequenceNumber": "1", **dynamodb},
    }


def test_the_template_filter_passes_job_removals_only() -> None:
    event = json.loads((ROOT / "events" / "clear_steps.json").read_text())["Records"][0]
    assert matches(PATTERN, event)
    assert not matches(PATTERN, _record("REMOVE", "STEP#2"))
    assert not matches(PATTERN, _record("MODIFY", "JOB"))
    assert not matches(PATTERN, {"eventName": "REMOVE"})


def test_a_dynamodb_local_ttl_deletion_is_delivered_as_aws_writes_it() -> None:
    """DynamoDB Local 3.3 names TTL deletions UNKNOWN_TO_SDK_VERSION and lists index keys among Keys."""
    local = _record("UNKNOWN_TO_SDK_VERSION", "JOB", OldImage={"PK": {"S": "JOB#1"}})
    local["dynamodb"]["Keys"]["job_list"] = {"S": "jobs"}
    delivered = as_aws_writes_it(local, "arn:stream", KEYS)
    assert delivered["eventName"] == "REMOVE"
    assert delivered["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert delivered["dynamodb"]["Keys"] == {"PK": {"S": "JOB#1"}, "SK": {"S": "JOB"}}
    assert delivered["eventSourceARN"] == "arn:stream"
    assert matches(PATTERN, delivered)


def test_other_records_keep_their_event_name() -> None:
    inserted = as_aws_writes_it(_record("INSERT", "JOB", NewImage={}), "arn:stream", KEYS)
    assert inserted["eventName"] == "INSERT"
    assert "userIdentity" not in inserted
