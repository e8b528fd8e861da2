"""The store's contract (external_tasks.store.base), run against every store the service has: the in-memory
twin, DynamoDB in moto and AWS's own DynamoDB Local, which validates requests as DynamoDB does (moto is
laxer). What passes here holds for all three, so the twin cannot drift from the real thing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from external_tasks import leases, rules
from external_tasks.config import CleanupDelays
from external_tasks.model import Caller, Job, JobQuery, Status, Step, StepType
from external_tasks.store import Changed, JobPosition, JobStore
from external_tasks.store.base import ExecutionTaken
from external_tasks.store.bindings import Binding
from external_tasks.store.dynamodb import DynamoDBStore
from external_tasks.store.listing import SHARDS
from external_tasks.store.memory import MemoryStore
from tests.conftest import REGION
from xtasks_local import storage
from xtasks_local.template import Template

OWNER = Caller("arn:aws:iam::123456789012:role/ExternalTasks")
OTHER = Caller("arn:aws:iam::123456789012:role/Other")
CLEANUP = CleanupDelays()
STORES = ["memory", "moto", "dynamodb-local"]


def _table(client: Any, template: Template) -> str:
    name = f"contract-{uuid.uuid4().hex[:12]}"
    storage.create_table(client, template, name)
    return name


def _dynamodb(request: pytest.FixtureRequest, template: Template, kind: str) -> Iterator[DynamoDBStore]:
    """A DynamoDB store on a fresh table created from template.yaml's definition, in moto or on DynamoDB
    Local (deleted afterwards: DynamoDB Local slows down with every table it holds)."""
    if kind == "moto":
        request.getfixturevalue("aws_credentials")
        with mock_aws():
            client = boto3.client("dynamodb", region_name=REGION)
            yield DynamoDBStore(_table(client, template), client)
        return
    local: storage.DynamoDBLocal = request.getfixturevalue("dynamodb_local")
    client = storage.client(local.endpoint, REGION)
    name = _table(client, template)
    yield DynamoDBStore(name, client)
    client.delete_table(TableName=name)


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, template: Template) -> Iterator[JobStore]:
    """Each store in turn, fresh."""
    if request.param == "memory":
        yield MemoryStore()
    else:
        yield from _dynamodb(request, template, request.param)


@pytest.fixture(params=STORES[1:])
def dynamodb_store(request: pytest.FixtureRequest, template: Template) -> Iterator[DynamoDBStore]:
    """The DynamoDB store alone, for what only DynamoDB does (table shape, lost answers)."""
    yield from _dynamodb(request, template, request.param)


def _job(
    store: JobStore,
    start: int = 1_000,
    correlation_id: str = "c",
    owner: Caller = OWNER,
    job_id: str | None = None,
    auto_cleared: bool = True,
) -> Job:
    job = Job(
        id=job_id or str(uuid.uuid4()),
        description="job",
        owner=owner.principal,
        status=Status.STARTED,
        start_time=start,
        last_updated=start,
        auto_cleared=auto_cleared,
        correlation_id=correlation_id,
    )
    assert store.add_job(job) == job
    return job


def _step(store: JobStore, job: Job, parent: Step | None = None, now: int = 2_000) -> tuple[Job, Step]:
    """Add a step (under ``parent`` as stored now) and return the job and step as stored afterwards."""
    if parent is not None:
        _, found = store.get_job_and_steps(job.id, [parent.id])
        parent = found[parent.id]
    changed, step = rules.add_step(
        job, parent, step_id=str(uuid.uuid4()), description="step", step_type=StepType.EXECUTING, now=now
    )
    store.add_step(job, changed, step, parent)
    stored, found = store.get_job_and_steps(job.id, [step.id])
    assert stored is not None
    return stored, found[step.id]


def _end_job(store: JobStore, job: Job, status: Status, now: int, cleanup: CleanupDelays = CLEANUP) -> Job:
    ended = rules.end_job(job, status, force=False, now=now, cleanup=cleanup)
    assert ended is not None
    store.save_ended_job(job, ended)
    return ended


def _all_jobs(store: JobStore, query: JobQuery, limit: int, now: int) -> list[list[str]]:
    """Every page of a listing, as job ids, following the position of each page's last job."""
    pages: list[list[str]] = []
    after = None
    while True:
        page, more = store.list_jobs(query, limit, after, now)
        pages.append([job.id for job in page])
        if not more:
            return pages
        assert page, "a page that says more follow holds at least one job"
        after = JobPosition(page[-1].start_time, page[-1].id)


