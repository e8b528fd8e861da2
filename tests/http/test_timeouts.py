"""Progress, heartbeats and timeouts on the local server, which runs TimeOutJobsFunction every second as it
runs every scheduled function of the template: a job whose plug-in stops sending anything ends unknown, with
its open steps, once its deadline has passed; one that keeps heartbeating stays started. The shortest
timeout is a minute, so this waits a minute, once, for both."""

from __future__ import annotations

import time

from tests.support.api import Response
from tests.support.http import LocalApi

TIMEOUT = 60
# The deadline, plus the time a run of the scheduled function may take to see it locally (a second or two).
WAITED = TIMEOUT + 8


def _job(api: LocalApi, job_id: str) -> Response:
    reply = api.send("GET", f"/jobs/{job_id}", query=[("follow", "steps")], profile="reader")
    assert reply.status == 200, reply.body
    return reply


def test_progress_and_heartbeats_are_writes_readers_may_not_make(local_api: LocalApi) -> None:
    job_id = local_api.send("POST", "/jobs", body={"description": "Copy", "timeout": 600}).data["id"]
    step_id = local_api.send(
        "POST", f"/jobs/{job_id}/steps", root="step", body={"description": "Disk", "type": "executing"}
    ).data["id"]
    assert local_api.send("PUT", f"/jobs/{job_id}", body={"progress": 10}, profile="reader").status == 403
    assert local_api.send("POST", f"/jobs/{job_id}/heartbeat", body={}, profile="reader").status == 403
    job = local_api.send("PUT", f"/jobs/{job_id}", body={"progress": 10})
    assert (job.status, job.data["progress"]) == (200, 10), job.body
    step = local_api.send("PUT", f"/jobs/{job_id}/steps/{step_id}", root="step", body={"progress": 20})
    assert (step.status, step.data["progress"]) == (200, 20), step.body
    assert local_api.send("POST", f"/jobs/{job_id}/heartbeat", root="action", body={}).status == 200


def test_a_job_whose_plugin_stops_heartbeating_ends_unknown_and_one_that_keeps_on_does_not(
    local_api: LocalApi,
) -> None:
    def add(description: str) -> str:
        reply = local_api.send("POST", "/jobs", body={"description": description, "timeout": TIMEOUT})
        assert reply.status == 201, reply.body
        job_id: str = reply.data["id"]
        return job_id

    def add_step(job_id: str, parent: str | None = None) -> str:
        body: dict[str, object] = {"description": "Copy disk", "type": "executing"}
        if parent is not None:
            body["parent_step"] = {"id": parent}
        reply = local_api.send("POST", f"/jobs/{job_id}/steps", root="step", body=body)
        assert reply.status == 201, reply.body
        step_id: str = reply.data["id"]
        return step_id

    silent, alive = add("Plug-in that dies"), add("Plug-in that lives")
    top = add_step(silent)
    add_step(silent, parent=top)
    deadline = _job(local_api, silent).data["deadline"]
    started = time.monotonic()
    while time.monotonic() - started < WAITED:
        beat = local_api.send("POST", f"/jobs/{alive}/heartbeat", root="action", body={})
        assert beat.status == 200, beat.body
        if _job(local_api, silent).data["status"] != "started":
            break
        time.sleep(5)
    ended = _job(local_api, silent).data
    assert ended["status"] == "unknown"
    assert ended["end_time"] == deadline
    assert [step["status"] for step in ended["steps"]["step"]] == ["unknown", "unknown"]
    assert {step["end_time"] for step in ended["steps"]["step"]} == {deadline}
    assert time.time() * 1000 - deadline < 120_000  # within two minutes of the deadline
    assert time.monotonic() - started >= TIMEOUT - 5  # and not before it
    living = _job(local_api, alive).data
    assert living["status"] == "started"
    assert living["deadline"] > time.time() * 1000
