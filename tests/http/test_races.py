"""Races, on DynamoDB Local through the local server, with many plug-ins at once (issue: Hardening).

Each decision is a conditional write; whoever loses a race reads again and decides again, so what the
rules promise holds however the requests interleave."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.credentials import Credentials

from tests.support.http import LocalApi
from xtasks import Client, Conflict, Retries, Status

CLIENTS = 16


def _client(api: LocalApi, profile: str = "writer") -> Client:
    key = api.keys[profile]
    return Client(
        api.base,
        region=api.region,
        credentials=Credentials(key.access_key_id, key.secret_access_key),
        retries=Retries(attempts=8, base=0.05),
    )


def _at_once(calls: list[Any]) -> list[Any]:
    """Run the calls concurrently; each result, or the exception it raised."""

    def attempt(call: Any) -> Any:
        try:
            return call()
        except Exception as error:  # collected, to assert on
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(attempt, calls))


def test_concurrent_adds_under_one_parent_are_numbered_without_duplicate_or_gap(local_api: LocalApi) -> None:
    """Step.number: consecutive, no duplicates, no gaps, also under concurrent adds (fix)."""
    client = _client(local_api)
    job = client.add_job("Concurrent adds")
    parent = client.add_step(job.id, "Parent")
    top = _at_once([lambda n=n: client.add_step(job.id, f"top {n}") for n in range(CLIENTS)])
    under = _at_once(
        [lambda n=n: client.add_step(job.id, f"sub {n}", parent_step=parent.id) for n in range(CLIENTS)]
    )
    for results, first in ((top, 1), (under, 0)):
        assert not [r for r in results if isinstance(r, Exception)]
        assert sorted(step.number for step in results) == list(range(first, first + CLIENTS))
    stored = list(client.list_steps(job.id))
    assert len(stored) == 1 + 2 * CLIENTS
    assert Counter((s.parent_step_id, s.number) for s in stored).most_common(1)[0][1] == 1


def test_concurrent_ends_of_one_step_leave_exactly_one_outcome(local_api: LocalApi) -> None:
    """Rule 4 under a race: the first outcome stays; an end with another outcome is 409, with the same 200."""
    client = _client(local_api)
    job = client.add_job("Concurrent ends")
    step = client.add_step(job.id, "Contested")
    outcomes = [n % 2 == 0 for n in range(CLIENTS)]
    results = _at_once([lambda ok=ok: client.end_step(job.id, step.id, succeeded=ok) for ok in outcomes])
    final = client.get_step(job.id, step.id).status
    assert final in (Status.FINISHED, Status.FAILED)
    for succeeded, result in zip(outcomes, results, strict=True):
        if (Status.FINISHED if succeeded else Status.FAILED) is final:
            assert result is None
        else:
            assert isinstance(result, Conflict)


def test_a_job_ending_while_steps_are_added_leaves_no_started_step_under_it(local_api: LocalApi) -> None:
    """Rules 2 and 5 under a race: a step either was added before the end, and ended with the job, or its
    add was refused (409); none stays started, none ends before it started."""
    client = _client(local_api)
    for _ in range(3):
        job = client.add_job("Ending while adding")
        parent = client.add_step(job.id, "Parent")

        def add(n: int, job_id: str = job.id, parent_id: str = parent.id) -> Any:
            return client.add_step(job_id, f"late {n}", parent_step=parent_id if n % 2 else None)

        def end(job_id: str = job.id) -> None:
            client.end_job(job_id)

        adds = [lambda n=n: add(n) for n in range(CLIENTS)]
        results = _at_once([*adds[: CLIENTS // 2], end, *adds[CLIENTS // 2 :]])
        assert all(r is None or not isinstance(r, Exception) or isinstance(r, Conflict) for r in results)
        assert client.get_job(job.id).status is Status.FINISHED
        steps = list(client.list_steps(job.id))
        assert {s.status for s in steps} == {Status.FINISHED}
        assert all(s.end_time is not None and s.end_time >= s.start_time for s in steps)
        added = [r for r in results if r is not None and not isinstance(r, Exception)]
        assert len(steps) == 1 + len(added)


def test_an_add_retried_ten_times_with_one_key_creates_one_job(local_api: LocalApi) -> None:
    """Acceptance (Hardening): retrying a POST /jobs ten times with one key creates one job."""
    headers = [("Idempotency-Key", "retried-ten-times")]
    body = {"description": "Retried add"}
    replies = [local_api.send("POST", "/jobs", body=body, headers=headers) for _ in range(10)]
    assert {reply.status for reply in replies} == {201}
    assert len({reply.data["id"] for reply in replies}) == 1
    listed = local_api.send("GET", "/jobs", query=[("max", "1000")]).data["job"]
    assert [job["description"] for job in listed].count("Retried add") == 1


def test_duplicates_sent_at_once_create_one_job(local_api: LocalApi) -> None:
    """A duplicate arriving while the first is handled is 409 with Retry-After, never a second job."""
    headers = [("Idempotency-Key", "sent-at-once")]
    body = {"description": "Sent at once"}
    replies = _at_once(
        [lambda: local_api.send("POST", "/jobs", body=body, headers=headers) for _ in range(CLIENTS)]
    )
    assert {reply.status for reply in replies} <= {201, 409}
    assert len({reply.data["id"] for reply in replies if reply.status == 201}) == 1
    assert all(reply.header("Retry-After") == "1" for reply in replies if reply.status == 409)
