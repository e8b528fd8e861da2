"""The local server is as strict as API Gateway (issue 10): settings and port checked before anything
starts; every malformed request answered (400, 403, 408), never dropped; no body acted on unless every
byte of it arrived; routes matched on the path as sent, %2F and %0A included.

Framing faults are sent over raw sockets, on requests signed as a plug-in signs them: were the fault
ignored, the request would be served, so "nothing was created" means the fault was caught.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.http.conftest import _server
from tests.support.http import LocalApi
from xtasks_local import storage
from xtasks_local.template import ROOT

JOB = json.dumps({"description": "Framed by hand"}).encode()
Headers = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def message(self) -> str:
        """API Gateway's error body, ``{"message": ...}``."""
        assert self.headers.get("Content-Type") == "application/json", self.body
        message: str = json.loads(self.body)["message"]
        return message


def _signed(api: LocalApi, method: str, target: str, body: bytes, headers: Headers) -> list[tuple[str, str]]:
    """``headers`` plus the writer's SigV4 signature of ``method target`` with ``body``."""
    key = api.keys["writer"]
    request = AWSRequest(method=method, url=f"http://{api.host}{target}", data=body, headers=dict(headers))
    SigV4Auth(Credentials(key.access_key_id, key.secret_access_key), "execute-api", api.region).add_auth(
        request
    )
    return [("Host", api.host), *((n, v) for n, v in request.headers.items() if n.lower() != "host")]


def _head(method: str, target: str, headers: Headers) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _exchange(api: LocalApi, data: bytes, *, then_close: bool = False, timeout: float = 30) -> Reply:
    """Send ``data`` as it is (``then_close``: and shut the sending side), and read the one reply."""
    with socket.create_connection(("127.0.0.1", api.port), timeout=timeout) as connection:
        connection.sendall(data)
        if then_close:
            connection.shutdown(socket.SHUT_WR)
        reply = http.client.HTTPResponse(connection)
        reply.begin()  # raises RemoteDisconnected if the server hung up without answering
        return Reply(reply.status, reply.headers, reply.read())


def _job_post(api: LocalApi, marker: str, framing: Headers, payload: bytes) -> bytes:
    """A signed ``POST /api/jobs`` of JOB, framed by ``framing`` and ``payload`` instead of by http.client."""
    headers = [("Content-Type", "application/json"), ("Correlation-Id", marker)]
    return _head("POST", "/api/jobs", [*_signed(api, "POST", "/api/jobs", JOB, headers), *framing]) + payload


def _created(api: LocalApi, marker: str) -> list[str]:
    """The ids of the jobs a request marked ``marker`` created."""
    found = api.send("GET", "/jobs", query=[("search", f"correlation_id={marker}")], profile="reader")
    assert found.status == 200, found.body
    return [job["id"] for job in found.data["job"]]


def _marker() -> str:
    return f"strict-{uuid.uuid4().hex}"


