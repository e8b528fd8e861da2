"""Reads and conditional writes on the jobs table.

Every write that changes a status is conditional on the state the decision was taken from; when the
condition fails the write raises ``Changed``, carrying the job as it now is when DynamoDB returned it
(ReturnValuesOnConditionCheckFailure), and the caller decides again. Faults of DynamoDB (throttling,
internal errors, timeouts) raise ``Unavailable``, never a half-done change: multi-item changes are one
transaction.
"""

from __future__ import annotations

import functools
import os
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from external_tasks import limits
from external_tasks.errors import Unavailable
from external_tasks.model import Job, JobQuery, Path, Status, Step
from external_tasks.store import items
from external_tasks.store.items import Item, n, s

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        QueryInputTypeDef,
        TransactWriteItemTypeDef,
    )

STEPS_IN_TREE_ORDER = "steps_in_tree_order"

# The store's faults that a retry may cure; the client is told to come back.
_TRANSIENT_ERRORS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
        "LimitExceededException",
    }
)
_CONTENTION = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
_TRANSIENT_CANCELLATIONS = frozenset(
    {
        "None",
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
        "RequestLimitExceeded",
        "InternalServerError",
    }
)
_READ_ATTEMPTS = 4
_BATCH_WRITE_SIZE = 25  # BatchWriteItem's most


class Changed(Exception):
    """An item changed between the read a decision was taken from and the write: decide again, from
    ``job`` when DynamoDB returned the job as it now is, else from a new read."""

    def __init__(self, job: Job | None = None) -> None:
        super().__init__("changed since read")
        self.job = job


def _current_job(stored: list[Any]) -> Job | None:
    return next((items.job_from_item(item) for item in stored if item and items.is_job(item)), None)


@dataclass(frozen=True, slots=True)
class JobCursor:
    """Where the next page of a job listing starts: after this job."""

    job_id: str
    start_time: int


@dataclass(frozen=True, slots=True)
class StepCursor:
    """Where the next page of a step listing starts: after this step."""

    step_id: str
    path: Path


@dataclass(frozen=True, slots=True)
class _JobIndex:
    name: str
    key: str  # partition key attribute; every jobs_by_* index sorts on start_time
    value: str


def _job_index(query: JobQuery) -> _JobIndex:
    """The index that answers the query reading (nearly) only what it returns."""
    if query.correlation_id is not None:  # few jobs share one; other terms filter those few
        return _JobIndex("jobs_by_correlation_id", "correlation_id", query.correlation_id)
    if query.owner is not None and query.status is not None:
        return _JobIndex(
            "jobs_by_owner_status", "job_owner_status", items.owner_status(query.owner, query.status)
        )
    if query.owner is not None:
        return _JobIndex("jobs_by_owner", "job_owner", query.owner)
    if query.status is not None:
        return _JobIndex("jobs_by_status", "job_status", query.status)
    return _JobIndex("jobs_by_time", "job_list", items.ALL_JOBS)


@functools.cache
def _client() -> DynamoDBClient:
    # botocore directly: boto3's own import costs a cold start more than the whole rest of a route.
    import botocore.config
    import botocore.session

    # DynamoDB answers in milliseconds; a call that hangs is retried once, then the client hears 503, well
    # within the function's timeout. Retried writes are safe: new items are conditional on not existing
    # and transactions carry a ClientRequestToken.
    config = botocore.config.Config(
        connect_timeout=1,
        read_timeout=2,
        retries={"mode": "standard", "max_attempts": 2},
        tcp_keepalive=True,
    )
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    session = botocore.session.get_session()
    return session.create_client("dynamodb", region_name=region, config=config)  # type: ignore[return-value]


