"""The Python client against the local API: typed operations, pages, faults, retries, context managers
(issue: xtasks client and command line); every failure an xtasks error, never botocore's (issue 10)."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from botocore.credentials import Credentials

from tests.support.http import LocalApi
from xtasks import (
    Client,
    ConfigurationError,
    Conflict,
    ConnectionFailed,
    Forbidden,
    InvalidArgument,
    InvalidRequest,
    NotFound,
    Retries,
    Status,
    StepType,
    Unavailable,
    UnexpectedReply,
)
from xtasks_local import storage


def _client(api: LocalApi, profile: str = "writer") -> Client:
    key = api.keys[profile]
    credentials = Credentials(key.access_key_id, key.secret_access_key)
    return Client(api.base, region=api.region, credentials=credentials, retries=Retries(base=0.01))


def test_every_operation_round_trips_typed(local_api: LocalApi) -> None:
    client = _client(local_api)
    job = client.add_job("Back up VM db01", correlation_id="client-typed-1")
    assert job.status is Status.STARTED
    assert job.correlation_id == "client-typed-1"
    assert job.owner.endswith(":role/ExternalTasks")
    step = client.add_step(job.id, "Copy disk", StepType.EXECUTING)
    sub = client.add_step(job.id, "Verify", "validating", parent_step=step.id)
    assert (step.number, sub.number, sub.parent_step_id) == (0, 0, step.id)
    client.end_step(job.id, sub.id)
    assert client.get_step(job.id, sub.id).status is Status.FINISHED
    client.end_job(job.id, succeeded=False)
    read = client.get_job(job.id, steps=True)
    assert read.status is Status.FAILED
    assert read.steps is not None
    assert [s.status for s in read.steps] == [Status.FAILED, Status.FINISHED]
    assert [s.id for s in client.list_steps(job.id)] == [step.id, sub.id]
    client.clear_job(job.id)
    assert "started" in client.capabilities()["statuses"]["status"]


def test_listings_iterate_across_pages(local_api: LocalApi) -> None:
    client = _client(local_api)
    job = client.add_job("Many steps")
    added = [client.add_step(job.id, f"step {n}").id for n in range(7)]
    assert [s.id for s in client.list_steps(job.id, page_size=2)] == added
    tagged = [client.add_job("tagged", correlation_id="client-pages-1").id for _ in range(3)]
    found = list(client.list_jobs(search="correlation_id=client-pages-1", page_size=1))
    assert [j.id for j in found] == list(reversed(tagged))


def test_faults_are_typed_exceptions_carrying_the_servers_words(local_api: LocalApi) -> None:
    client = _client(local_api)
    with pytest.raises(NotFound) as missing:
        client.get_job("00000000-0000-4000-8000-000000000000")
    assert missing.value.status == 404
    assert "not found" in missing.value.detail
    job = client.add_job("x")
    client.end_job(job.id)
    with pytest.raises(Conflict, match="rule 4"):
        client.end_job(job.id, succeeded=False)
    with pytest.raises(InvalidRequest, match="description"):
        client.add_job("   ")
    with pytest.raises(Forbidden, match="not authorized"):
        _client(local_api, "reader").add_job("readers cannot")


def test_a_job_block_ends_finished_or_failed_with_its_steps(local_api: LocalApi) -> None:
    """Leaving a block normally ends the job or step finished; leaving by an exception ends it failed and
    re-raises."""
    client = _client(local_api)
    with client.job("Back up VM db01") as job, job.step("Copy disks") as copy, copy.step("Copy disk 1"):
        pass
    assert client.get_job(job.id).status is Status.FINISHED
    assert {s.status for s in client.list_steps(job.id)} == {Status.FINISHED}

    with (
        pytest.raises(RuntimeError, match="disk full"),
        client.job("Back up VM db02") as failing,
        failing.step("Copy disks") as copy,
        copy.step("Copy disk 1"),
    ):
        raise RuntimeError("disk full")
    assert client.get_job(failing.id).status is Status.FAILED
    assert {s.status for s in client.list_steps(failing.id)} == {Status.FAILED}


class _Flaky(BaseHTTPRequestHandler):
    """Answers a scripted sequence of statuses, counting the requests."""

    script: ClassVar[list[int]] = []
    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen.append(self.path)
        status = type(self).script.pop(0)
        if status == 201:
            body = json.dumps({
                "id": "00000000-0000-4000-8000-000000000001", "description": "x", "status": "started",
                "start_time": 1, "last_updated": 1, "owner": {"id": "arn:aws:iam::1:user/x"},
            })  # fmt: skip
        elif status == 409:
            body = json.dumps(
                {"fault": {"reason": "Conflict", "detail": "already ended"}, "status": "failed"}
            )
        else:
            body = json.dumps(
                {"reason": "Service Unavailable", "detail": "The job store is busy; retry shortly"}
            )
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Retry-After", "0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def flaky() -> Iterator[tuple[Client, type[_Flaky]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Flaky.script, _Flaky.seen = [], []
    client = Client(
        f"http://127.0.0.1:{server.server_address[1]}/api",
        region="us-east-1",
        credentials=Credentials("AKIAEXAMPLE", "secret"),
        retries=Retries(attempts=4, base=0.01),
    )
    yield client, _Flaky
    server.shutdown()


def test_a_503_is_retried_until_the_server_recovers(flaky: tuple[Client, type[_Flaky]]) -> None:
    client, server = flaky
    server.script = [503, 503, 201]
    assert client.add_job("x").id == "00000000-0000-4000-8000-000000000001"
    assert len(server.seen) == 3


def test_a_409_is_not_retried(flaky: tuple[Client, type[_Flaky]]) -> None:
    client, server = flaky
    server.script = [409, 201]
    with pytest.raises(Conflict, match="already ended"):
        client.end_job("00000000-0000-4000-8000-000000000001")
    assert len(server.seen) == 1


def test_a_503_that_lasts_is_reported_as_unavailable(flaky: tuple[Client, type[_Flaky]]) -> None:
    client, server = flaky
    server.script = [503] * 4
    with pytest.raises(Unavailable, match="busy"):
        client.end_job("00000000-0000-4000-8000-000000000001")
    assert len(server.seen) == 4


def _client_of(endpoint: str, *, timeout: int = 30) -> Client:
    return Client(
        endpoint,
        region="us-east-1",
        credentials=Credentials("AKIAEXAMPLE", "secret"),
        retries=Retries(attempts=2, base=0.01),
        timeout=timeout,
    )


def test_a_refused_connection_is_connection_failed() -> None:
    # Given an endpoint where nothing listens, when a job is read, then ConnectionFailed names the endpoint
    endpoint = f"http://127.0.0.1:{storage.free_port()}/api"
    with pytest.raises(ConnectionFailed, match=re.escape(f"Cannot reach {endpoint}: ")):
        _client_of(endpoint).get_job("00000000-0000-4000-8000-000000000000")


def test_a_host_that_does_not_resolve_is_connection_failed() -> None:
    with pytest.raises(ConnectionFailed, match=r"xtasks-test\.invalid"):
        _client_of("http://xtasks-test.invalid/api").capabilities()


@pytest.fixture
def silent() -> Iterator[str]:
    """An endpoint that takes connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/api"


