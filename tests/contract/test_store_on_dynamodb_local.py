"""The store's DynamoDB behaviours on AWS's own DynamoDB Local, which validates requests as DynamoDB does
(moto is laxer): conditional failures with the old item, transactions, index paging, TTL deletion."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from external_tasks import rules
from external_tasks.config import CleanupDelays
from external_tasks.model import Caller, Job, JobQuery, Status, StepType
from external_tasks.store import Changed, JobStore
from tests.conftest import REGION
from xtasks_local import storage
from xtasks_local.template import Template

OWNER = Caller("arn:aws:iam::123456789012:role/ExternalTasks")
CLEANUP = CleanupDelays()


@pytest.fixture
def store(dynamodb_local: storage.DynamoDBLocal, template: Template) -> Iterator[JobStore]:
    """A fresh table, created from template.yaml's definition, deleted afterwards (DynamoDB Local's TTL
    sweep slows down with every table it has to visit)."""
    client = storage.client(dynamodb_local.endpoint, REGION)
    name = f"contract-{uuid.uuid4().hex[:12]}"
    storage.create_table(client, template, name)
    yield JobStore(name, client)
    client.delete_table(TableName=name)


def _job(store: JobStore, start: int = 1_000, correlation_id: str = "c", description: str = "job") -> Job:
    job = Job(
        id=str(uuid.uuid4()),
        description=description,
        owner=OWNER.principal,
        status=Status.STARTED,
        start_time=start,
        last_updated=start,
        auto_cleared=True,
        correlation_id=correlation_id,
    )
    store.add_job(job)
    return job


def _step(store: JobStore, job: Job, parent: Any = None, now: int = 2_000) -> tuple[Job, Any]:
    changed, step = rules.add_step(
        job, parent, step_id=str(uuid.uuid4()), description="step", step_type=StepType.EXECUTING, now=now
    )
    store.add_step(job, changed, step, parent)
    stored = store.get_job(job.id)
    assert stored is not None
    return stored, step


def test_the_table_is_created_as_the_template_defines(store: JobStore, template: Template) -> None:
    described = store.client.describe_table(TableName=store.table_name)["Table"]
    properties = template.table_properties()
    assert described["KeySchema"] == properties["KeySchema"]
    assert {i["IndexName"] for i in described["GlobalSecondaryIndexes"]} == {
        i["IndexName"] for i in properties["GlobalSecondaryIndexes"]
    }
    assert described["LocalSecondaryIndexes"][0]["IndexName"] == "steps_in_tree_order"
    assert described["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    ttl = store.client.describe_time_to_live(TableName=store.table_name)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_a_failed_condition_returns_the_job_as_it_now_is(store: JobStore) -> None:
    """Rule 4 without an extra read: the conditional write that loses returns the current job."""
    job = _job(store)
    finished = rules.end_job(job, Status.FINISHED, force=False, now=5_000, cleanup=CLEANUP)
    assert finished is not None
    store.save_ended_job(job, finished)
    failed = rules.end_job(
        job, Status.FAILED, force=False, now=6_000, cleanup=CLEANUP
    )  # decided from a stale read
    assert failed is not None
    with pytest.raises(Changed) as changed:
        store.save_ended_job(job, failed)
    assert changed.value.job is not None
    assert changed.value.job.status is Status.FINISHED
    assert store.get_job(job.id) == finished


def test_a_cancelled_transaction_writes_none_of_its_items(store: JobStore) -> None:
    """Rule 5 under a race: a step decided before the job ended is not added, and no counter moved."""
    job = _job(store)
    ended = rules.end_job(job, Status.FINISHED, force=False, now=5_000, cleanup=CLEANUP)
    assert ended is not None
    store.save_ended_job(job, ended)
    changed_job, step = rules.add_step(
        job, None, step_id=str(uuid.uuid4()), description="late", step_type=StepType.EXECUTING, now=6_000
    )
    with pytest.raises(Changed) as changed:
        store.add_step(job, changed_job, step, None)
    assert changed.value.job is not None
    assert changed.value.job.status is Status.FINISHED
    stored, steps = store.get_job_with_steps(job.id, most=100)
    assert steps == []
    assert stored is not None
    assert (stored.step_count, stored.step_total) == (0, 0)


def test_two_adds_from_one_read_cannot_take_the_same_number(store: JobStore) -> None:
    """Step.number: the sibling counter is taken in the transaction that adds the step."""
    job = _job(store)
    first_job, first = rules.add_step(
        job, None, step_id=str(uuid.uuid4()), description="a", step_type=StepType.EXECUTING, now=2_000
    )
    second_job, second = rules.add_step(
        job, None, step_id=str(uuid.uuid4()), description="b", step_type=StepType.EXECUTING, now=3_000
    )
    assert first.number == second.number == 0
    store.add_step(job, first_job, first, None)
    with pytest.raises(Changed):
        store.add_step(job, second_job, second, None)
    _, steps = store.get_job_with_steps(job.id, most=100)
    assert [s.number for s in steps] == [0]


def test_ending_a_step_records_its_closure_and_a_sub_step_cannot_be_added_under_it(store: JobStore) -> None:
    """Rules 3 and 5 in one transaction each, checked on the closed-subtree record."""
    job = _job(store)
    job, parent = _step(store, job)
    job, child = _step(store, job, parent=replace(parent, child_count=0))
    parent = replace(parent, child_count=1)
    change = rules.end_step(job, parent, Status.FINISHED, force=True, now=9_000, cleanup=CLEANUP)
    assert change is not None
    store.save_ended_step(job, change[0], parent, change[1])
    stored, steps = store.get_job_with_steps(job.id, most=100)
    assert stored is not None
    assert stored.closed_subtrees[parent.path].status is Status.ABORTED
    assert [rules.effective_step(stored, s).status for s in steps] == [Status.FINISHED, Status.ABORTED]
    # an add decided before the end: the parent's counter and status have moved
    late_job, late = rules.add_step(
        job, child, step_id=str(uuid.uuid4()), description="late", step_type=StepType.EXECUTING, now=9_500
    )
    with pytest.raises(Changed):
        store.add_step(job, late_job, late, child)


def test_jobs_page_through_each_index_newest_first(store: JobStore) -> None:
    """Listing: through the jobs_by_* indexes; a page's cursor continues where it stopped."""
    jobs = [_job(store, start=1_000 + n, correlation_id="shared" if n % 2 else f"own-{n}") for n in range(5)]
    ended = rules.end_job(jobs[0], Status.FAILED, force=False, now=9_000, cleanup=CLEANUP)
    assert ended is not None
    store.save_ended_job(jobs[0], ended)
    for query, expected in [
        (JobQuery(), [j.id for j in reversed(jobs)]),
        (JobQuery(status=Status.STARTED), [j.id for j in reversed(jobs[1:])]),
        (JobQuery(owner=OWNER.principal, status=Status.FAILED), [jobs[0].id]),
        (JobQuery(owner=OWNER.principal), [j.id for j in reversed(jobs)]),
        (JobQuery(correlation_id="shared"), [jobs[3].id, jobs[1].id]),
    ]:
        seen, cursor = [], None
        while True:
            page, cursor = store.list_jobs(query, 2, cursor, now=10_000)
            seen += [job.id for job in page]
            if cursor is None:
                break
        assert seen == expected, query