@contextmanager
def _dynamodb() -> Iterator[None]:
    """Turn DynamoDB's faults into ``Unavailable`` and failed conditions into ``Changed``."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "ConditionalCheckFailedException":
            raise Changed(_current_job([error.response.get("Item")])) from error
        if code == "TransactionCanceledException":
            cancellations = error.response.get("CancellationReasons", [])
            reasons = {r.get("Code", "None") for r in cancellations}
            if reasons & _CONTENTION:
                raise Changed(_current_job([r.get("Item") for r in cancellations])) from error
            if reasons <= _TRANSIENT_CANCELLATIONS:
                raise Unavailable(
                    f"The job store is busy ({', '.join(sorted(reasons))}); retry shortly"
                ) from error
        if code in _TRANSIENT_ERRORS:
            raise Unavailable(f"The job store is busy ({code}); retry shortly") from error
        raise
    except (ConnectionError, HTTPClientError) as error:
        raise Unavailable(f"The job store did not answer ({type(error).__name__}); retry shortly") from error


class JobStore:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._given_client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._given_client or _client()

    # Reads. Base-table reads are strongly consistent: a plug-in reads what it has just written.

    def get_job(self, job_id: str) -> Job | None:
        with _dynamodb():
            reply = self.client.get_item(
                TableName=self.table_name, Key=items.job_key(job_id), ConsistentRead=True
            )
        item = reply.get("Item")
        return None if item is None else items.job_from_item(item)

    def get_job_and_step(self, job_id: str, step_id: str) -> tuple[Job | None, Step | None]:
        """The job and one of its steps as of one moment: a transactional read never sees half of an end
        or an add (a BatchGetItem could see the job before it and the step after)."""
        keys = [items.job_key(job_id), items.step_key(job_id, step_id)]
        for attempt in range(_READ_ATTEMPTS):
            try:
                with _dynamodb():
                    reply = self.client.transact_get_items(
                        TransactItems=[{"Get": {"TableName": self.table_name, "Key": key}} for key in keys]
                    )
            except Changed:  # a transaction on these items was in flight
                time.sleep(0.01 * 2**attempt)
                continue
            job_item, step_item = (response.get("Item") for response in reply["Responses"])
            return (
                None if job_item is None else items.job_from_item(job_item),
                None if step_item is None else items.step_from_item(step_item),
            )
        raise Unavailable("The job is being changed by many requests at once; retry shortly")

    def get_job_with_steps(self, job_id: str, most: int) -> tuple[Job | None, list[Step]]:
        """The job and its steps in tree order; reading stops once more than ``most`` steps are read."""
        query: QueryInputTypeDef = self._tree_query(job_id)
        job: Job | None = None
        steps: list[Step] = []
        while len(steps) <= most:
            with _dynamodb():
                reply = self.client.query(**query)
            for item in reply.get("Items", []):
                if items.is_job(item):
                    job = items.job_from_item(item)
                else:
                    steps.append(items.step_from_item(item))
            last = reply.get("LastEvaluatedKey")
            if last is None:
                break
            query["ExclusiveStartKey"] = last
        return job, steps

    def list_steps(
        self, job_id: str, limit: int, after: StepCursor | None
    ) -> tuple[Job | None, list[Step], StepCursor | None]:
        """A page of the job's steps in tree order, the job (needed to read their status) and the next cursor.

        The first page is one Query: the job item sorts before its steps. Later pages read the job too.
        """
        query = self._tree_query(job_id)
        if after is None:
            query["Limit"] = limit + 1
            job = None
        else:
            query["Limit"] = limit
            query["ExclusiveStartKey"] = {
                **items.step_key(job_id, after.step_id),
                "tree": s(items.encode_path(after.path)),
            }
            job = self.get_job(job_id)
        with _dynamodb():
            reply = self.client.query(**query)
        steps = []
        for item in reply.get("Items", []):
            if items.is_job(item):
                job = items.job_from_item(item)
            else:
                steps.append(items.step_from_item(item))
        last = reply.get("LastEvaluatedKey")
        cursor = None
        if last is not None and steps:
            cursor = StepCursor(step_id=steps[-1].id, path=steps[-1].path)
        return job, steps, cursor

    def _tree_query(self, job_id: str) -> QueryInputTypeDef:
        return {
            "TableName": self.table_name,
            "IndexName": STEPS_IN_TREE_ORDER,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": s(items.job_pk(job_id))},
            "ConsistentRead": True,
        }

    def list_jobs(
        self, query: JobQuery, limit: int, after: JobCursor | None, now: int
    ) -> tuple[list[Job], JobCursor | None]:
        """A page of jobs, newest first. Jobs past their expiry read as gone (SPEC rule 6)."""
        index = _job_index(query)
        names = {"#key": index.key}
        values: dict[str, AttributeValueTypeDef] = {":key": s(index.value), ":now": n(now)}
        filters = ["(attribute_not_exists(gone_at) OR gone_at > :now)"]  # rules.is_gone, in DynamoDB
        if index.key == "correlation_id":
            if query.status is not None:
                filters.append("job_status = :status")
                values[":status"] = s(query.status)
            if query.owner is not None:
                filters.append("job_owner = :owner")
                values[":owner"] = s(query.owner)
        request: QueryInputTypeDef = {
            "TableName": self.table_name,
            "IndexName": index.name,
            "KeyConditionExpression": "#key = :key",
            "FilterExpression": " AND ".join(filters),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if after is not None:
            request["ExclusiveStartKey"] = {
                **items.job_key(after.job_id),
                index.key: s(index.value),
                "start_time": n(after.start_time),
            }
        with _dynamodb():
            reply = self.client.query(**request)
        jobs = [items.job_from_item(item) for item in reply.get("Items", [])]
        last = reply.get("LastEvaluatedKey")
        cursor = None
        if last is not None:
            cursor = JobCursor(
                job_id=last["PK"]["S"].removeprefix("JOB#"), start_time=int(last["start_time"]["N"])
            )
        return jobs, cursor

    # Writes.

    def add_job(self, job: Job) -> None:
        try:
            with _dynamodb():
                self.client.put_item(
                    TableName=self.table_name,
                    Item=items.job_item(job),
                    ConditionExpression="attribute_not_exists(PK)",
                )
        except Changed:
            # The id is a fresh UUID: the item that exists is this very put, retried by botocore after its
            # first answer was lost.
            return

    def save_ended_job(self, before: Job, after: Job) -> None:
        """Rule 2: the job ends; its open steps read as ended through ``steps_end_as``."""
        assert after.closure is not None
        assert after.end_time is not None
        updates = _Update()
        updates.set("job_status", s(after.status))
        updates.set("job_owner_status", s(items.owner_status(after.owner, after.status)))
        updates.set("end_time", n(after.end_time))
        updates.set("last_updated", n(after.last_updated))
        updates.set("steps_end_as", s(after.closure.status))
        updates.set("auto_cleared", {"BOOL": after.auto_cleared})
        updates.set_expiry(after.gone_at)
        updates.condition("job_status = :was_started", ":was_started", s(Status.STARTED))
        updates.unchanged_since(before)
        with _dynamodb():
            self.client.update_item(
                TableName=self.table_name, Key=items.job_key(after.id), **updates.arguments()
            )

    def save_cleared_job(self, before: Job, after: Job) -> None:
        """Rule 6: the job is auto-cleared, and expires if it has ended."""
        updates = _Update()
        updates.set("auto_cleared", {"BOOL": True})
        updates.set("last_updated", n(after.last_updated))
        updates.set_expiry(after.gone_at)
        updates.condition("job_status = :was", ":was", s(before.status))
        updates.unchanged_since(before)
        with _dynamodb():
            self.client.update_item(
                TableName=self.table_name, Key=items.job_key(after.id), **updates.arguments()
            )

    def add_step(self, job: Job, changed_job: Job, step: Step, parent: Step | None) -> None:
        """Rule 5 in one transaction: the new step, the sibling counter it took its number from, the job."""
        writes: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": items.step_item(step),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        ]
        job_update = _Update()
        job_update.set("last_updated", n(changed_job.last_updated))
        job_update.not_after(changed_job.last_updated)
        job_update.add("step_total", 1)
        job_update.condition("job_status = :was_started", ":was_started", s(Status.STARTED))
        job_update.condition("step_total < :max_steps", ":max_steps", n(limits.MAX_STEPS_PER_JOB))
        if parent is None:
            # The number came from the job's counter: it must not have moved since.
            job_update.add("step_count", 1)
            job_update.condition("step_count = :number", ":number", n(step.number))
        else:
            parent_update = _Update()
            parent_update.add("child_count", 1)
            parent_update.condition(
                "#status = :was_started", ":was_started", s(Status.STARTED), {"#status": "status"}
            )
            parent_update.condition("child_count = :number", ":number", n(step.number))
            writes.append(self._transact_update(items.step_key(job.id, parent.id), parent_update))
            # No ancestor of the new step may have been ended since it was read.
            job_update.require_open(parent.path)
        writes.append(self._transact_update(items.job_key(job.id), job_update))
        with _dynamodb():
            self.client.transact_write_items(TransactItems=writes, ClientRequestToken=str(uuid.uuid4()))

    def save_ended_step(self, job: Job, changed_job: Job, step: Step, ended: Step) -> None:
        """Rule 3 in one transaction: the step, and on the job its closed subtree (and failure)."""
        assert ended.end_time is not None
        step_update = _Update()
        step_update.set("#status", s(ended.status), {"#status": "status"})
        step_update.set("end_time", n(ended.end_time))
        step_update.condition("#status = :was_started", ":was_started", s(Status.STARTED))
        # Its sub-steps are closed by the record below only if none was added since the decision.
        step_update.condition("child_count = :children", ":children", n(step.child_count))

        job_update = _Update()
        job_update.set("last_updated", n(changed_job.last_updated))
        job_update.not_after(changed_job.last_updated)
        closure = changed_job.closed_subtrees.get(step.path)
        if closure is not None and step.path not in job.closed_subtrees:
            job_update.set(
                "closed_subtrees.#closed",
                items.closure_item(closure),
                {"#closed": items.encode_path(step.path)},
            )
        if changed_job.status is not job.status:
            assert changed_job.end_time is not None
            assert changed_job.closure is not None
            job_update.set("job_status", s(changed_job.status))
            job_update.set("job_owner_status", s(items.owner_status(changed_job.owner, changed_job.status)))
            job_update.set("end_time", n(changed_job.end_time))
            job_update.set("steps_end_as", s(changed_job.closure.status))
            job_update.set_expiry(changed_job.gone_at)
            job_update.condition(
                "auto_cleared = :was_auto_cleared", ":was_auto_cleared", {"BOOL": job.auto_cleared}
            )
        job_update.condition("job_status = :was_started", ":was_started", s(Status.STARTED))
        job_update.require_open(step.path[:-1])
        with _dynamodb():
            self.client.transact_write_items(
                TransactItems=[
                    self._transact_update(items.step_key(job.id, step.id), step_update),
                    self._transact_update(items.job_key(job.id), job_update),
                ],
                ClientRequestToken=str(uuid.uuid4()),
            )

    def delete_steps(self, job_id: str) -> int:
        """Delete what is left of a job that TTL removed: its steps. Returns how many were deleted."""
        query: QueryInputTypeDef = {
            "TableName": self.table_name,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :steps)",
            "ExpressionAttributeValues": {":pk": s(items.job_pk(job_id)), ":steps": s(items.STEP_SK_PREFIX)},
            "ProjectionExpression": "PK, SK",
        }
        deleted = 0
        while True:
            with _dynamodb():
                reply = self.client.query(**query)
            keys = [{"PK": item["PK"], "SK": item["SK"]} for item in reply.get("Items", [])]
            for start in range(0, len(keys), _BATCH_WRITE_SIZE):
                self._delete(keys[start : start + _BATCH_WRITE_SIZE])
            deleted += len(keys)
            last = reply.get("LastEvaluatedKey")
            if last is None:
                return deleted
            query["ExclusiveStartKey"] = last

    def _delete(self, keys: list[Any]) -> None:
        request: Any = {self.table_name: [{"DeleteRequest": {"Key": key}} for key in keys]}
        for attempt in range(_READ_ATTEMPTS):
            with _dynamodb():
                reply = self.client.batch_write_item(RequestItems=request)
            request = reply.get("UnprocessedItems")
            if not request:
                return
            time.sleep(0.05 * 2**attempt)
        raise Unavailable("The job store is busy (unprocessed deletes); retry shortly")

    def _transact_update(self, key: Item, update: _Update) -> TransactWriteItemTypeDef:
        return {"Update": {"TableName": self.table_name, "Key": key, **update.arguments()}}  # type: ignore[typeddict-item]


class _Update:
    """Builds one UpdateItem's expressions, names and values."""

    def __init__(self) -> None:
        self._sets: list[str] = []
        self._adds: list[str] = []
        self._removes: list[str] = []
        self._conditions: list[str] = []
        self._names: dict[str, str] = {}
        self._values: dict[str, AttributeValueTypeDef] = {}

    def set(self, path: str, value: AttributeValueTypeDef, names: dict[str, str] | None = None) -> None:
        placeholder = f":v{len(self._values)}"
        self._sets.append(f"{path} = {placeholder}")
        self._values[placeholder] = value
        self._names.update(names or {})

    def set_expiry(self, gone_at: int | None) -> None:
        """When the job reads as gone, and DynamoDB's TTL attribute to match; or neither."""
        if gone_at is None:
            self._removes += ["gone_at", "expires_at"]
        else:
            self.set("gone_at", n(gone_at))
            self.set("expires_at", n(items.ttl_seconds(gone_at)))

    def add(self, attribute: str, amount: int) -> None:
        placeholder = f":v{len(self._values)}"
        self._adds.append(f"{attribute} {placeholder}")
        self._values[placeholder] = n(amount)

    def condition(
        self,
        expression: str,
        placeholder: str,
        value: AttributeValueTypeDef,
        names: dict[str, str] | None = None,
    ) -> None:
        self._conditions.append(expression)
        self._values[placeholder] = value
        self._names.update(names or {})

    def unchanged_since(self, job: Job) -> None:
        """Nothing changed the job since ``job`` was read (every change moves last_updated; clear, which
        may not within one millisecond, also changes auto_cleared)."""
        self.condition("last_updated = :was_updated", ":was_updated", n(job.last_updated))
        self.condition("auto_cleared = :was_auto_cleared", ":was_auto_cleared", {"BOOL": job.auto_cleared})

    def not_after(self, now: int) -> None:
        """last_updated never moves back: a change decided earlier than one already written decides again."""
        self.condition("last_updated <= :now", ":now", n(now))

    def require_open(self, path: Sequence[int]) -> None:
        """No step on ``path`` nor any of its ancestors has closed its subtree."""
        for depth in range(1, len(path) + 1):
            name = f"#open{depth}"
            self._conditions.append(f"attribute_not_exists(closed_subtrees.{name})")
            self._names[name] = items.encode_path(tuple(path[:depth]))

    def arguments(self) -> dict[str, Any]:
        clauses = []
        if self._sets:
            clauses.append("SET " + ", ".join(self._sets))
        if self._adds:
            clauses.append("ADD " + ", ".join(self._adds))
        if self._removes:
            clauses.append("REMOVE " + ", ".join(self._removes))
        arguments: dict[str, Any] = {
            "UpdateExpression": " ".join(clauses),
            "ConditionExpression": " AND ".join(self._conditions),
            "ExpressionAttributeValues": self._values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if self._names:
            arguments["ExpressionAttributeNames"] = self._names
        return arguments


def job_store() -> JobStore:
    """The store of this execution environment's table."""
    from external_tasks.config import settings

    return JobStore(settings().table_name)
