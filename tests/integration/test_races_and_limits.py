"""Interleavings a single request cannot show, and the limits that keep every reply deliverable."""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any
from xml.etree import ElementTree

import pytest

from external_tasks import limits
from external_tasks.model import Status, Step, StepType
from external_tasks.store import items, job_store
from external_tasks.store.dynamodb import DynamoDBStore
from tests.conftest import TABLE_NAME, Clock
from tests.support.api import Api


def test_a_step_added_while_the_job_is_ending_never_ends_before_it_started(
    json_api: Api, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rule 2 under a race: end job reads the job, a step is added, then end job writes. The end is decided
    again, so the step's end time is not before its start and last_updated never moves back."""
    job_id = json_api.new_job()
    real_get_job = DynamoDBStore.get_job
    added: list[Any] = []

    def get_job_then_someone_adds_a_step(store: DynamoDBStore, wanted: str) -> Any:
        job = real_get_job(store, wanted)
        if not added:  # only end job's first read; the add's own read goes through
            added.append(None)
            clock.advance(seconds=1)
            added[0] = json_api.add_step(job_id).data
        return job

    monkeypatch.setattr(DynamoDBStore, "get_job", get_job_then_someone_adds_a_step)
    assert json_api.end_job(job_id).status == 200
    monkeypatch.setattr(DynamoDBStore, "get_job", real_get_job)
    step = json_api.get_step(job_id, added[0]["id"]).data
    job = json_api.get_job(job_id).data
    assert step["status"] == "finished"
    assert step["end_time"] >= step["start_time"]
    assert job["last_updated"] >= step["start_time"]


def test_follow_steps_refuses_a_job_too_big_to_embed(json_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reply must fit in Lambda's 6 MB: past the limit, follow=steps answers 400 pointing at the listing."""
    monkeypatch.setattr(limits, "MAX_FOLLOWED_STEPS", 3)
    job_id = json_api.new_job()
    for _ in range(4):
        json_api.new_step(job_id)
    reply = json_api.get_job(job_id, query=[("follow", "steps")])
    assert reply.status == 400
    assert f"GET /jobs/{job_id}/steps" in reply.fault["detail"]
    assert json_api.get_job(job_id).status == 200


def _job_with_steps(json_api: Api, table: Any, count: int, description: str) -> str:
    """A job of ``count`` top-level steps, written to the table as add step writes them (one at a time through
    the API would take minutes for a thousand)."""
    job_id = json_api.new_job(description)
    job = job_store().get_job(job_id)
    assert job is not None
    steps = [
        Step(
            id=str(uuid.uuid4()),
            job_id=job_id,
            description=description,
            type=StepType.EXECUTING,
            path=(number,),
            status=Status.STARTED,
            start_time=job.start_time + number,
        )
        for number in range(count)
    ]
    written = [items.step_item(step) for step in steps]
    written.append(items.job_item(dataclasses.replace(job, step_count=count, step_total=count)))
    for start in range(0, len(written), 25):
        batch = [{"PutRequest": {"Item": item}} for item in written[start : start + 25]]
        assert not table.batch_write_item(RequestItems={TABLE_NAME: batch}).get("UnprocessedItems")
    return job_id


def _delivered_bytes(reply: Any) -> int:
    """What Lambda's runtime would send of the reply (ensure_ascii, as the older runtimes: the larger)."""
    envelope = {"statusCode": reply.status, "headers": reply.headers, "body": reply.body}
    return len(json.dumps(envelope).encode())


@pytest.mark.parametrize(
    ("count", "description"),
    [(100, "\U0001f4be" * 4_000), (100, '"&<' * 1_333 + "x"), (1_000, "\U0001f4be" * 200)],
    ids=["100-steps-of-4000-emoji", "100-steps-of-4000-escaped-ascii", "1000-steps-of-200-emoji"],
)
def test_follow_steps_embeds_every_step_that_fits_in_lambdas_reply(
    json_api: Api, table: Any, count: int, description: str
) -> None:
    """Representations: follow=steps embeds up to 1,000 steps, as long as they fit in Lambda's 6 MB reply:
    always 100 steps of 4,000 characters or 1,000 of 200, whatever the characters."""
    # Given a job of that many steps, its own description as long
    job_id = _job_with_steps(json_api, table, count, description)
    for fmt in ("json", "xml"):
        # When it is read with follow=steps
        reply = json_api.request("GET", f"/jobs/{job_id}", query=[("follow", "steps")], format=fmt)
        # Then every step is embedded, text intact, and the reply is one Lambda delivers
        assert reply.status == 200, reply.body[:300]
        embedded = reply.data["steps"]["step"]
        assert len(embedded) == count
        assert {step["description"] for step in embedded} == {description}
        assert _delivered_bytes(reply) <= limits.LAMBDA_REPLY_BYTES


def test_follow_steps_refuses_steps_that_cannot_fit_in_lambdas_reply(json_api: Api, table: Any) -> None:
    """Representations: steps that do not fit in one reply are refused (400), pointing at the listing."""
    # Given a job of 200 steps of 4,000 emoji: more than 6 MB counted as the older runtimes write it
    job_id = _job_with_steps(json_api, table, 200, "\U0001f4be" * 4_000)
    # When it is read with follow=steps
    reply = json_api.get_job(job_id, query=[("follow", "steps")])
    # Then it is refused, naming the bounds and the listing, and the job alone still reads
    assert reply.status == 400
    assert f"GET /jobs/{job_id}/steps" in reply.fault["detail"]
    assert str(limits.LAMBDA_REPLY_BYTES) in reply.fault["detail"]
    assert json_api.get_job(job_id).status == 200
    assert len(json_api.list_steps(job_id, max="10").data["step"]) == 10


def test_follow_steps_refuses_more_than_1000_steps_however_short(json_api: Api, table: Any) -> None:
    """Representations: follow=steps embeds at most 1,000 steps (GET /capabilities: max_followed_steps)."""
    # Given a job of 1,001 one-character steps
    job_id = _job_with_steps(json_api, table, limits.MAX_FOLLOWED_STEPS + 1, "x")
    # When it is read with follow=steps
    reply = json_api.get_job(job_id, query=[("follow", "steps")])
    # Then it is refused, pointing at the listing
    assert reply.status == 400
    assert f"GET /jobs/{job_id}/steps" in reply.fault["detail"]
    assert "at most 1000" in reply.fault["detail"]


def test_a_page_stops_short_of_the_reply_size_limit_and_continues(
    json_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listing: a page may hold fewer than max items when they are large; the next page continues."""
    long = "x" * 3_990
    created = [json_api.new_job(f"{n} {long}") for n in range(5)]
    monkeypatch.setattr(limits, "MAX_REPLY_BYTES", 2 * limits.reply_bytes_bound([long]) + 2_000)
    seen: list[str] = []
    page: str | None = None
    while True:
        reply = json_api.list_jobs(max="100", **({"page": page} if page else {}))
        assert len(reply.data["job"]) <= 2
        seen += [job["id"] for job in reply.data["job"]]
        link = reply.header("Link")
        if link is None:
            break
        page = link.split("page=", 1)[1].split(">", 1)[0]
    assert sorted(seen) == sorted(created)


def test_an_xml_fault_quoting_a_control_character_still_parses(json_api: Api) -> None:
    """Representations: oVirt clients read only XML faults, so every fault must be well-formed XML."""
    reply = json_api.request("GET", "/jobs", query=[("search", "status=\x01")], format="xml")
    assert reply.status == 400
    ElementTree.fromstring(reply.body.encode())


@pytest.mark.parametrize(
    "search",
    [
        "correlation_id=" + "🚀" * 600,
        "correlation_id=has space",
        "owner=" + "a" * 3000,
        "owner=bob",
        "x" * 2000,
    ],
)
def test_search_values_that_cannot_match_are_refused_by_name(json_api: Api, search: str) -> None:
    """Listing: a value no job can have is a 400 naming it, never a DynamoDB key-size error (500)."""
    reply = json_api.list_jobs(search=search)
    assert reply.status == 400
    assert "search" in reply.fault["detail"]


def test_a_page_token_is_bound_to_its_exact_query(json_api: Api) -> None:
    """Input limits: a token from the unfiltered listing is refused for any filtered one."""
    for _ in range(3):
        json_api.new_job()
    link = json_api.list_jobs(max="1").header("Link")
    assert link is not None
    token = link.split("page=", 1)[1].split(">", 1)[0]
    assert json_api.list_jobs(max="1", page=token, search="correlation_id=None").status == 400
    assert json_api.list_jobs(max="1", page=token, search="owner=arn:None").status == 400
