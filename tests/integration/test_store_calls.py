"""What the handlers ask of DynamoDB: conditional status changes, no Scan, the round trips of docs/storage.md,
and store faults answered with 503 and Retry-After, nothing half-written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from external_tasks.store import calls as calls_module
from external_tasks.store.listing import SHARDS
from tests.conftest import stored_items
from tests.support.api import Api

type Calls = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def calls(json_api: Api) -> Iterator[Calls]:
    """Every DynamoDB call the service makes, with its parameters."""
    recorded: Calls = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        recorded.append((model.name, params))

    events = calls_module.client().meta.events
    events.register("provide-client-params.dynamodb.*", record)
    yield recorded
    events.unregister("provide-client-params.dynamodb.*", record)


def _writes(calls: Calls) -> list[dict[str, Any]]:
    """Each single write, transaction items unpacked."""
    writes = []
    for name, params in calls:
        if name in ("PutItem", "UpdateItem", "DeleteItem"):
            writes.append(params)
        elif name == "TransactWriteItems":
            writes += [next(iter(item.values())) for item in params["TransactItems"]]
    return writes


def _plugin_flow(api: Api) -> None:
    job_id = api.new_job()
    first = api.new_step(job_id)
    sub = api.new_step(job_id, parent=first)
    assert api.end_step(job_id, sub).status == 200
    second = api.new_step(job_id)
    assert api.end_step(job_id, second, succeeded=False).status == 200
    other = api.new_job(auto_cleared=False)
    assert api.end_job(other).status == 200
    assert api.clear_job(other).status == 200
    assert api.get_job(job_id, query=[("follow", "steps")]).status == 200
    assert api.list_jobs(search="status=failed").status == 200
    assert api.list_steps(job_id).status == 200
    assert api.get_step(job_id, sub).status == 200


def _named(expression: str, names: dict[str, str]) -> set[str]:
    """The attributes an expression names through ``#placeholders``, or by name."""
    words = set(expression.replace("(", " ").replace(")", " ").replace(",", " ").split())
    return {names.get(word, word) for word in words}


def test_every_write_is_conditional_and_status_changes_check_the_status(json_api: Api, calls: Calls) -> None:
    """Rules: enforced with conditional writes, never by read-then-write alone; rule 9: conditions test what
    the rule is about (status, counters), never last_updated, so other writes cannot starve a change."""
    _plugin_flow(json_api)
    writes = _writes(calls)
    assert len(writes) >= 10
    for write in writes:
        condition = write.get("ConditionExpression")
        assert condition, write
        names = write.get("ExpressionAttributeNames", {})
        tested = _named(condition, names)
        assert "last_updated" not in tested, write
        update = write.get("UpdateExpression", "")
        changed = (
            _named(update.split("ADD")[0].split("REMOVE")[0], names) if update.startswith("SET") else set()
        )
        for status in {"job_status", "status"} & changed:
            assert status in tested, write


def test_nothing_scans(json_api: Api, calls: Calls) -> None:
    """Listing: through indexes, never a Scan."""
    _plugin_flow(json_api)
    assert "Scan" not in {name for name, _ in calls}
    assert {"Query", "GetItem", "TransactGetItems", "BatchGetItem"} <= {name for name, _ in calls}


def _calls_of(calls: Calls, request: Any) -> list[str]:
    before = len(calls)
    reply = request()
    assert reply.status < 300, reply.body
    return [name for name, _ in calls[before:]]


def test_round_trips_per_request_are_within_design(json_api: Api, calls: Calls) -> None:
    """docs/storage.md cost targets: add job 1, get 1, a list page one round of parallel queries and one batch
    read, add step <= 2, end <= 2."""
    api = json_api
    job_id = api.new_job()
    step_id = api.new_step(job_id)
    assert _calls_of(calls, lambda: api.add_job("x")) == ["PutItem"]
    assert _calls_of(calls, lambda: api.get_job(job_id)) == ["GetItem"]
    assert _calls_of(calls, lambda: api.get_job(job_id, query=[("follow", "steps")])) == ["Query"]
    # the eight shards of one index, queried in parallel (see store.dynamodb._Merge), then the jobs
    listing = _calls_of(calls, api.list_jobs)
    assert sorted(listing) == ["BatchGetItem"] + ["Query"] * SHARDS
    assert sorted(_calls_of(calls, lambda: api.list_steps(job_id))) == ["GetItem", "Query"]  # in parallel
    assert _calls_of(calls, lambda: api.get_step(job_id, step_id)) == ["TransactGetItems"]
    for request in (
        lambda: api.add_step(job_id),
        lambda: api.add_step(job_id, parent=step_id),
        lambda: api.end_step(job_id, step_id),
        lambda: api.end_job(job_id),
    ):
        assert len(_calls_of(calls, request)) <= 2


