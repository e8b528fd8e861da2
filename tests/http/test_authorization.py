"""Who may do what, on every route (rule 7; issue: Hardening): the reader, writer and administrator
permissions checked by API Gateway (here, the local server) from the template's policies, and the owner
rule checked by the functions."""

from __future__ import annotations

import pytest

from tests.support.http import LocalApi

READ = [
    "GET /jobs",
    "GET /jobs/{job}",
    "GET /jobs/{job}/steps",
    "GET /jobs/{job}/steps/{step}",
    "GET /capabilities",
]
CHANGE = [
    "POST /jobs/{job}/end",
    "POST /jobs/{job}/clear",
    "POST /jobs/{job}/steps",
    "POST /jobs/{job}/steps/{step}/end",
    "PUT /jobs/{job}",
    "PUT /jobs/{job}/steps/{step}",
    "POST /jobs/{job}/heartbeat",
]
ROOTS = {"end": "action", "clear": "action", "steps": "step", "heartbeat": "action"}
BODIES = {"steps": {"description": "Copy", "type": "executing"}}


def _call(api: LocalApi, route: str, caller: str, owner: str) -> tuple[int, str | None]:
    """The route, called by ``caller`` on a fresh job (and step) of ``owner``: status, and who refused."""
    job = api.send("POST", "/jobs", body={"description": "owned"}, profile=owner).data["id"]
    step = api.send("POST", f"/jobs/{job}/steps", root="step", body=BODIES["steps"], profile=owner).data["id"]
    method, path = route.split(" ")
    path = path.format(job=job, step=step)
    last = path.rsplit("/", 1)[1]
    body = {"progress": 10} if method == "PUT" else BODIES.get(last, {}) if method == "POST" else None
    reply = api.send(method, path, body=body, root=ROOTS.get(last, "job"), profile=caller)
    return reply.status, reply.header("x-amzn-ErrorType")


@pytest.mark.parametrize("route", READ)
@pytest.mark.parametrize("caller", ["reader", "writer", "admin"])
def test_anyone_with_a_permission_may_read_everything(local_api: LocalApi, route: str, caller: str) -> None:
    assert _call(local_api, route, caller, owner="admin") == (200, None)


@pytest.mark.parametrize("route", ["POST /jobs", *CHANGE])
def test_a_reader_may_not_change_anything_and_no_function_runs(local_api: LocalApi, route: str) -> None:
    status, refused_by = _call(local_api, route, "reader", owner="writer")
    assert (status, refused_by) == (403, "AccessDeniedException")


@pytest.mark.parametrize("route", CHANGE)
def test_the_owner_may_change_their_job(local_api: LocalApi, route: str) -> None:
    status, _ = _call(local_api, route, "writer", owner="writer")
    assert status in (200, 201)


@pytest.mark.parametrize("route", CHANGE)
def test_a_writer_may_not_change_another_principals_job(local_api: LocalApi, route: str) -> None:
    """Rule 7: the permission lets the request through; the owner rule refuses it (403, no error type)."""
    assert _call(local_api, route, "writer", owner="admin") == (403, None)


@pytest.mark.parametrize("route", CHANGE)
def test_an_administrator_may_change_anyones_job(local_api: LocalApi, route: str) -> None:
    status, _ = _call(local_api, route, "admin", owner="writer")
    assert status in (200, 201)


@pytest.mark.parametrize("caller", ["writer", "admin"])
def test_writers_and_administrators_may_add_jobs(local_api: LocalApi, caller: str) -> None:
    reply = local_api.send("POST", "/jobs", body={"description": "mine"}, profile=caller)
    assert reply.status == 201