# Jobs.


def test_a_job_is_stored_once_and_a_taken_id_returns_the_job_stored(store: JobStore) -> None:
    """Idempotent creates: the id of a keyed create is taken once; the later create learns the first job."""
    job = _job(store)
    again = replace(job, description="another body", start_time=9_999)
    assert store.add_job(again) == job
    assert store.get_job(job.id) == job


def test_a_failed_condition_returns_the_job_as_it_now_is(store: JobStore) -> None:
    """Rule 4 without an extra read: the conditional write that loses returns the current job."""
    job = _job(store)
    finished = _end_job(store, job, Status.FINISHED, 5_000)
    failed = rules.end_job(job, Status.FAILED, force=False, now=6_000, cleanup=CLEANUP)  # from a stale read
    assert failed is not None
    with pytest.raises(Changed) as changed:
        store.save_ended_job(job, failed)
    assert changed.value.job == finished
    assert store.get_job(job.id) == finished


def test_an_end_is_decided_on_status_alone_while_steps_are_added(store: JobStore) -> None:
    """Rule 9: steps added after the end's read do not make it fail; nothing moves the job back."""
    job = _job(store)
    later, _ = _step(store, job, now=3_000)
    _step(store, later, now=4_000)
    ended = _end_job(store, job, Status.FINISHED, 5_000)  # decided from the read before both adds
    stored = store.get_job(job.id)
    assert stored is not None
    assert (stored.status, stored.end_time, stored.step_total) == (Status.FINISHED, 5_000, 2)
    assert stored.closure == ended.closure


def test_a_clear_decided_before_the_job_ended_is_refused(store: JobStore) -> None:
    """Rule 6: a clear of a started job sets no expiry; if the job ended meanwhile, it is decided again."""
    job = _job(store, auto_cleared=False)
    cleared = rules.clear_job(job, 3_000, CLEANUP)
    assert cleared is not None
    _end_job(store, job, Status.FINISHED, 2_000)
    with pytest.raises(Changed):
        store.save_cleared_job(job, cleared)
    ended = store.get_job(job.id)
    assert ended is not None
    cleared = rules.clear_job(ended, 4_000, CLEANUP)
    assert cleared is not None
    store.save_cleared_job(ended, cleared)
    assert store.get_job(job.id) == cleared


# Steps.


def test_a_cancelled_add_writes_nothing(store: JobStore) -> None:
    """Rule 5 under a race: a step decided before the job ended is not added, and no counter moved."""
    job = _job(store)
    _end_job(store, job, Status.FINISHED, 5_000)
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


def test_a_taken_step_id_is_reported_with_the_step_that_holds_it(store: JobStore) -> None:
    """Idempotent creates of steps: the id's first step comes back on the failed add, without a read."""
    job = _job(store)
    job, first = _step(store, job)
    again_job, again = rules.add_step(
        job, None, step_id=first.id, description="again", step_type=StepType.EXECUTING, now=3_000
    )
    with pytest.raises(Changed) as changed:
        store.add_step(job, again_job, again, None)
    assert changed.value.step == first


def test_ending_a_step_records_its_closure_on_it_and_nothing_hangs_under_it_afterwards(
    store: JobStore,
) -> None:
    """Rules 3 and 5: the closure is on the ended step; an add decided before the end is refused."""
    job = _job(store)
    job, parent = _step(store, job)
    job, child = _step(store, job, parent=parent)
    _, found = store.get_job_and_steps(job.id, [parent.id])
    parent = found[parent.id]
    change = rules.end_step(job, parent, Status.FINISHED, force=True, now=9_000, cleanup=CLEANUP)
    assert change is not None
    store.save_ended_step(job, change[0], parent, change[1])
    stored, steps = store.get_job_with_steps(job.id, most=100)
    assert stored is not None
    assert stored.step_total == 2  # the job item holds counters, not closures
    chain = {step.id: step for step in steps}
    assert chain[parent.id].closes_as is Status.ABORTED
    assert [rules.effective_step(stored, s, chain).status for s in steps] == [Status.FINISHED, Status.ABORTED]
    late_job, late = rules.add_step(  # decided before the end: the parent's status has moved
        job, child, step_id=str(uuid.uuid4()), description="late", step_type=StepType.EXECUTING, now=9_500
    )
    with pytest.raises(Changed):
        store.add_step(job, late_job, late, child)