def _chunked(*chunks: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"


CHUNKED = [("Transfer-Encoding", "chunked")]
N = len(JOB)


def test_a_well_framed_chunked_body_is_served(local_api: LocalApi) -> None:
    """The control for the framing tests below: chunks with an extension and a trailer make one body."""
    marker = _marker()
    payload = b"%x;note=first\r\n%s\r\n" % (10, JOB[:10]) + _chunked(JOB[10:])[:-2] + b"X-Trailer: 1\r\n\r\n"
    reply = _exchange(local_api, _job_post(local_api, marker, CHUNKED, payload))
    assert reply.status == 201, reply.body
    assert len(_created(local_api, marker)) == 1


@pytest.mark.parametrize(
    ("framing", "payload"),
    [
        pytest.param([("Content-Length", "abc")], JOB, id="not a number"),
        pytest.param([("Content-Length", "")], JOB, id="empty"),
        pytest.param([("Content-Length", f"-{N}")], JOB, id="negative"),
        pytest.param([("Content-Length", f"+{N}")], JOB, id="signed"),
        pytest.param([("Content-Length", hex(N))], JOB, id="hexadecimal"),
        pytest.param([("Content-Length", f"{N}, {N}")], JOB, id="a list"),
        pytest.param([("Content-Length", str(N)), ("Content-Length", str(N))], JOB, id="repeated"),
        pytest.param([("Content-Length", str(N)), ("Content-Length", "2")], JOB, id="repeated differently"),
        pytest.param([("Content-Length", str(N)), *CHUNKED], _chunked(JOB), id="with Transfer-Encoding"),
        pytest.param([("Transfer-Encoding", "gzip, chunked")], _chunked(JOB), id="unknown coding"),
        pytest.param(CHUNKED * 2, _chunked(JOB), id="chunked twice"),
        pytest.param(CHUNKED, b"zz\r\n" + JOB + b"\r\n0\r\n\r\n", id="chunk size not hexadecimal"),
        pytest.param(CHUNKED, b"-%x\r\n%s\r\n0\r\n\r\n" % (N, JOB), id="negative chunk size"),
        pytest.param(CHUNKED, b" %x\r\n%s\r\n0\r\n\r\n" % (N, JOB), id="space before the chunk size"),
        pytest.param(CHUNKED, b"%x\r\n%sXY0\r\n\r\n" % (N, JOB), id="chunk without its CRLF"),
        pytest.param(CHUNKED, b"%x\n%s\r\n0\r\n\r\n" % (N, JOB), id="bare LF after the size"),
        pytest.param(CHUNKED, _chunked(JOB)[:-2] + b"X-Trailer: 1\n\n", id="bare LF in the trailer"),
    ],
)
def test_malformed_framing_is_answered_400_and_nothing_is_created(
    local_api: LocalApi, framing: Headers, payload: bytes
) -> None:
    marker = _marker()
    reply = _exchange(local_api, _job_post(local_api, marker, framing, payload))
    assert reply.status == 400, reply.body
    assert reply.message
    assert reply.headers.get("Connection") == "close"
    assert _created(local_api, marker) == []


@pytest.mark.parametrize(
    ("framing", "payload"),
    [
        pytest.param([("Content-Length", str(N))], JOB[:-5], id="fewer bytes than Content-Length"),
        pytest.param(CHUNKED, b"%x\r\n%s" % (N, JOB[:-5]), id="inside a chunk"),
        pytest.param(CHUNKED, b"%x\r\n%s\r\n" % (N, JOB), id="without the last chunk"),
        pytest.param(CHUNKED, _chunked(JOB)[:-2], id="without the end of the trailer"),
    ],
)
def test_a_body_cut_short_is_answered_400_and_never_acted_on(
    local_api: LocalApi, framing: Headers, payload: bytes
) -> None:
    """The client stops sending (shuts its side) before the body is whole: the function never runs."""
    marker = _marker()
    reply = _exchange(local_api, _job_post(local_api, marker, framing, payload), then_close=True)
    assert reply.status == 400, reply.body
    assert "closed" in reply.message
    assert _created(local_api, marker) == []


@pytest.fixture(scope="module")
def impatient_api(
    tmp_path_factory: pytest.TempPathFactory, dynamodb_local: storage.DynamoDBLocal
) -> Iterator[LocalApi]:
    """The local API waiting one second, not twenty, for a request's next bytes (READ_TIMEOUT=1)."""
    servers = _server(tmp_path_factory, dynamodb_local.endpoint)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("READ_TIMEOUT", "1")
        api = next(servers)
    yield api
    next(servers, None)  # the generator goes on to stop its server


@pytest.mark.parametrize(
    ("framing", "payload"),
    [
        pytest.param([("Content-Length", str(N))], JOB[:-5], id="fewer bytes than Content-Length"),
        pytest.param(CHUNKED, b"%x\r\n%s\r\n" % (N, JOB), id="without the last chunk"),
    ],
)
def test_a_body_that_stops_arriving_is_answered_408_and_never_acted_on(
    impatient_api: LocalApi, framing: Headers, payload: bytes
) -> None:
    """The client keeps the connection open but sends no more: a timeout, not a job."""
    marker = _marker()
    reply = _exchange(impatient_api, _job_post(impatient_api, marker, framing, payload), timeout=15)
    assert reply.status == 408, reply.body
    assert reply.message.startswith("Request Timeout")
    assert _created(impatient_api, marker) == []


def _non_ascii(text: str) -> str:
    """``text`` as UTF-8 bytes on the wire (header values go out as latin-1, byte for byte)."""
    return text.encode().decode("latin-1")


@pytest.mark.parametrize(
    ("spoil", "error_type", "message"),
    [
        pytest.param(
            lambda a: a.rpartition("Signature=")[0] + "Signature=" + _non_ascii("é" * 32),
            "InvalidSignatureException", "does not match", id="signature",
        ),
        pytest.param(
            lambda a: a.replace("Credential=AKIA", "Credential=" + _non_ascii("ÄKIA")),
            "UnrecognizedClientException", "security token included in the request is invalid",
            id="access key",
        ),
        pytest.param(
            lambda a: a.replace("SignedHeaders=", "SignedHeaders=" + _non_ascii("ü;")),
            "InvalidSignatureException", "does not match", id="signed headers",
        ),
        pytest.param(
            lambda a: _non_ascii("Åuthorization ") + a, "IncompleteSignatureException", "Authorization",
            id="scheme",
        ),
        pytest.param(
            lambda a: "\xe9\xff" * 40, "IncompleteSignatureException", "Authorization", id="latin-1"
        ),
    ],
)  # fmt: skip
def test_a_non_ascii_authorization_header_is_refused_403_as_api_gateway_refuses_it(
    local_api: LocalApi, spoil: Callable[[str], str], error_type: str, message: str
) -> None:
    marker = _marker()
    headers = [("Content-Type", "application/json"), ("Correlation-Id", marker)]
    signed = [
        (name, spoil(value) if name == "Authorization" else value)
        for name, value in _signed(local_api, "POST", "/api/jobs", JOB, headers)
    ]
    reply = _exchange(local_api, _head("POST", "/api/jobs", [*signed, ("Content-Length", str(N))]) + JOB)
    assert reply.status == 403, reply.body
    assert reply.headers.get("x-amzn-ErrorType") == error_type
    assert message in reply.message
    assert _created(local_api, marker) == []


GET = b"GET /api/jobs HTTP/1.1\r\nHost: h\r\n"


@pytest.mark.parametrize(
    "request_head",
    [
        pytest.param(b"HELLO\r\n\r\n", id="no method or target"),
        pytest.param(b"GET /api/jobs\r\nHost: h\r\n\r\n", id="no version"),
        pytest.param(b"GET /api/jobs HTTP/x\r\nHost: h\r\n\r\n", id="bad version"),
        pytest.param(b"GET  /api/jobs HTTP/1.1\r\nHost: h\r\n\r\n", id="two spaces"),
        pytest.param(b"GET /api/jobs\x01 HTTP/1.1\r\nHost: h\r\n\r\n", id="control character in the target"),
        pytest.param(b"GET /api/jobs\x0b HTTP/1.1\r\nHost: h\r\n\r\n", id="vertical tab in the target"),
        pytest.param(b"GET /api/jobs\x7f HTTP/1.1\r\nHost: h\r\n\r\n", id="DEL in the target"),
        pytest.param(b"GET /api/jobs\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", id="non-ASCII target"),
        pytest.param(GET + b"Content-Length : 0\r\n\r\n", id="space before a colon"),
        pytest.param(GET + b"X-A: 1\r\n folded\r\n\r\n", id="folded header"),
        pytest.param(GET + b"X-A: 1\x002\r\n\r\n", id="NUL in a header"),
        pytest.param(GET + b"X\xe9: 1\r\n\r\n", id="non-ASCII header name"),
    ],
)
def test_a_malformed_request_line_or_header_section_gets_a_json_400(
    local_api: LocalApi, request_head: bytes
) -> None:
    reply = _exchange(local_api, request_head)
    assert reply.status == 400, reply.body
    assert reply.message


def _job(api: LocalApi) -> str:
    created = api.send("POST", "/jobs", body={"description": "Routed on the raw path"})
    assert created.status == 201, created.body
    job_id: str = created.data["id"]
    return job_id


def _missing_route(reply: object) -> None:
    assert reply.status == 403, reply.body  # type: ignore[attr-defined]
    assert reply.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException"  # type: ignore[attr-defined]


def test_an_encoded_slash_is_not_a_path_separator_so_it_cannot_end_a_job(local_api: LocalApi) -> None:
    """POST /jobs/{id}%2Fend is POST /jobs/{job_id} with job_id "{id}/end": a route the API lacks."""
    job_id = _job(local_api)
    _missing_route(local_api.send("POST", f"/jobs/{job_id}%2Fend", root="action", body={"succeeded": True}))
    _missing_route(local_api.send("POST", f"/jobs/{job_id}%2Fsteps", root="step", body={"description": "x"}))
    read = local_api.send("GET", f"/jobs/{job_id}", query=[("follow", "steps")], profile="reader")
    assert read.data["status"] == "started"
    assert read.data["steps"]["step"] == []


def test_an_encoded_slash_stays_inside_its_path_parameter(local_api: LocalApi) -> None:
    """GET /jobs/{id}%2Fend is GET /jobs/{job_id}, job_id "{id}/end": not a job id, so the function's 404."""
    job_id = _job(local_api)
    reply = local_api.send("GET", f"/jobs/{job_id}%2Fend", profile="reader")
    assert reply.status == 404, reply.body
    assert f"{job_id}/end" in reply.body


def test_path_parameters_are_percent_decoded_once_after_matching(local_api: LocalApi) -> None:
    job_id = _job(local_api)
    once = local_api.send("GET", f"/jobs/{job_id.replace('-', '%2D')}", profile="reader")
    assert once.status == 200, once.body
    assert once.data["id"] == job_id
    twice = local_api.send("GET", f"/jobs/{job_id.replace('-', '%252D')}", profile="reader")
    assert twice.status == 404, twice.body


def test_an_encoded_line_break_matches_no_route(local_api: LocalApi) -> None:
    """``/jobs%0A`` is not ``/jobs``: no listing, no job created; inside a parameter it is no job id."""
    _missing_route(local_api.send("GET", "/jobs%0A", profile="reader"))
    _missing_route(local_api.send("GET", "/capabilities%0A", profile="reader"))
    marker = _marker()
    created = local_api.send(
        "POST", "/jobs%0A", body={"description": "x"}, headers=[("Correlation-Id", marker)]
    )
    _missing_route(created)
    assert _created(local_api, marker) == []
    job_id = _job(local_api)
    assert local_api.send("GET", f"/jobs/{job_id}%0A", profile="reader").status == 404


def _local_server(
    *arguments: str, environment: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m xtasks_local`` as ``make run`` starts it, with none of its settings in the environment but
    ``environment``; on a free port unless told one."""
    names = {"PORT", "AUTH", "REGION", "DYNAMODB_ENDPOINT", "RELOAD", "PARAMETERS", "READ_TIMEOUT"}
    env = {name: value for name, value in os.environ.items() if name not in names} | (environment or {})
    port = [] if "--port" in arguments else ["--port", str(storage.free_port())]
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "xtasks_local", *port, *arguments],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("arguments", "environment"),
    [
        pytest.param((), {"AUTH": "sigV4"}, id="AUTH=sigV4"),
        pytest.param((), {"AUTH": "off"}, id="AUTH=off"),
        pytest.param((), {"AUTH": "false"}, id="AUTH=false"),
        pytest.param((), {"AUTH": "NONE"}, id="AUTH=NONE"),
        pytest.param(("--auth", "off"), {}, id="--auth off"),
        pytest.param(("--auth", "none "), {"AUTH": "sigv4"}, id="--auth 'none '"),
    ],
)
def test_an_auth_other_than_sigv4_or_none_stops_the_server_in_one_line(
    arguments: tuple[str, ...], environment: dict[str, str]
) -> None:
    """Before anything starts (no storage, no port): a mistyped AUTH never turns signature checks off."""
    finished = _local_server(*arguments, environment=environment)
    assert finished.returncode == 2
    assert finished.stdout == ""
    [line] = finished.stderr.splitlines()
    assert "sigv4" in line
    assert "none" in line


def test_a_busy_port_is_reported_in_one_line_before_anything_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        finished = _local_server("--port", str(port))
    assert finished.returncode == 1
    [line] = finished.stderr.splitlines()  # no traceback, no banner: DynamoDB Local was never started
    assert f"port {port}" in line
    assert "in use" in line
