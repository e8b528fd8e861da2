"""Idempotent creates with Idempotency-Key (issue: Hardening): once per caller and key."""

from __future__ import annotations

from typing import Any

import pytest

from external_tasks.store.dynamodb import DynamoDBStore
from tests.conftest import stored_items
from tests.support.api import ADMIN, Api


def _add_job(api: Api, key: str, description: str = "Back up VM db01", **kwargs: Any) -> Any:
    return api.request(
        "POST", "/jobs", body={"description": description}, headers=[("Idempotency-Key", key)], **kwargs
    )


def _jobs(table: Any) -> list[dict[str, Any]]:
    return [item for item in stored_items(table) if item["SK"]["S"] == "JOB"]


def test_retrying_an_add_ten_times_with_one_key_creates_one_job(api: Api, table: Any) -> None:
    replies = [_add_job(api, "nightly-backup-2026-11-25") for _ in range(10)]
    assert {reply.status for reply in replies} == {201}
    assert len({reply.data["id"] for reply in replies}) == 1
    assert len(_jobs(table)) == 1
    assert replies[9].data == replies[0].data  # the first response, again


def test_the_same_key_with_another_body_is_refused(json_api: Api, table: Any) -> None:
    assert _add_job(json_api, "key-1", "Back up VM db01").status == 201
    reused = _add_job(json_api, "key-1", "Back up VM db02")
    assert reused.status == 422
    assert "Idempotency-Key" in reused.fault["detail"]
    assert len(_jobs(table)) == 1


def test_keys_belong_to_their_caller(json_api: Api, table: Any) -> None:
    first, other = _add_job(json_api, "shared-key"), _add_job(json_api, "shared-key", caller=ADMIN)
    assert first.status == other.status == 201
    assert first.data["id"] != other.data["id"]
    assert len(_jobs(table)) == 2


def test_a_duplicate_arriving_while_the_first_is_handled_gets_the_same_job(
    json_api: Api, table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first put of the key's id wins; the other finds it and answers with it. No 409, no 500."""
    real = DynamoDBStore.add_job
    duplicates: list[Any] = []

    def duplicate_first(store: DynamoDBStore, job: Any) -> Any:
        if not duplicates:
            duplicates.append(None)
            duplicates[0] = _add_job(json_api, "in-flight")  # the retry arrives and is done now
        return real(store, job)

    monkeypatch.setattr(DynamoDBStore, "add_job", duplicate_first)
    first = _add_job(json_api, "in-flight")
    assert first.status == duplicates[0].status == 201
    assert first.data["id"] == duplicates[0].data["id"]
    assert len(_jobs(table)) == 1


def test_keys_need_no_record_of_their_own(json_api: Api, table: Any) -> None:
    """Storage: nothing but jobs and steps in the table, so no partition holds every key."""
    job_id = _add_job(json_api, "no-record").data["id"]
    json_api.request(
        "POST",
        f"/jobs/{job_id}/steps",
        body={"description": "s", "type": "executing"},
        headers=[("Idempotency-Key", "k")],
    )
    assert {item["PK"]["S"] for item in stored_items(table)} == {f"JOB#{job_id}"}


def test_a_repeated_add_step_gets_its_step_even_after_the_job_ended(json_api: Api) -> None:
    """The answer to the first request, not a rule 5 conflict: the repeat did not ask for a new step."""
    job_id = json_api.new_job()
    body, headers = {"description": "Copy disk", "type": "executing"}, [("Idempotency-Key", "copy")]
    first = json_api.request("POST", f"/jobs/{job_id}/steps", body=body, headers=headers)
    assert json_api.end_job(job_id).status == 200
    again = json_api.request("POST", f"/jobs/{job_id}/steps", body=body, headers=headers)
    assert (first.status, again.status) == (201, 201)
    assert again.data["id"] == first.data["id"]
    assert again.data["status"] == "finished"  # as it now reads


def test_a_key_whose_job_was_cleared_away_is_refused(json_api: Api, clock: Any) -> None:
    first = _add_job(json_api, "cleared")
    assert json_api.end_job(first.data["id"]).status == 200
    clock.advance(minutes=11)  # rule 6: a finished, auto-cleared job is gone after 10 minutes
    again = _add_job(json_api, "cleared")
    assert again.status == 409
    assert "cleared away" in again.fault["detail"]


def test_retrying_an_add_step_with_one_key_adds_one_step(api: Api) -> None:
    job_id = api.new_job()
    body = {"description": "Copy disk", "type": "executing"}
    headers = [("Idempotency-Key", "copy-disk-1")]
    replies = [api.request("POST", f"/jobs/{job_id}/steps", body=body, headers=headers) for _ in range(3)]
    assert {reply.status for reply in replies} == {201}
    assert len({reply.data["id"] for reply in replies}) == 1
    assert replies[2].data["number"] == 0
    assert len(api.list_steps(job_id).data["step"]) == 1


def test_a_failed_add_is_not_remembered(json_api: Api) -> None:
    """Only a success is kept: a retry of a refused add is decided again."""
    job_id = json_api.new_job()
    assert json_api.end_job(job_id).status == 200
    headers = [("Idempotency-Key", "late-step")]
    body = {"description": "Late", "type": "executing"}
    for _ in range(2):
        assert json_api.request("POST", f"/jobs/{job_id}/steps", body=body, headers=headers).status == 409


@pytest.mark.parametrize("key", ["", "x" * 256, "clé"])
def test_an_idempotency_key_must_be_printable_ascii(json_api: Api, key: str) -> None:
    reply = _add_job(json_api, key)
    assert reply.status == 400
    assert "Idempotency-Key" in reply.fault["detail"]
