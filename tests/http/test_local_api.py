"""The local API end to end: the plug-in flow signed by botocore and by awscurl, the reader/writer split,
oVirt's own Python SDK, and auto-clearing with DynamoDB Local's real TTL (issue: Run it locally)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.http import LocalApi
from xtasks_local import storage
from xtasks_local.server import TABLE_NAME

AWSCURL = Path(sys.executable).parent / "awscurl"


def test_the_plugin_flow_over_http(api: LocalApi) -> None:
    """Acceptance: job, three steps, a sub-step, ends; in JSON and XML, signed with botocore."""
    job = api.send("POST", "/jobs", body={"description": "Back up VM db01"})
    assert job.status == 201, job.body
    job_id = job.data["id"]
    assert job.header("Location") == f"{api.base}/jobs/{job_id}"
    steps = [
        api.send(
            "POST",
            f"/jobs/{job_id}/steps",
            root="step",
            body={"description": f"Copy {n}", "type": "executing"},
        )
        for n in range(3)
    ]
    assert [s.data["number"] for s in steps] == [0, 1, 2]
    sub = api.send("POST", f"/jobs/{job_id}/steps", root="step",
                   body={"description": "Verify", "type": "validating",
                         "parent_step": {"id": steps[0].data["id"]}})  # fmt: skip
    assert sub.status == 201
    assert sub.data["number"] == 0
    end_sub = api.send(
        "POST", f"/jobs/{job_id}/steps/{sub.data['id']}/end", root="action", body={"succeeded": True}
    )
    assert end_sub.status == 200
    assert api.send("POST", f"/jobs/{job_id}/end", root="action", body={"succeeded": True}).status == 200
    read = api.send("GET", f"/jobs/{job_id}", query=[("follow", "steps")], profile="reader")
    assert read.data["status"] == "finished"
    assert {s["status"] for s in read.data["steps"]["step"]} == {"finished"}
    listed = api.send("GET", f"/jobs/{job_id}/steps", query=[("max", "2")], profile="reader")
    assert len(listed.data["step"]) == 2
    assert listed.header(
        "Link",
    ).startswith(f"<{api.base}/jobs/{job_id}/steps?")  # type: ignore[union-attr]


def test_readers_may_read_but_not_write(api: LocalApi) -> None:
    """Rule 7: the reader policy allows GET only; the refusal comes before any function runs."""
    refused = api.send("POST", "/jobs", body={"description": "x"}, profile="reader")
    assert refused.status == 403
    assert refused.header("x-amzn-ErrorType") == "AccessDeniedException"
    assert json.loads(refused.body)["Message"].startswith(
        "User: arn:aws:iam::123456789012:user/local-reader is not authorized"
    )
    assert api.send("GET", "/jobs", profile="reader").status == 200
    assert api.send("GET", "/capabilities", profile="reader").status == 200


def test_only_the_owner_or_an_administrator_may_end_a_job(api: LocalApi) -> None:
    """Rule 7 over HTTP: the administrator may end the writer's job; the writer may not end the admin's."""
    writers = api.send("POST", "/jobs", body={"description": "the writer's"}).data["id"]
    admins = api.send("POST", "/jobs", body={"description": "the admin's"}, profile="admin").data["id"]
    assert api.send("POST", f"/jobs/{admins}/end", root="action", body={}).status == 403
    assert api.send("POST", f"/jobs/{writers}/end", root="action", body={}, profile="admin").status == 200


def test_search_by_correlation_id_over_http(api: LocalApi) -> None:
    created = api.send(
        "POST", "/jobs", body={"description": "x"}, headers=[("Correlation-Id", f"http-{api.format}-7")]
    )
    found = api.send(
        "GET", "/jobs", query=[("search", f"correlation_id=http-{api.format}-7")], profile="reader"
    )
    assert [job["id"] for job in found.data["job"]] == [created.data["id"]]
    assert found.header("Correlation-Id")


def _awscurl(api: LocalApi, profile: str, *arguments: str) -> tuple[bool, dict[str, str], Any]:
    """awscurl, a SigV4 client nobody here wrote: whether it succeeded (2xx), the reply's headers and body."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    key = api.keys[profile]
    environment |= {"AWS_ACCESS_KEY_ID": key.access_key_id, "AWS_SECRET_ACCESS_KEY": key.secret_access_key}
    result = subprocess.run(  # noqa: S603
        [str(AWSCURL), "--service", "execute-api", "--region", api.region, "--fail-with-body", "-i",
         "-H", "Accept: application/json", *arguments],  # awscurl asks for XML unless told
        env=environment, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    head, _, body = result.stdout.partition("\n\n")
    assert head.startswith("{"), f"awscurl said: {result.stdout}{result.stderr}"
    headers = ast.literal_eval(head)  # awscurl -i prints the headers as a Python dict
    return result.returncode == 0, headers, json.loads(body)


def test_the_plugin_flow_signed_by_awscurl(local_api: LocalApi) -> None:
    """Acceptance: awscurl with the writer key creates a job (201, Location); the reader key is refused a
    POST (403) and served a GET (200)."""
    base = local_api.base
    json_type = ("-H", "Content-Type: application/json")
    ok, headers, job = _awscurl(local_api, "writer", "-X", "POST", *json_type,
                                "-d", '{"description": "awscurl"}',
                                f"{base}/jobs")  # fmt: skip
    assert ok, job
    assert headers["Location"] == f"{base}/jobs/{job['id']}"
    ok, _, step = _awscurl(local_api, "writer", "-X", "POST", *json_type,
                           "-d", '{"description": "Copy", "type": "executing"}',
                           f"{base}/jobs/{job['id']}/steps")  # fmt: skip
    assert ok, step
    ok, _, reply = _awscurl(
        local_api, "writer", "-X", "POST", *json_type, "-d", "{}", f"{base}/jobs/{job['id']}/end"
    )
    assert ok, reply
    ok, _, read = _awscurl(local_api, "reader", f"{base}/jobs/{job['id']}/steps/{step['id']}")
    assert ok, read
    assert read["status"] == "finished"
    ok, headers, refused = _awscurl(local_api, "reader", "-X", "POST", *json_type,
                                    "-d", '{"description": "x"}', f"{base}/jobs")  # fmt: skip
    assert not ok
    assert headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert "not authorized" in refused["Message"]


def test_an_ovirt_sdk_plugin_works_unchanged(open_api: LocalApi) -> None:
    """Acceptance: oVirt's Python SDK, pointed at the local API (AUTH=none, any token)."""
    import ovirtsdk4
    from ovirtsdk4 import types

    connection = ovirtsdk4.Connection(url=open_api.base, token="any-token")
    try:
        jobs = connection.system_service().jobs_service()
        job = jobs.add(types.Job(description="Back up VM db01 (SDK)", auto_cleared=False))
        assert job.status == types.JobStatus.STARTED
        job_service = jobs.job_service(job.id)
        steps = job_service.steps_service()
        first = steps.add(types.Step(description="Copy disk", type=types.StepEnum.EXECUTING))
        second = steps.add(types.Step(description="Copy disk 2", type=types.StepEnum.EXECUTING))
        sub = steps.add(
            types.Step(
                description="Verify", type=types.StepEnum.VALIDATING, parent_step=types.Step(id=first.id)
            )
        )
        assert (first.number, second.number, sub.number) == (0, 1, 0)
        assert sub.parent_step.id == first.id
        steps.step_service(sub.id).end(succeeded=True)
        assert steps.step_service(sub.id).get().status == types.StepStatus.FINISHED
        job_service.end(succeeded=True)
        read = job_service.get()
        assert read.status == types.JobStatus.FINISHED
        assert read.end_time is not None
        assert {s.status for s in steps.list()} == {types.StepStatus.FINISHED}
        assert job.id in [j.id for j in jobs.list(search="status=finished")]
        job_service.clear()
        assert job_service.get().auto_cleared is True
        with pytest.raises(ovirtsdk4.Error, match="409"):
            steps.step_service(first.id).end(succeeded=False)
    finally:
        connection.close()


def test_an_auto_cleared_job_is_gone_once_its_delay_passes(
    quick_cleanup_api: LocalApi, ttl_dynamodb_local: storage.DynamoDBLocal
) -> None:
    """Acceptance and rule 6: with the delays set to three seconds, the job reads as gone after them; the
    local TTL sweep (as DynamoDB's TTL) then deletes it, and the stream function its steps."""
    api = quick_cleanup_api
    job_id = api.send("POST", "/jobs", body={"description": "Short-lived"}).data["id"]
    for _ in range(3):
        step = {"description": "Copy", "type": "executing"}
        assert api.send("POST", f"/jobs/{job_id}/steps", root="step", body=step).status == 201
    assert api.send("POST", f"/jobs/{job_id}/end", root="action", body={}).status == 200
    assert api.send("GET", f"/jobs/{job_id}").status == 200
    time.sleep(3.5)
    assert api.send("GET", f"/jobs/{job_id}").status == 404
    assert job_id not in [job["id"] for job in api.send("GET", "/jobs", query=[("max", "1000")]).data["job"]]
    client = storage.client(ttl_dynamodb_local.endpoint, api.region)

    def left() -> list[str]:
        partition = {":pk": {"S": f"JOB#{job_id}"}}
        found = client.query(
            TableName=TABLE_NAME, KeyConditionExpression="PK = :pk", ExpressionAttributeValues=partition
        )
        return [item["SK"]["S"] for item in found["Items"]]

    deadline = time.monotonic() + 90
    while left() and time.monotonic() < deadline:
        time.sleep(1)
    assert left() == []
