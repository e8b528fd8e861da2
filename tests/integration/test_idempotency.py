"""Idempotent creates with Idempotency-Key (issue: Hardening): once per caller and key."""

from __future__ import annotations

from typing import Any

import pytest

from external_tasks import jobs
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


def test_a_duplicate_arriving_while_the_first_is_handled_is_told_to_retry(
    json_api: Api, table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """409 with Retry-After, not 500; the first one completes."""
    real = jobs._add_job
    duplicates: list[Any] = []

    def slow_first(*arguments: Any) -> Any:
        if not duplicates:
            duplicates.append(_add_job(json_api, "in-flight"))  # the retry arrives now
        return real(*arguments)

    monkeypatch.setattr(jobs, "_add_job", slow_first)
    first = _add_job(json_api, "in-flight")
    assert first.status == 201
    assert duplicates[0].status == 409
    assert duplicates[0].header("Retry-After") == "1"
    assert "still being handled" in duplicates[0].fault["detail"]
    assert len(_jobs(table)) == 1
    assert _add_job(json_api, "in-flight").data["id"] == first.data["id"]


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