def test_a_server_that_never_answers_is_connection_failed_after_the_timeout(silent: str) -> None:
    with pytest.raises(ConnectionFailed, match="timeout"):
        _client_of(silent, timeout=1).capabilities()


@pytest.mark.parametrize("endpoint", ["localhost:3000/api", "ftp://127.0.0.1/api", "http://127.0.0.1:x/api"])
def test_a_malformed_endpoint_is_a_configuration_error(endpoint: str) -> None:
    with pytest.raises(ConfigurationError, match="is not usable"):
        _client_of(endpoint)


def test_invalid_arguments_are_refused_before_any_request() -> None:
    # Given an endpoint where nothing listens (a request would raise ConnectionFailed)
    client = _client_of(f"http://127.0.0.1:{storage.free_port()}/api")
    # When a listing or a step is asked for with an invalid argument, then InvalidArgument, at the call
    with pytest.raises(InvalidArgument, match="page_size must be a whole number from 1 to 1000, not 0"):
        client.list_jobs(page_size=0)
    with pytest.raises(InvalidArgument, match="page_size"):
        client.list_steps("00000000-0000-4000-8000-000000000000", page_size=1001)
    with pytest.raises(InvalidArgument, match="status must be one of"):
        client.list_jobs(status="done")
    with pytest.raises(InvalidArgument, match="type must be one of"):
        client.add_step("00000000-0000-4000-8000-000000000000", "Copy", "copying")


def test_an_endpoint_without_api_is_forbidden_with_a_hint(local_api: LocalApi) -> None:
    key = local_api.keys["writer"]
    client = Client(
        local_api.base.removesuffix("/api"),
        region=local_api.region,
        credentials=Credentials(key.access_key_id, key.secret_access_key),
    )
    with pytest.raises(Forbidden) as refused:
        client.add_job("x")
    assert refused.value.hint == "the endpoint should end in /api, e.g. http://127.0.0.1:3000/api"


class _NotTheApi(BaseHTTPRequestHandler):
    """Another web server: a page of HTML for every path."""

    def do_GET(self) -> None:
        body = b"<html><body>Welcome</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_reply_from_another_server_is_unexpected_reply() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotTheApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = _client_of(f"http://127.0.0.1:{server.server_address[1]}/api")
        with pytest.raises(UnexpectedReply, match="not JSON"):
            client.get_job("00000000-0000-4000-8000-000000000000")
    finally:
        server.shutdown()
