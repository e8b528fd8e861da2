"""The job store on DynamoDB: the only code that reads and writes the table (layout: items.py).

Writes that change several items are one transaction; every write is conditional (base.py). Job listings
read the eight shards of one ``jobs_by_*`` index in parallel, merge them newest first, and read the jobs
themselves in one batch, reading past jobs that have expired until the page is full.
"""

from __future__ import annotations

import heapq
import time
import uuid
from collections.abc import Collection, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from external_tasks import limits, rules
from external_tasks.errors import Unavailable
from external_tasks.model import Job, JobQuery, Path, Status, Step
from external_tasks.store import bindings, calls, items, listing
from external_tasks.store.base import Changed, ExecutionTaken, JobPosition
from external_tasks.store.calls import read, write
from external_tasks.store.items import Item, n, s
from external_tasks.store.updates import Update

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import QueryInputTypeDef, TransactWriteItemTypeDef

STEPS_IN_TREE_ORDER = "steps_in_tree_order"
_READ_ATTEMPTS = 4
_BATCH_GET_SIZE = 100  # BatchGetItem's most
_BATCH_WRITE_SIZE = 25  # BatchWriteItem's most


class DynamoDBStore:
    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._given_client = client

    @property
    def client(self) -> DynamoDBClient:
        return self._given_client or calls.client()

    # Reads.

    def get_job(self, job_id: str) -> Job | None:
        reply = read(
            lambda: self.client.get_item(
                TableName=self.table_name, Key=items.job_key(job_id), ConsistentRead=True
            )
        )
        item = reply.get("Item")
        return None if item is None else items.job_from_item(item)

    def get_job_and_steps(self, job_id: str, step_ids: Sequence[str]) -> tuple[Job | None, dict[str, Step]]:
        """A transactional read never sees half of an end or an add (a batch read could see the job before
        it and a step after)."""
        keys = [
            items.job_key(job_id),
            *(items.step_key(job_id, step_id) for step_id in dict.fromkeys(step_ids)),
        ]
        for attempt in range(_READ_ATTEMPTS):
            try:
                reply = read(
                    lambda: self.client.transact_get_items(
                        TransactItems=[{"Get": {"TableName": self.table_name, "Key": key}} for key in keys]
                    )
                )
            except Changed:  # a transaction on these items was in flight
                time.sleep(0.01 * 2**attempt)
                continue
            found = [response.get("Item") for response in reply["Responses"]]
            job = None if found[0] is None else items.job_from_item(found[0])
            steps = [items.step_from_item(item) for item in found[1:] if item is not None]
            return job, {step.id: step for step in steps}
        raise Unavailable("The job is being changed by many requests at once; retry shortly")

    def get_steps(self, job_id: str, step_ids: Collection[str]) -> dict[str, Step]:
        keys = [items.step_key(job_id, step_id) for step_id in step_ids]
        return {step.id: step for step in map(items.step_from_item, self._batch_get(keys))}

    def _batch_get(self, keys: Sequence[Item]) -> list[Any]:
        """The items that exist under ``keys``, strongly consistent, in parallel batches."""
        chunks = [keys[start : start + _BATCH_GET_SIZE] for start in range(0, len(keys), _BATCH_GET_SIZE)]
        return [item for found in calls.in_parallel(self._batch_get_chunk, chunks) for item in found]

    def _batch_get_chunk(self, keys: Sequence[Item]) -> list[Any]:
        request: Any = {self.table_name: {"Keys": list(keys), "ConsistentRead": True}}
        found: list[Any] = []
        for attempt in range(_READ_ATTEMPTS + 2):
            reply = read(partial(self.client.batch_get_item, RequestItems=request))
            found += reply.get("Responses", {}).get(self.table_name, [])
            request = reply.get("UnprocessedKeys")
            if not request:
                return found
            time.sleep(0.02 * 2**attempt)
        raise Unavailable("The job store is busy (unprocessed reads); retry shortly")

    def get_job_with_steps(self, job_id: str, most: int) -> tuple[Job | None, list[Step]]:
        """One Query of the job's partition (the job and its steps), sorted into tree order here."""
        query: QueryInputTypeDef = {
            "TableName": self.table_name,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": s(items.job_pk(job_id))},
            "ConsistentRead": True,
        }
        job: Job | None = None
        steps: list[Step] = []
        while len(steps) <= most:
            reply = read(lambda: self.client.query(**query))
            for item in reply.get("Items", []):
                if items.is_job(item):
                    job = items.job_from_item(item)
                else:
                    steps.append(items.step_from_item(item))
            last = reply.get("LastEvaluatedKey")
            if last is None:
                break
            query["ExclusiveStartKey"] = last
        return job, sorted(steps, key=lambda step: step.path)

    def list_steps(self, job_id: str, limit: int, after: Path | None) -> tuple[Job | None, list[Step], bool]:
        """The job and a page of steps from steps_in_tree_order, read at the same time."""
        values: dict[str, Any] = {":pk": s(items.job_pk(job_id))}
        condition = "PK = :pk"
        if after is not None:
            condition += " AND tree > :after"
            values[":after"] = s(items.encode_path(after))
        query: QueryInputTypeDef = {
            "TableName": self.table_name,
            "IndexName": STEPS_IN_TREE_ORDER,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ConsistentRead": True,
            "Limit": limit + 1,
        }
        job_read = calls.in_background(lambda: self.get_job(job_id))
        steps: list[Step] = []
        while len(steps) <= limit:
            reply = read(lambda: self.client.query(**query))
            steps += map(items.step_from_item, reply.get("Items", []))
            last = reply.get("LastEvaluatedKey")
            if last is None:
                break
            query["ExclusiveStartKey"] = last
        return job_read.result(), steps[:limit], len(steps) > limit

    def list_jobs(
        self, query: JobQuery, limit: int, after: JobPosition | None, now: int
    ) -> tuple[list[Job], bool]:
        wanted = limit + 1  # one more than the page, to know whether more follow
        candidates = _Merge(self, listing.for_query(query), after, batch=_shard_batch(wanted))
        live: list[Job] = []
        while len(live) < wanted:
            keys = candidates.take(wanted - len(live))
            if not keys:
                break
            jobs = {job.id: job for job in map(items.job_from_item, self._batch_get(keys))}
            for key in keys:  # in listing order
                job = jobs.get(key["PK"]["S"].removeprefix("JOB#"))
                if job is not None and not rules.is_gone(job, now) and listing.matches(job, query):
                    live.append(job)
        return live[:limit], len(live) > limit

    # Writes.

    def add_job(self, job: Job) -> Job:
        try:
            write(
                lambda: self.client.put_item(
                    TableName=self.table_name,
                    Item=items.job_item(job),
                    ConditionExpression="attribute_not_exists(PK)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            )
        except Changed as taken:
            # The id was taken: by this very put, sent again after its answer was lost, or by the first
            # request with the same Idempotency-Key (ids of keyed creates come from the key).
            return taken.job or job
        return job

    def save_ended_job(self, before: Job, after: Job) -> None:
        update = _ended_job_update(before, after)
        write(
            lambda: self.client.update_item(
                TableName=self.table_name, Key=items.job_key(after.id), **update.arguments()
            )
        )

    def save_cleared_job(self, before: Job, after: Job) -> None:
        update = Update()
        update.set("auto_cleared", {"BOOL": True})
        update.set("last_updated", n(after.last_updated))
        update.set_expiry(after.id, after.gone_at)
        update.require("job_status", "=", s(before.status))
        update.require("auto_cleared", "=", {"BOOL": before.auto_cleared})
        write(
            lambda: self.client.update_item(
                TableName=self.table_name, Key=items.job_key(after.id), **update.arguments()
            )
        )

    def add_step(self, job: Job, changed_job: Job, step: Step, parent: Step | None) -> None:
        writes: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": items.step_item(step),
                    "ConditionExpression": "attribute_not_exists(PK)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
        ]
        job_update = Update()
        job_update.set("last_updated", n(changed_job.last_updated))
        _set_deadline(job_update, job, changed_job)
        job_update.add("step_total", 1)
        job_update.require("job_status", "=", s(Status.STARTED))
        job_update.require("step_total", "<", n(limits.MAX_STEPS_PER_JOB))
        if parent is None:
            # The number came from the job's counter: it must not have moved since.
            job_update.add("step_count", 1)
            job_update.require("step_count", "=", n(step.number))
        else:
            parent_update = Update()
            parent_update.add("child_count", 1)
            parent_update.require("status", "=", s(Status.STARTED))
            parent_update.require("child_count", "=", n(step.number))
            writes.append(self._update(items.step_key(job.id, parent.id), parent_update))
            writes += self._still_started(job.id, parent.ancestors)
        writes.append(self._update(items.job_key(job.id), job_update))
        if step.execution is not None:
            writes.append(self._binding_put(step, job.owner))
        try:
            self._transact(writes)
        except Changed as changed:
            put = changed.reasons[0] if changed.reasons else {}
            if put.get("Code") == "ConditionalCheckFailed" and put.get("Item"):
                changed.step = items.step_from_item(put["Item"])
            elif step.execution is not None:
                _check_binding(changed.reasons[-1] if changed.reasons else {})
            raise

    def _binding_put(self, step: Step, owner: str) -> TransactWriteItemTypeDef:
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": bindings.item(step, owner),
                "ConditionExpression": "attribute_not_exists(PK)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def find_binding(self, arn: str) -> bindings.Binding | None:
        reply = read(
            lambda: self.client.get_item(
                TableName=self.table_name, Key=bindings.key(arn), ConsistentRead=True
            )
        )
        item = reply.get("Item")
        return None if item is None else bindings.from_item(item)

    def save_ended_step(self, job: Job, changed_job: Job, step: Step, ended: Step) -> None:
        assert ended.end_time is not None
        assert ended.closes_as is not None
        step_update = Update()
        step_update.set("status", s(ended.status))
        step_update.set("end_time", n(ended.end_time))
        step_update.set("closes_as", s(ended.closes_as))
        step_update.require("status", "=", s(Status.STARTED))

        job_update = Update()
        job_update.set("last_updated", n(changed_job.last_updated))
        _set_deadline(job_update, job, changed_job)
        if changed_job.status is not job.status:
            assert changed_job.end_time is not None
            assert changed_job.closure is not None
            job_update.set("job_status", s(changed_job.status))
            job_update.set_all(items.listing_keys(changed_job, listing.status_listings(changed_job)))
            job_update.set("end_time", n(changed_job.end_time))
            job_update.set("steps_end_as", s(changed_job.closure.status))
            job_update.set_expiry(job.id, changed_job.gone_at)
            job_update.require("auto_cleared", "=", {"BOOL": job.auto_cleared})
        job_update.require("job_status", "=", s(Status.STARTED))
        self._transact(
            [
                self._update(items.step_key(job.id, step.id), step_update),
                *self._still_started(job.id, step.ancestors),
                self._update(items.job_key(job.id), job_update),
            ]
        )

    def expired_jobs(self, now: int, most: int) -> list[str]:
        """Up to ``most`` ids of jobs gone by ``now``, from each shard of jobs_by_expiry, read in parallel."""

        def shard(number: int) -> list[str]:
            query: QueryInputTypeDef = {
                "TableName": self.table_name,
                "IndexName": listing.EXPIRY_INDEX,
                "KeyConditionExpression": "#shard = :shard AND gone_at <= :now",
                "ExpressionAttributeNames": {"#shard": listing.EXPIRY_ATTRIBUTE},
                "ExpressionAttributeValues": {":shard": s(listing.expiry_key(number)), ":now": n(now)},
                "Limit": most,
            }
            found: list[str] = []
            while len(found) < most:
                reply = read(lambda: self.client.query(**query))
                found += [item["PK"]["S"].removeprefix("JOB#") for item in reply.get("Items", [])]
                if "LastEvaluatedKey" not in reply:
                    break
                query["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
            return found[:most]

        return [job_id for ids in calls.in_parallel(shard, range(listing.SHARDS)) for job_id in ids]

    def delete_expired_job(self, job_id: str, now: int) -> bool:
        try:
            write(
                lambda: self.client.delete_item(
                    TableName=self.table_name,
                    Key=items.job_key(job_id),
                    ConditionExpression="gone_at <= :now",
                    ExpressionAttributeValues={":now": n(now)},
                )
            )
        except Changed:
            return False  # already deleted (by TTL, or a run before), or no longer expiring
        return True

    def delete_steps(self, job_id: str) -> int:
        query: QueryInputTypeDef = {
            "TableName": self.table_name,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :steps)",
            "ExpressionAttributeValues": {":pk": s(items.job_pk(job_id)), ":steps": s(items.STEP_SK_PREFIX)},
            "ProjectionExpression": "PK, SK",
        }
        deleted = 0
        while True:
            reply = read(lambda: self.client.query(**query))
            keys = [{"PK": item["PK"], "SK": item["SK"]} for item in reply.get("Items", [])]
            for start in range(0, len(keys), _BATCH_WRITE_SIZE):
                self._delete(keys[start : start + _BATCH_WRITE_SIZE])
            deleted += len(keys)
            last = reply.get("LastEvaluatedKey")
            if last is None:
                return deleted
            query["ExclusiveStartKey"] = last

    # Progress, heartbeats and timeouts.

    def renew_job(self, job_id: str, now: int, owner: str | None, progress: int | None = None) -> Job:
        update = Update()
        update.set("last_updated", n(now))
        # Without reading the job: its timeout is stored in milliseconds, so the deadline is a sum.
        update.set_sum("deadline", "timeout_ms", now)
        if progress is not None:
            update.set("progress", n(progress))
        update.require("job_status", "=", s(Status.STARTED))
        if owner is not None:
            update.require("job_owner", "=", s(owner))
        reply = write(
            lambda: self.client.update_item(
                TableName=self.table_name,
                Key=items.job_key(job_id),
                ReturnValues="ALL_NEW",
                **update.arguments(),
            )
        )
        return items.job_from_item(reply["Attributes"])

    def save_step_progress(self, job_id: str, step_id: str, progress: int) -> Step:
        update = Update()
        update.set("progress", n(progress))
        update.require("status", "=", s(Status.STARTED))
        reply = write(
            lambda: self.client.update_item(
                TableName=self.table_name,
                Key=items.step_key(job_id, step_id),
                ReturnValues="ALL_NEW",
                **update.arguments(),
            )
        )
        return items.step_from_item(reply["Attributes"])

    def jobs_to_check(self, now: int, most: int) -> list[Job]:
        """The due entries of each shard of jobs_by_lease, read in parallel, then their jobs in one batch."""

        def shard(number: int) -> list[Item]:
            query: QueryInputTypeDef = {
                "TableName": self.table_name,
                "IndexName": listing.LEASE_INDEX,
                "KeyConditionExpression": "#shard = :shard AND #at <= :now",
                "ExpressionAttributeNames": {
                    "#shard": listing.LEASE_ATTRIBUTE,
                    "#at": listing.LEASE_CHECK_AT,
                },
                "ExpressionAttributeValues": {":shard": s(listing.lease_key(number)), ":now": n(now)},
                "Limit": most,
            }
            reply = read(lambda: self.client.query(**query))
            return [{"PK": item["PK"], "SK": item["SK"]} for item in reply.get("Items", [])]

        keys = [key for found in calls.in_parallel(shard, range(listing.SHARDS)) for key in found]
        return [items.job_from_item(item) for item in self._batch_get(keys)]

    def save_lapsed_job(self, before: Job, after: Job) -> None:
        assert before.deadline is not None
        update = _ended_job_update(before, after)
        update.remove(*items.LEASE_CHECK_ATTRIBUTES)
        update.require("deadline", "=", n(before.deadline))
        write(
            lambda: self.client.update_item(
                TableName=self.table_name, Key=items.job_key(after.id), **update.arguments()
            )
        )

    def move_lease_check(self, job: Job) -> None:
        assert job.deadline is not None
        update = Update()
        update.set(listing.LEASE_CHECK_AT, n(job.deadline))
        update.require("job_status", "=", s(Status.STARTED))
        write(
            lambda: self.client.update_item(
                TableName=self.table_name, Key=items.job_key(job.id), **update.arguments()
            )
        )

    def drop_lease_check(self, job_id: str) -> None:
        update = Update()
        update.remove(*items.LEASE_CHECK_ATTRIBUTES)
        update.require_exists()
        update.require("job_status", "<>", s(Status.STARTED))
        write(
            lambda: self.client.update_item(
                TableName=self.table_name, Key=items.job_key(job_id), **update.arguments()
            )
        )

    def _delete(self, keys: list[Any]) -> None:
        request: Any = {self.table_name: [{"DeleteRequest": {"Key": key}} for key in keys]}
        for attempt in range(_READ_ATTEMPTS):
            reply = write(partial(self.client.batch_write_item, RequestItems=request))
            request = reply.get("UnprocessedItems")
            if not request:
                return
            time.sleep(0.05 * 2**attempt)
        raise Unavailable("The job store is busy (unprocessed deletes); retry shortly")

    def _transact(self, writes: list[TransactWriteItemTypeDef]) -> None:
        # One token for every sending of this transaction: DynamoDB applies it at most once.
        token = str(uuid.uuid4())
        write(lambda: self.client.transact_write_items(TransactItems=writes, ClientRequestToken=token))

    def _update(self, key: Item, update: Update) -> TransactWriteItemTypeDef:
        return {"Update": {"TableName": self.table_name, "Key": key, **update.arguments()}}  # type: ignore[typeddict-item]

    def _still_started(self, job_id: str, step_ids: Sequence[str]) -> list[TransactWriteItemTypeDef]:
        """Condition checks: none of these steps (the ancestors of what changes) has ended since read."""
        checks: list[Any] = []
        for step_id in step_ids:
            check = Update()
            check.require("status", "=", s(Status.STARTED))
            key = items.step_key(job_id, step_id)
            checks.append(
                {"ConditionCheck": {"TableName": self.table_name, "Key": key, **check.condition_arguments()}}
            )
        return checks


def _check_binding(reason: Any) -> None:
    """A bound step's transaction failed on its binding: the execution is bound to another step."""
    if reason.get("Code") == "ConditionalCheckFailed" and reason.get("Item"):
        raise ExecutionTaken(bindings.from_item(reason["Item"]))


def _set_deadline(update: Update, job: Job, changed_job: Job) -> None:
    """A write under a job with a timeout moves its deadline (leases.renewed)."""
    if changed_job.deadline is not None and changed_job.deadline != job.deadline:
        update.set("deadline", n(changed_job.deadline))


def _ended_job_update(before: Job, after: Job) -> Update:
    """Rule 2's end of the job, if it is still started and not cleared since read."""
    assert after.closure is not None
    assert after.end_time is not None
    update = Update()
    update.set("job_status", s(after.status))
    update.set_all(items.listing_keys(after, listing.status_listings(after)))
    update.set("end_time", n(after.end_time))
    update.set("last_updated", n(after.last_updated))
    update.set("steps_end_as", s(after.closure.status))
    update.set("auto_cleared", {"BOOL": after.auto_cleared})
    update.set_expiry(after.id, after.gone_at)
    update.require("job_status", "=", s(Status.STARTED))
    update.require("auto_cleared", "=", {"BOOL": before.auto_cleared})  # a clear since read: decide again
    return update


def _shard_batch(wanted: int) -> int:
    """Keys read from each shard at first: its share of the page with room to spare (jobs are spread evenly
    over the shards), so that a page is nearly always one round of queries."""
    return min(wanted, -(-2 * wanted // listing.SHARDS) + 2)


class _Merge:
    """The listing's keys, newest first, merged from its shards; each shard read a batch at a time."""

    def __init__(
        self, store: DynamoDBStore, entry: listing.Listing, after: JobPosition | None, batch: int
    ) -> None:
        self._store, self._entry, self._batch = store, entry, batch
        self._after = None if after is None else listing.listed_at(after.start_time, after.job_id)
        keys = entry.keys()
        first = calls.in_parallel(lambda key: self._query(key, None), keys)
        self._merged = heapq.merge(
            *(self._shard(key, page) for key, page in zip(keys, first, strict=True)),
            key=lambda item: item[listing.SORT_KEY]["S"],
            reverse=True,
        )

    def _query(self, key: str, start: Any) -> tuple[list[Any], Any]:
        condition = "#key = :key"
        values: dict[str, Any] = {":key": s(key)}
        if self._after is not None:
            condition += f" AND {listing.SORT_KEY} < :after"
            values[":after"] = s(self._after)
        request: QueryInputTypeDef = {
            "TableName": self._store.table_name,
            "IndexName": self._entry.index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {"#key": self._entry.attribute},
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": self._batch,
        }
        if start is not None:
            request["ExclusiveStartKey"] = start
        reply = read(lambda: self._store.client.query(**request))
        return reply.get("Items", []), reply.get("LastEvaluatedKey")

    def _shard(self, key: str, page: tuple[list[Any], Any]) -> Iterator[Any]:
        found, last = page
        while True:
            yield from found
            if last is None:
                return
            found, last = self._query(key, last)

    def take(self, count: int) -> list[Item]:
        """The next ``count`` jobs' table keys (fewer at the end)."""
        taken = []
        for entry in self._merged:
            taken.append({"PK": entry["PK"], "SK": entry["SK"]})
            if len(taken) == count:
                break
        return taken


def job_store() -> DynamoDBStore:
    """The store of this execution environment's table."""
    from external_tasks.config import settings

    return DynamoDBStore(settings().table_name)