def test_a_step_cannot_end_once_an_ancestor_ended(store: JobStore) -> None:
    """Rule 3: a sub-sub-step decided as started while its grandparent ended is refused by the ancestors'
    check, and the caller reads them to decide again."""
    job = _job(store)
    job, top = _step(store, job)
    job, middle = _step(store, job, parent=top)
    job, leaf = _step(store, job, parent=middle)
    assert leaf.ancestors == (top.id, middle.id)
    _, found = store.get_job_and_steps(job.id, [top.id])
    change = rules.end_step(job, found[top.id], Status.FINISHED, force=False, now=9_000, cleanup=CLEANUP)
    assert change is not None
    store.save_ended_step(job, change[0], found[top.id], change[1])
    stale = rules.end_step(job, leaf, Status.FAILED, force=False, now=9_500, cleanup=CLEANUP)
    assert stale is not None
    with pytest.raises(Changed):
        store.save_ended_step(job, stale[0], leaf, stale[1])
    current = store.get_job(job.id)
    assert current is not None
    assert current.status is Status.STARTED  # the refused failure did not fail the job
    chain = store.get_steps(job.id, leaf.ancestors)
    assert set(chain) == {top.id, middle.id}
    assert rules.effective_step(current, leaf, chain).status is Status.FINISHED


def test_a_failed_step_fails_its_job_and_moves_it_between_status_listings(store: JobStore) -> None:
    job = _job(store)
    job, step = _step(store, job)
    change = rules.end_step(job, step, Status.FAILED, force=False, now=9_000, cleanup=CLEANUP)
    assert change is not None
    store.save_ended_step(job, change[0], step, change[1])
    stored = store.get_job(job.id)
    assert stored is not None
    assert (stored.status, stored.end_time, stored.gone_at) == (Status.FAILED, 9_000, change[0].gone_at)
    assert _all_jobs(store, JobQuery(status=Status.FAILED), 10, 9_001) == [[job.id]]
    assert _all_jobs(store, JobQuery(owner=OWNER.principal, status=Status.STARTED), 10, 9_001) == [[]]


def test_reads_return_only_the_steps_that_exist(store: JobStore) -> None:
    job = _job(store)
    job, step = _step(store, job)
    missing = str(uuid.uuid4())
    stored, steps = store.get_job_and_steps(job.id, [step.id, missing])
    assert stored == job
    assert steps == {step.id: step}
    assert store.get_steps(job.id, [missing, step.id]) == {step.id: step}
    assert store.get_job_and_steps(str(uuid.uuid4()), [step.id]) == (None, {})


def test_steps_page_in_tree_order(store: JobStore) -> None:
    job = _job(store)
    job, a = _step(store, job)
    job, b = _step(store, job)
    job, a0 = _step(store, job, parent=a)
    job, a1 = _step(store, job, parent=a)
    job, a00 = _step(store, job, parent=a0)
    seen, after, pages = [], None, 0
    while True:
        stored, page, more = store.list_steps(job.id, 2, after)
        assert stored is not None
        seen += [s.id for s in page]
        pages += 1
        if not more:
            break
        after = page[-1].path
    assert seen == [a.id, a0.id, a00.id, a1.id, b.id]
    assert pages == 3
    _, everything = store.get_job_with_steps(job.id, most=100)
    assert [s.id for s in everything] == seen


def test_a_gone_job_s_steps_are_deleted(store: JobStore) -> None:
    job = _job(store)
    for _ in range(3):
        job, _ = _step(store, job)
    assert store.delete_steps(job.id) == 3
    assert store.get_job_with_steps(job.id, most=10)[1] == []


