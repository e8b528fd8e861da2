"""rules 9 and 10 and Listing under pressure (issue: Storage that scales): lost answers, contention,
pages among expired jobs, forged page tokens.

The concurrent tests call the handlers from many threads on AWS's own DynamoDB Local (moto neither keeps
transaction tokens nor isolates concurrent transactions as DynamoDB does)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from external_tasks.config import page_token_key, settings
from external_tasks.store import calls
from tests.conftest import REGION, Clock
from tests.support.api import Api
from xtasks_local import storage
from xtasks_local.template import Template

PLUGINS = 16


@pytest.fixture
def local_api(
    dynamodb_local: storage.DynamoDBLocal,
    environment: dict[str, str],
    template: Template,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Api]:
    """The handlers in this process on a fresh table of DynamoDB Local, with the real clock."""
    client = storage.client(dynamodb_local.endpoint, REGION)
    name = f"faults-{uuid.uuid4().hex[:12]}"
    storage.create_table(client, template, name)
    monkeypatch.setenv("TABLE_NAME", name)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", storage.LOCAL_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", storage.LOCAL_ACCESS_KEY)
    monkeypatch.setenv("AWS_REGION", REGION)
    settings.cache_clear()
    calls.forget_client()
    yield Api(template, format="json")
    calls.forget_client()
    settings.cache_clear()
    client.delete_table(TableName=name)


_ENDPOINT = "http://127.0.0.1/"


class _Faults:
    """Every ``lose``-th transaction is applied and its answer lost, twice over (beyond botocore's own
    retry); every ``refuse``-th read or transaction is throttled before it is sent."""

    def __init__(self, lose: int, refuse: int) -> None:
        self.lose, self.refuse = lose, refuse
        self._sent = itertools.count(1)
        self._transactions = itertools.count(1)
        self._lost: dict[str, int] = {}
        self._lock = threading.Lock()
        self.lost = self.refused = 0

    def before(self, params: Any = None, model: Any = None, **_: Any) -> None:
        with self._lock:
            number = next(self._sent)
            if number % self.refuse:
                return
            self.refused += 1
        throttled = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
        raise ClientError(throttled, model.name)  # type: ignore[arg-type]

    def after(self, params: Any = None, model: Any = None, **_: Any) -> None:
        if model.name != "TransactWriteItems":
            return
        token = params["ClientRequestToken"] if params else ""
        with self._lock:
            if token not in self._lost and next(self._transactions) % self.lose:
                return
            times = self._lost.get(token, 0)
            if times >= 2:
                return
            self._lost[token] = times + 1
            self.lost += 1
        raise ReadTimeoutError(endpoint_url=_ENDPOINT)


def _inject(faults: _Faults) -> None:
    events = calls.client().meta.events
    params: dict[int, Any] = {}

    def remember(model: Any, **call: Any) -> None:
        params[threading.get_ident()] = call["params"]
        faults.before(call["params"], model)

    def answered(model: Any, **_: Any) -> None:
        faults.after(params.get(threading.get_ident()), model)

    events.register("provide-client-params.dynamodb.*", remember)
    events.register("after-call.dynamodb.*", answered)


def _until_not_503(call: Any) -> Any:
    """What a client does with a 503: it comes back (no Idempotency-Key: a 503 means nothing changed)."""
    for _ in range(50):
        reply = call()
        if reply.status != 503:
            return reply
        time.sleep(0.05)
    raise AssertionError("still 503")


def test_lost_answers_and_throttling_never_duplicate_a_step(local_api: Api) -> None:
    """Rule 9: 40 concurrent adds, answers lost after DynamoDB applied them and requests throttled, each
    retried on 503 without an Idempotency-Key: exactly 40 steps, numbered 0 to 39."""
    job_id = local_api.new_job()
    faults = _Faults(lose=3, refuse=7)
    _inject(faults)
    with ThreadPoolExecutor(max_workers=40) as pool:
        replies = list(
            pool.map(lambda n: _until_not_503(lambda: local_api.add_step(job_id, f"step {n}")), range(40))
        )
    assert faults.lost, "answers were lost"
    assert faults.refused, "requests were refused"
    assert {reply.status for reply in replies} == {201}
    steps = local_api.list_steps(job_id).data["step"]
    assert len(steps) == 40
    assert sorted(step["number"] for step in steps) == list(range(40))
    assert sorted(step["id"] for step in steps) == sorted(reply.data["id"] for reply in replies)


def test_an_end_succeeds_while_many_plugins_keep_adding_steps(local_api: Api) -> None:
    """Rule 9: an end decides on status alone, so adds under the same job never starve it."""
    job_id = local_api.new_job()

    def keep_adding(_: int) -> list[int]:
        statuses = []
        while True:
            reply = local_api.add_step(job_id)
            statuses.append(reply.status)
            if reply.status == 409 or len(statuses) > 200:
                return statuses

    with ThreadPoolExecutor(max_workers=PLUGINS) as pool:
        adders = [pool.submit(keep_adding, n) for n in range(PLUGINS)]
        time.sleep(2)  # every plug-in is adding, one request after another
        started = time.monotonic()
        reply = local_api.end_job(job_id)
        took = time.monotonic() - started
        outcomes = [adder.result() for adder in adders]
    assert reply.status == 200, reply.body
    assert took < 5, f"the end took {took:.1f} s"
    assert sum(statuses.count(201) for statuses in outcomes) >= 2, "the plug-ins were adding steps"
    assert all(statuses[-1] == 409 for statuses in outcomes)  # rule 5 once it ended
    assert all(status in (201, 409) for statuses in outcomes for status in statuses)
    job = local_api.get_job(job_id, query=[("follow", "steps")]).data
    assert job["status"] == "finished"
    assert {step["status"] for step in job["steps"]["step"]} == {"finished"}
    # a step whose add raced the end (decided on status alone) may have started a moment after the end was
    # decided; it never ends before it started
    assert all(step["start_time"] <= step["end_time"] for step in job["steps"]["step"])


def test_a_list_after_many_jobs_expired_still_shows_the_live_one(api: Api, clock: Clock) -> None:
    """Listing: expired jobs never take a place in a page; no empty page, no continuation after the last."""
    live = api.new_job("Still running")
    clock.advance(seconds=1)
    for n in range(120):
        assert api.end_job(api.new_job(f"Done {n}")).status == 200
    clock.advance(minutes=61)  # rule 6: every one of them is gone
    for query in ({}, {"max": "1"}, {"max": "100"}, {"status": "started"}):
        reply = api.list_jobs(**query)
        assert [job["id"] for job in reply.data["job"]] == [live], query
        assert reply.header("Link") is None, query


def _sign(key: bytes, listing: str, cursor: Any) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(cursor).encode()).rstrip(b"=").decode()
    mac = hmac.new(key, f"{listing}\n{payload}".encode(), hashlib.sha256).digest()[:16]
    return f"{payload}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def test_forged_and_altered_page_tokens_are_400(json_api: Api, template: Template) -> None:
    """Rule 10: tokens are authenticated with the deployment's secret; nothing a client makes of one reaches
    the store, and nothing answers 500."""
    job_ids = [json_api.new_job() for _ in range(3)]
    listing = "jobs?[null, null, null]"
    genuine = json_api.list_jobs(max="1").header("Link")
    assert genuine is not None
    stack_id = "arn:aws:cloudformation:eu-west-1:123456789012:stack/test/1"  # what the old key was made of
    forged = [
        _sign(stack_id.encode(), listing, ["0000000000001#" + job_ids[0]]),
        _sign(b"", listing, [1, job_ids[0]]),
    ]
    key = page_token_key()  # the right key, shapes the service never makes: still 400, never a 500
    wrong_shapes = [
        _sign(key, listing, cursor)
        for cursor in (
            [],
            [1],
            ["1", job_ids[0]],
            [-1, job_ids[0]],
            [1, "not-an-id"],
            [1, job_ids[0], 3],
            {"a": 1},
        )
    ]
    steps = f"jobs/{job_ids[0]}/steps"
    step_shapes = [_sign(key, steps, cursor) for cursor in ([], [-1], [10_000], [1] * 11, ["0"], [True])]
    for token in forged + wrong_shapes:
        reply = json_api.list_jobs(max="1", page=token)
        assert reply.status == 400, (token, reply.body)
        assert "page" in reply.fault["detail"]
    for token in step_shapes:
        reply = json_api.list_steps(job_ids[0], max="1", page=token)
        assert reply.status == 400, (token, reply.body)
    payload, _, mac = genuine.split("page=", 1)[1].split(">", 1)[0].partition(".")
    altered = payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + mac
    assert json_api.list_jobs(max="1", page=altered).status == 400