def test_ending_a_job_costs_the_same_with_many_open_steps(json_api: Api, calls: Calls) -> None:
    """docs/storage.md: end job costs the same with 1 open step or 1,000 (no write per open step)."""
    api = json_api
    small, large = api.new_job(), api.new_job()
    api.new_step(small)
    parent = api.new_step(large)
    for _ in range(60):
        api.new_step(large, parent=parent)
    assert _calls_of(calls, lambda: api.end_job(small)) == _calls_of(calls, lambda: api.end_job(large))
    statuses = {s["status"] for s in api.list_steps(large, max="1000").data["step"]}
    assert statuses == {"finished"}


def _fail_with(error: Exception, operation: str = "*") -> Any:
    def fail(**_: Any) -> None:
        raise error

    calls_module.client().meta.events.register_first(f"before-call.dynamodb.{operation}", fail)
    return fail


_THROTTLED = ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "Query")
_ENDPOINT = "https://dynamodb.eu-west-1.amazonaws.com"


@pytest.mark.parametrize(
    ("error", "certain"),
    [
        (_THROTTLED, True),
        (
            ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, "X"
            ),
            True,
        ),
        (EndpointConnectionError(endpoint_url=_ENDPOINT), True),
        (ClientError({"Error": {"Code": "InternalServerError", "Message": "oops"}}, "X"), False),
        (ReadTimeoutError(endpoint_url=_ENDPOINT), False),
    ],
    ids=["throttling", "throughput", "connection", "internal", "timeout"],
)
def test_store_faults_are_503_with_retry_after_and_nothing_written(
    api: Api, table: Any, error: Exception, certain: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rule 9: 503 with Retry-After when the store refused, and nothing written. A fault after which a write
    may have been applied (no answer) is sent again; one that never gets an answer is 504, never 503."""
    monkeypatch.setattr(calls_module, "RESEND_SECONDS", 0.2)
    job_id = api.new_job()
    step_id = api.new_step(job_id)
    before = stored_items(table)
    _fail_with(error)
    reads_first = (
        api.add_step(job_id, parent=step_id),
        api.end_step(job_id, step_id),
        api.end_job(job_id),
        api.clear_job(job_id),
        api.list_jobs(),
        api.get_step(job_id, step_id),
    )
    for reply in reads_first:
        assert reply.status == 503, reply.body
        assert reply.header("Retry-After") == "1"
        assert "retry" in reply.fault["detail"]
    added = api.add_job("x")  # its first call is its write
    if certain:
        assert (added.status, added.header("Retry-After")) == (503, "1")
    else:
        assert added.status == 504, added.body
        assert "did not confirm" in added.fault["detail"]
    assert stored_items(table) == before


def test_a_throttled_transaction_is_503_and_changes_nothing(api: Api, table: Any) -> None:
    """A transaction cancelled by throttling writes none of its items."""
    job_id = api.new_job()
    step_id = api.new_step(job_id)
    before = stored_items(table)
    cancelled = ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "throttled"},
            "CancellationReasons": [{"Code": "ThrottlingError"}, {"Code": "None"}],
        },
        "TransactWriteItems",
    )
    _fail_with(cancelled, "TransactWriteItems")
    for reply in (
        api.add_step(job_id, parent=step_id),
        api.end_step(job_id, step_id, succeeded=False),
    ):
        assert reply.status == 503, reply.body
        assert reply.header("Retry-After") == "1"
    assert stored_items(table) == before


def test_a_transaction_conflict_is_retried_transparently(json_api: Api, table: Any) -> None:
    """A TransactionConflict (another transaction on the same items) is a race lost: decided again, and the
    client never sees it."""
    job_id = json_api.new_job()
    conflict = ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
            "CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}],
        },
        "TransactWriteItems",
    )
    raised: list[bool] = []

    def conflict_once(**_: Any) -> None:
        if not raised:
            raised.append(True)
            raise conflict

    calls_module.client().meta.events.register_first("before-call.dynamodb.TransactWriteItems", conflict_once)
    reply = json_api.add_step(job_id)
    assert raised == [True]
    assert reply.status == 201
    assert reply.data["number"] == 0
    assert len(json_api.list_steps(job_id).data["step"]) == 1