# Listing.


def test_jobs_page_through_each_listing_newest_first(store: JobStore) -> None:
    """Listing: through the jobs_by_* indexes; a page continues where the last one stopped."""
    jobs = [_job(store, start=1_000 + n, correlation_id="shared" if n % 2 else f"own-{n}") for n in range(5)]
    other = _job(store, start=1_100, owner=OTHER)
    _end_job(store, jobs[0], Status.FAILED, 9_000)
    newest_first = [other.id, *(j.id for j in reversed(jobs))]
    for query, expected in [
        (JobQuery(), newest_first),
        (JobQuery(status=Status.STARTED), [i for i in newest_first if i != jobs[0].id]),
        (JobQuery(owner=OWNER.principal, status=Status.FAILED), [jobs[0].id]),
        (JobQuery(owner=OWNER.principal), [j.id for j in reversed(jobs)]),
        (JobQuery(correlation_id="shared"), [jobs[3].id, jobs[1].id]),
        (JobQuery(correlation_id="shared", status=Status.FAILED), []),
    ]:
        pages = _all_jobs(store, query, 2, now=10_000)
        assert [i for page in pages for i in page] == expected, query
        assert all(len(page) == 2 for page in pages[:-1]), query
        assert pages[-1] or len(pages) == 1, "an empty page after a full one"


def test_jobs_that_started_together_are_listed_once_each_across_shards(store: JobStore) -> None:
    """Listing: the position is the start time, then the id, so a page may end inside a millisecond."""
    jobs = [_job(store, start=5_000) for _ in range(3 * SHARDS)]
    expected = sorted((job.id for job in jobs), reverse=True)
    pages = _all_jobs(store, JobQuery(), 5, now=6_000)
    assert [i for page in pages for i in page] == expected
    assert [len(page) for page in pages] == [5, 5, 5, 5, 4]


def test_expired_jobs_never_take_a_place_in_a_page(store: JobStore) -> None:
    """Listing, rule 6: 30 cleared-away jobs newer than the live ones; pages are still full, and the last
    full page carries no continuation."""
    live = [_job(store, start=1_000 + n) for n in range(4)]
    for n in range(30):
        _end_job(store, _job(store, start=2_000 + n), Status.FINISHED, 3_000 + n, CleanupDelays(0, 0))
    now = 10_000
    assert _all_jobs(store, JobQuery(), 2, now) == [[live[3].id, live[2].id], [live[1].id, live[0].id]]
    assert _all_jobs(store, JobQuery(), 4, now) == [[j.id for j in reversed(live)]]
    assert _all_jobs(store, JobQuery(status=Status.FINISHED), 2, now) == [[]]


def test_expired_jobs_are_found_by_when_they_expire_and_deleted_once(store: JobStore) -> None:
    """Rule 6: jobs that read as gone are found without reading the others, and deleted, once."""
    started = _job(store, start=1_000)
    staying = _job(store, start=1_001)
    _end_job(store, staying, Status.FINISHED, 2_000, CleanupDelays(10, 10))
    kept = _job(store, start=1_002, auto_cleared=False)
    _end_job(store, kept, Status.FINISHED, 2_000, CleanupDelays(0, 0))
    gone = [_job(store, start=1_003 + n) for n in range(3)]
    for job in gone:
        _end_job(store, job, Status.FAILED, 2_000, CleanupDelays(0, 0))
    assert sorted(store.expired_jobs(2_001, 100)) == sorted(job.id for job in gone)
    assert store.expired_jobs(1_999, 100) == []
    assert [store.delete_expired_job(job.id, 2_001) for job in gone] == [True] * 3
    assert store.delete_expired_job(gone[0].id, 2_001) is False  # already deleted
    assert store.delete_expired_job(staying.id, 2_001) is False  # not yet expired
    assert store.expired_jobs(2_001, 100) == []
    assert [store.get_job(job.id) for job in gone] == [None] * 3
    assert {job.id for job in (started, staying, kept)} == {
        job.id for job in store.list_jobs(JobQuery(), 10, None, 2_001)[0]
    }