def test_steps_page_in_tree_order_through_the_local_index(store: JobStore) -> None:
    job = _job(store)
    job, a = _step(store, job)
    job, b = _step(store, job)
    job, a0 = _step(store, job, parent=a)
    a = replace(a, child_count=1)
    job, a1 = _step(store, job, parent=a)
    seen, cursor, pages = [], None, 0
    while True:
        stored, page, cursor = store.list_steps(job.id, 1, cursor)
        assert stored is not None
        seen += [s.id for s in page]
        pages += 1
        if cursor is None:
            break
    assert seen == [a.id, a0.id, a1.id, b.id]
    assert pages >= 4


def test_dynamodb_local_deletes_a_job_once_its_ttl_passes(
    ttl_dynamodb_local: storage.DynamoDBLocal, template: Template
) -> None:
    """Rule 6: TTL deletes the item physically (DynamoDB Local within seconds when it holds few items; AWS
    within days)."""
    client = storage.client(ttl_dynamodb_local.endpoint, REGION)
    store = JobStore(f"contract-ttl-{uuid.uuid4().hex[:8]}", client)
    storage.create_table(client, template, store.table_name)
    job = _job(store)
    now = int(time.time() * 1000)
    ended = rules.end_job(replace(job, start_time=now - 1), Status.FINISHED, force=False, now=now,
                          cleanup=CleanupDelays(0, 0))  # fmt: skip
    assert ended is not None
    store.save_ended_job(job, ended)
    deadline = time.monotonic() + 90
    while store.get_job(job.id) is not None and time.monotonic() < deadline:
        time.sleep(1)
    assert store.get_job(job.id) is None


class _ReplayingClient:
    """Sends every write twice, as botocore does when the first answer is lost on the way back."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def put_item(self, **arguments: Any) -> Any:
        self._client.put_item(**arguments)
        return self._client.put_item(**arguments)

    def transact_write_items(self, **arguments: Any) -> Any:
        self._client.transact_write_items(**arguments)
        return self._client.transact_write_items(**arguments)


def test_a_write_retried_after_a_lost_answer_succeeds_once(store: JobStore) -> None:
    """A create whose answer is lost and that botocore sends again is still one create, and a success:
    new items are conditional on their fresh id, transactions carry a ClientRequestToken."""
    replaying = JobStore(store.table_name, _ReplayingClient(store.client))  # type: ignore[arg-type]
    job = _job(replaying)
    changed, step = rules.add_step(
        job, None, step_id=str(uuid.uuid4()), description="once", step_type=StepType.EXECUTING, now=2_000
    )
    replaying.add_step(job, changed, step, None)
    stored, steps = store.get_job_with_steps(job.id, most=10)
    assert stored is not None
    assert [s.id for s in steps] == [step.id]
    assert (stored.step_count, stored.step_total) == (1, 1)