def test_a_cleared_job_expires_and_a_started_one_never_does(store: JobStore) -> None:
    job = _job(store, auto_cleared=False)
    cleared = rules.clear_job(job, 1_500, CleanupDelays(0, 0))
    assert cleared is not None
    store.save_cleared_job(job, cleared)
    assert store.expired_jobs(10**13, 100) == []  # started: never cleared away (rule 6)
    stored = store.get_job(job.id)
    assert stored is not None
    _end_job(store, stored, Status.FINISHED, 2_000, CleanupDelays(0, 0))
    assert store.expired_jobs(2_000, 100) == [job.id]


# DynamoDB alone.


def test_the_table_is_created_as_the_template_defines(
    dynamodb_store: DynamoDBStore, template: Template
) -> None:
    described = dynamodb_store.client.describe_table(TableName=dynamodb_store.table_name)["Table"]
    properties = template.table_properties()
    assert described["KeySchema"] == properties["KeySchema"]
    assert {i["IndexName"] for i in described["GlobalSecondaryIndexes"]} == {
        i["IndexName"] for i in properties["GlobalSecondaryIndexes"]
    }
    assert described["LocalSecondaryIndexes"][0]["IndexName"] == "steps_in_tree_order"


def test_no_item_but_jobs_and_steps_and_no_step_in_a_job_listing(dynamodb_store: DynamoDBStore) -> None:
    """Storage: the job listing indexes hold jobs only (steps carry no list keys), the tree index steps."""
    job = _job(dynamodb_store)
    _step(dynamodb_store, job)
    client, name = dynamodb_store.client, dynamodb_store.table_name
    tree = client.scan(TableName=name, IndexName="steps_in_tree_order")["Items"]
    assert [item["SK"]["S"].split("#")[0] for item in tree] == ["STEP"]
    for index in ("jobs_by_time", "jobs_by_owner", "jobs_by_status"):
        assert [item["SK"]["S"] for item in client.scan(TableName=name, IndexName=index)["Items"]] == ["JOB"]


class _ReplayingClient:
    """Sends every write twice, as happens when the first answer is lost on the way back."""

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


def test_a_transaction_sent_again_after_a_lost_answer_is_applied_once(
    dynamodb_local: Any, template: Template
) -> None:
    """Rule 9: a transaction carries a ClientRequestToken, so DynamoDB answers its repeat with success and
    changes nothing (moto does not keep tokens; DynamoDB Local does, as DynamoDB)."""
    client = storage.client(dynamodb_local.endpoint, REGION)
    name = _table(client, template)
    store = DynamoDBStore(name, client)
    replaying = DynamoDBStore(name, _ReplayingClient(client))  # type: ignore[arg-type]
    job = _job(replaying)
    changed, step = rules.add_step(
        job, None, step_id=str(uuid.uuid4()), description="once", step_type=StepType.EXECUTING, now=2_000
    )
    replaying.add_step(job, changed, step, None)
    stored, steps = store.get_job_with_steps(job.id, most=10)
    assert stored is not None
    assert [s.id for s in steps] == [step.id]
    assert (stored.step_count, stored.step_total) == (1, 1)
    client.delete_table(TableName=name)


# Monitored executions: a bound step's binding (store/bindings.py).

EXECUTION = "arn:aws:states:eu-west-1:123456789012:execution:backup:nightly"


def _bound(job: Job, arn: str, step_id: str | None = None) -> tuple[Job, Step]:
    changed, step = rules.add_step(
        job,
        None,
        step_id=step_id or str(uuid.uuid4()),
        description="run",
        step_type=StepType.EXECUTING,
        now=2_000,
    )
    return changed, replace(step, execution=arn)


def test_a_bound_step_is_stored_with_its_binding(store: JobStore) -> None:
    job = _job(store)
    changed, step = _bound(job, EXECUTION)
    store.add_step(job, changed, step, None)
    _, found = store.get_job_and_steps(job.id, [step.id])
    assert found[step.id].execution == EXECUTION
    _, listed, _ = store.list_steps(job.id, 10, None)
    assert [s.execution for s in listed] == [EXECUTION]
    assert store.find_binding(EXECUTION) == Binding(EXECUTION, job.id, step.id, OWNER.principal)
    assert store.find_binding(EXECUTION + "-other") is None
    # an unbound step has neither
    stored = store.get_job(job.id)
    assert stored is not None
    _, plain = _step(store, stored)
    assert plain.execution is None


def test_an_execution_is_bound_to_one_step_and_a_second_bind_writes_nothing(store: JobStore) -> None:
    job = _job(store)
    changed, first = _bound(job, EXECUTION)
    store.add_step(job, changed, first, None)
    stored = store.get_job(job.id)
    assert stored is not None
    changed, second = _bound(stored, EXECUTION)
    with pytest.raises(ExecutionTaken) as taken:
        store.add_step(stored, changed, second, None)
    assert taken.value.binding == Binding(EXECUTION, job.id, first.id, OWNER.principal)
    after, steps = store.get_job_with_steps(job.id, most=10)
    assert [s.id for s in steps] == [first.id]
    assert after is not None
    assert after.step_total == 1


def test_a_bound_step_added_again_is_reported_as_the_step_not_as_a_taken_execution(store: JobStore) -> None:
    """An add repeated with its Idempotency-Key (same step id, same execution) finds its own step."""
    job = _job(store)
    changed, step = _bound(job, EXECUTION)
    store.add_step(job, changed, step, None)
    stored = store.get_job(job.id)
    assert stored is not None
    again_job, again = _bound(stored, EXECUTION, step_id=step.id)
    with pytest.raises(Changed) as changed_error:
        store.add_step(stored, again_job, again, None)
    assert changed_error.value.step is not None
    assert changed_error.value.step.id == step.id


def test_a_binding_is_in_no_index_and_expires(dynamodb_store: DynamoDBStore) -> None:
    job = _job(dynamodb_store)
    changed, step = _bound(job, EXECUTION)
    dynamodb_store.add_step(job, changed, step, None)
    client, name = dynamodb_store.client, dynamodb_store.table_name
    for index in ("steps_in_tree_order", "jobs_by_time", "jobs_by_status", "jobs_by_expiry"):
        keys = [item["PK"]["S"] for item in client.scan(TableName=name, IndexName=index)["Items"]]
        assert f"EXEC#{EXECUTION}" not in keys
    item = client.get_item(TableName=name, Key={"PK": {"S": f"EXEC#{EXECUTION}"}, "SK": {"S": "EXEC"}})[
        "Item"
    ]
    assert int(item["expires_at"]["N"]) * 1000 > step.start_time + 365 * 24 * 3600 * 1000


# Progress, heartbeats and timeouts.


def _timed(store: JobStore, start: int = 1_000, timeout: int = 60, owner: Caller = OWNER) -> Job:
    job = Job(
        id=str(uuid.uuid4()),
        description="timed",
        owner=owner.principal,
        status=Status.STARTED,
        start_time=start,
        last_updated=start,
        auto_cleared=True,
        correlation_id="c",
        timeout=timeout,
        deadline=start + timeout * 1000,
    )
    assert store.add_job(job) == job
    return job


def test_a_renewal_moves_the_deadline_and_progress_of_a_started_job_alone(store: JobStore) -> None:
    timed, untimed = _timed(store), _job(store)
    renewed = store.renew_job(timed.id, 5_000, OWNER.principal, 40)
    assert renewed == replace(timed, last_updated=5_000, deadline=65_000, progress=40)
    assert store.get_job(timed.id) == renewed
    assert store.renew_job(timed.id, 6_000, None) == replace(renewed, last_updated=6_000, deadline=66_000)
    plain = store.renew_job(untimed.id, 7_000, OWNER.principal)
    assert plain == replace(untimed, last_updated=7_000)
    assert store.get_job(untimed.id) == plain


def test_a_renewal_is_refused_to_others_and_on_ended_or_unknown_jobs(store: JobStore) -> None:
    job = _timed(store)
    with pytest.raises(Changed) as changed:
        store.renew_job(job.id, 5_000, OTHER.principal, 10)
    assert changed.value.job == job
    ended = _end_job(store, job, Status.FINISHED, 6_000)
    with pytest.raises(Changed) as changed:
        store.renew_job(job.id, 7_000, OWNER.principal)
    assert changed.value.job == ended
    with pytest.raises(Changed) as changed:
        store.renew_job(str(uuid.uuid4()), 7_000, None)
    assert changed.value.job is None
    assert store.get_job(job.id) == ended


def test_a_steps_progress_writes_the_step_alone_while_it_is_started(store: JobStore) -> None:
    job = _timed(store)
    after_add, step = _step(store, job)
    written = store.save_step_progress(job.id, step.id, 55)
    assert written == replace(step, progress=55)
    stored_job, steps = store.get_job_and_steps(job.id, [step.id])
    assert stored_job == after_add
    assert steps[step.id] == written
    _, listed, _ = store.list_steps(job.id, 10, None)
    assert [s.progress for s in listed] == [55]
    ended = rules.end_step(after_add, written, Status.FAILED, force=False, now=3_000, cleanup=CLEANUP)
    assert ended is not None
    store.save_ended_step(after_add, ended[0], written, ended[1])
    with pytest.raises(Changed):
        store.save_step_progress(job.id, step.id, 60)
    with pytest.raises(Changed):
        store.save_step_progress(job.id, str(uuid.uuid4()), 60)
    assert store.get_job_and_steps(job.id, [step.id])[1][step.id].progress == 55


def test_adding_and_ending_a_step_move_the_deadline_they_are_given(store: JobStore) -> None:
    job = _timed(store)
    changed, step = rules.add_step(
        job, None, step_id=str(uuid.uuid4()), description="s", step_type=StepType.EXECUTING, now=10_000
    )
    store.add_step(job, replace(changed, deadline=70_000), step, None)
    added = store.get_job(job.id)
    assert added is not None
    assert added.deadline == 70_000
    ended = rules.end_step(added, step, Status.FINISHED, force=False, now=20_000, cleanup=CLEANUP)
    assert ended is not None
    store.save_ended_step(added, replace(ended[0], deadline=80_000), step, ended[1])
    stored = store.get_job(job.id)
    assert stored is not None
    assert stored.deadline == 80_000


def test_only_due_leases_are_checked_and_a_lapse_ends_the_job_once(store: JobStore) -> None:
    due, later = _timed(store, timeout=60), _timed(store, timeout=600)
    _job(store)  # no timeout: never checked
    assert store.jobs_to_check(60_999, 100) == []
    assert store.jobs_to_check(61_000, 100) == [due]
    lapsed = leases.lapse(due, CLEANUP)
    store.save_lapsed_job(due, lapsed)
    stored = store.get_job(due.id)
    assert stored is not None
    assert (stored.status, stored.end_time, stored.closure) == (Status.UNKNOWN, 61_000, lapsed.closure)
    assert store.jobs_to_check(61_000, 100) == []
    with pytest.raises(Changed):
        store.save_lapsed_job(due, lapsed)
    assert [job.id for job in store.jobs_to_check(601_000, 100)] == [later.id]


def test_a_renewal_since_the_read_wins_over_the_lapse(store: JobStore) -> None:
    job = _timed(store)
    (read,) = store.jobs_to_check(61_000, 100)
    renewed = store.renew_job(job.id, 61_500, None)
    with pytest.raises(Changed) as changed:
        store.save_lapsed_job(read, leases.lapse(read, CLEANUP))
    assert changed.value.job == renewed
    assert store.jobs_to_check(61_500, 100) == [renewed]
    store.move_lease_check(renewed)
    assert store.jobs_to_check(121_000, 100) == []
    assert store.jobs_to_check(121_500, 100) == [renewed]


def test_the_check_of_an_ended_job_is_dropped_and_a_started_ones_kept(store: JobStore) -> None:
    started, ended = _timed(store), _timed(store)
    _end_job(store, ended, Status.FINISHED, 2_000)
    with pytest.raises(Changed):
        store.drop_lease_check(started.id)
    store.drop_lease_check(ended.id)
    assert [job.id for job in store.jobs_to_check(61_000, 100)] == [started.id]
    _end_job(store, started, Status.FAILED, 3_000)
    with pytest.raises(Changed):
        store.move_lease_check(started)
