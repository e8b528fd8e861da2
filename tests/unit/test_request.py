"""An API Gateway proxy event read as a request (http.request): format, paging, ids, caller, body.

docs/api.md sections pinned: "Representations" (Accept), "Input limits" (max, body size), "Listing" (max
default),
"Resources/Job" (correlation_id, owner), rule 7 (who the caller is), rule 8 (unknown ids), "Operations"
(follow=steps, Location).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from external_tasks import limits
from external_tasks.errors import BodyTooLarge, Forbidden, Invalid, NotFound
from external_tasks.http.request import Request
from external_tasks.requests import AddJob
from xtasks_local.events import Identity, proxy_event

ACCOUNT = "123456789012"
PLUGIN = Identity(f"arn:aws:sts::{ACCOUNT}:assumed-role/ExternalTasks/backup-plugin")
JOB_ID = "1a2b3c4d-0000-4000-8000-00000000a001"
STEP_ID = "5c6d0000-0000-4000-8000-00000000b001"
CORRELATION_ID = re.compile(r"^[0-9A-Za-z_-]{1,50}$")


def request(
    *,
    method: str = "GET",
    headers: Sequence[tuple[str, str]] = (),
    query: Sequence[tuple[str, str]] = (),
    path_parameters: Mapping[str, str] | None = None,
    body: bytes | None = None,
    identity: Identity | None = PLUGIN,
    domain_name: str = "abc123.execute-api.eu-west-1.amazonaws.com",
) -> Request:
    """A request as API Gateway hands it to a function (through xtasks_local's proxy events)."""
    event = proxy_event(
        method=method,
        resource="/jobs",
        path="/jobs",
        path_parameters=path_parameters,
        headers=headers,
        query=query,
        body=body,
        identity=identity,
        domain_name=domain_name,
    )
    return Request(event)


# Accept (docs/api.md: Representations, "chosen by Accept (default JSON when absent or */*)")


@pytest.mark.parametrize(
    ("accept", "wants_xml"),
    [
        (None, False),
        ("", False),
        ("*/*", False),
        ("application/json", False),
        ("application/xml", True),
        ("text/xml", True),
        ("Application/XML", True),
        ("application/xml; charset=utf-8", True),
        ("application/json;q=0.5, application/xml", True),
        ("application/xml;q=0.5, application/json", False),
        ("application/json;q=0.4, application/xml;q=0.9", True),
        ("*/*;q=0.1, application/xml", True),
        ("application/xml, application/json", False),
        ("application/json, application/xml", False),
        ("application/xml;q=0.8, */*;q=0.8", True),  # a type named outranks a wildcard of equal quality
        ("application/xml, */*", True),
        ("application/xml;q=0.5, */*", False),
        ("application/xml;q=0", False),
        ("garbage", False),
        ("text/html", False),
        (";;;,,,q=", False),
        ("application/xml;q=banana", False),
    ],
)
def test_accept_chooses_xml_only_when_preferred_to_json(accept: str | None, wants_xml: bool) -> None:
    # Given a request with this Accept header (or none)
    headers = [] if accept is None else [("Accept", accept)]
    # When its format is negotiated
    # Then XML only when the client prefers it; JSON when absent, */*, tied or unreadable
    assert request(headers=headers).wants_xml is wants_xml


def test_header_names_are_read_in_any_case() -> None:
    # Given headers in lower case, as HTTP/2 clients send them
    given = request(headers=[("accept", "application/xml"), ("correlation-id", "lower-case")])
    # When they are read
    # Then they count as Accept and Correlation-Id
    assert given.wants_xml is True
    assert given.correlation_id == "lower-case"


# max (docs/api.md: Limits, "max is an integer from 1 to 1000; anything else is 400"; Listing, default 100)


def test_without_max_a_page_holds_as_many_as_max_allows() -> None:
    """Listing: without max, every item (as oVirt), up to what fits in one reply."""
    assert request().page_size == limits.MAX_PAGE_SIZE


@pytest.mark.parametrize(("given", "size"), [("1", 1), ("1000", 1000), ("37", 37), (" 5 ", 5)])
def test_max_from_1_to_1000_is_the_page_size(given: str, size: int) -> None:
    # Given max within the range
    # When the page size is read
    # Then it is that number
    assert request(query=[("max", given)]).page_size == size


@pytest.mark.parametrize(
    "given",
    [
        "0",
        "1001",
        "-1",
        "abc",
        "1.5",
        "",
        "1e3",
        "+5",
        "0x10",
        "\uff15",
        "\u00b2",
        "9" * 5000,
        "1" + "0" * 30,
    ],
)
def test_max_outside_1_to_1000_or_not_an_integer_is_refused(given: str) -> None:
    # Given a max that is not an integer from 1 to 1000
    # When the page size is read
    # Then it is invalid input (400), naming max
    with pytest.raises(Invalid, match="max"):
        _ = request(query=[("max", given)]).page_size


# follow (docs/api.md: Operations, "GET /jobs/{job_id}[?follow=steps]")


def test_follow_steps_embeds_steps_and_no_follow_does_not() -> None:
    # Given a get job with and without follow=steps
    # When follow is read
    # Then only follow=steps asks for the steps
    assert request(query=[("follow", "steps")]).follow_steps is True
    assert request().follow_steps is False


@pytest.mark.parametrize("given", ["jobs", "steps,disks", "step", "all", "statistics", "", " "])
def test_follow_of_anything_but_steps_is_refused(given: str) -> None:
    # Given a follow this API cannot honour
    # When follow is read
    # Then it is invalid input rather than silently ignored
    with pytest.raises(Invalid, match="follow"):
        _ = request(query=[("follow", given)]).follow_steps


# Correlation id (docs/api.md: Resources/Job, correlation_id)


def test_the_correlation_id_comes_from_the_header() -> None:
    # Given a Correlation-Id header and a correlation_id query parameter
    given = request(headers=[("Correlation-Id", "backup-42")], query=[("correlation_id", "from-query")])
    # When the correlation id is read
    # Then the header's wins
    assert given.correlation_id == "backup-42"


def test_the_correlation_id_falls_back_to_the_query_parameter() -> None:
    # Given only a correlation_id query parameter
    # When the correlation id is read
    # Then it is the parameter's
    assert request(query=[("correlation_id", "Nightly_Backup-7")]).correlation_id == "Nightly_Backup-7"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("backup 42/db01!", "backup42db01"),
        ("caf\u00e9-\U0001f4be-run", "caf--run"),
        ("a.b:c;d<e>f'g\"h", "abcdefgh"),
        ("x" * 60, "x" * 50),
        ("!" * 20 + "y" * 60, "y" * 50),
    ],
    ids=["punctuation", "non-ascii", "markup", "too-long", "cut-after-cleaning"],
)
def test_the_correlation_id_is_sanitised_to_50_safe_characters(given: str, kept: str) -> None:
    # Given a correlation id with characters outside [0-9A-Za-z_-], or too long
    # When it is read
    # Then only the safe characters are kept, at most 50 of them
    assert request(headers=[("Correlation-Id", given)]).correlation_id == kept


@pytest.mark.parametrize("given", [None, "", "!!!", " ", "\u00e9\u00e9"])
def test_a_correlation_id_is_generated_when_absent_or_empty_after_sanitising(given: str | None) -> None:
    # Given no usable correlation id
    headers = [] if given is None else [("Correlation-Id", given)]
    first, second = request(headers=headers), request(headers=headers)
    # When the correlation id is read
    # Then one is generated: safe characters, at most 50, different per request, stable within a request
    assert CORRELATION_ID.match(first.correlation_id)
    assert first.correlation_id != second.correlation_id
    assert first.correlation_id == first.correlation_id


# Caller (docs/api.md: Resources/Job owner; rule 7)


def test_an_assumed_role_session_is_reduced_to_its_role() -> None:
    # Given a plug-in calling through an assumed role session
    # When the caller is read
    # Then it is the role's ARN, so every session of the role owns the same jobs
    assert request(identity=PLUGIN).caller.principal == f"arn:aws:iam::{ACCOUNT}:role/ExternalTasks"


@pytest.mark.parametrize(
    "arn",
    [
        f"arn:aws:iam::{ACCOUNT}:user/alice",
        f"arn:aws:iam::{ACCOUNT}:role/Operators",
        f"arn:aws:iam::{ACCOUNT}:root",
    ],
)
def test_other_principals_are_their_own_arn(arn: str) -> None:
    # Given an IAM user, a role or the account root
    # When the caller is read
    # Then it is the principal's ARN unchanged
    assert request(identity=Identity(arn)).caller.principal == arn


def test_a_request_without_an_iam_identity_is_forbidden() -> None:
    # Given an event whose requestContext carries no verified IAM identity
    given = request(identity=None)
    # When the caller is read
    # Then it is forbidden (403)
    with pytest.raises(Forbidden):
        _ = given.caller


def test_a_request_without_a_request_context_is_forbidden() -> None:
    # Given an event with no requestContext at all
    # When the caller is read
    # Then it is forbidden, not a crash
    with pytest.raises(Forbidden):
        _ = Request({"httpMethod": "GET", "path": "/jobs"}).caller


# Path ids (docs/api.md: "{job_id} and {step_id} are UUIDs"; rule 8, unknown -> 404)


def test_job_and_step_ids_are_read_from_the_path() -> None:
    # Given a step's path
    given = request(path_parameters={"job_id": JOB_ID, "step_id": STEP_ID})
    # When the ids are read
    # Then they are the path's
    assert (given.job_id, given.step_id) == (JOB_ID, STEP_ID)


def test_uppercase_ids_are_the_same_resource_as_lowercase() -> None:
    # Given ids in upper case
    given = request(path_parameters={"job_id": JOB_ID.upper(), "step_id": STEP_ID.upper()})
    # When they are read
    # Then they are normalised to lower case
    assert (given.job_id, given.step_id) == (JOB_ID, STEP_ID)


@pytest.mark.parametrize(
    "given",
    [
        "42",
        "not-a-uuid",
        "",
        JOB_ID.replace("-", ""),
        JOB_ID + "0",
        "{" + JOB_ID + "}",
        "../" + JOB_ID,
        JOB_ID[:-1] + "g",
        JOB_ID + "\n",
    ],
    ids=[
        "number",
        "word",
        "empty",
        "no-dashes",
        "too-long",
        "braces",
        "traversal",
        "not-hex",
        "trailing-newline",
    ],
)
def test_an_id_that_is_not_a_uuid_is_not_found(given: str) -> None:
    # Given a job id and a step id that are not UUIDs
    given_request = request(path_parameters={"job_id": given, "step_id": given})
    # When they are read
    # Then there is no such job or step (404)
    with pytest.raises(NotFound, match="Job"):
        _ = given_request.job_id
    with pytest.raises(NotFound, match="Step"):
        _ = given_request.step_id


def test_a_missing_path_id_is_not_found() -> None:
    # Given an event without path parameters
    # When the job id is read
    # Then it is not found
    with pytest.raises(NotFound):
        _ = request(path_parameters=None).job_id


# Body (docs/api.md: Limits, "Bodies: up to 65,536 bytes are accepted; more is 413")


def json_body_of(size: int) -> bytes:
    """An add-job body of exactly ``size`` bytes, padded in an ignored field."""
    skeleton = b'{"description": "Back up VM db01", "pad": ""}'
    return skeleton[:-2] + b"a" * (size - len(skeleton)) + b'"}'


def test_a_body_of_exactly_65536_bytes_is_accepted() -> None:
    # Given an add-job body of exactly 64 KiB
    body = json_body_of(65_536)
    assert len(body) == 65_536
    given = request(method="POST", headers=[("Content-Type", "application/json")], body=body)
    # When it is read
    # Then it is accepted whole
    assert given.raw_body == body
    assert given.body(AddJob, "job").description == "Back up VM db01"


def test_a_body_of_65537_bytes_is_too_large() -> None:
    # Given a body one byte over 64 KiB
    given = request(method="POST", headers=[("Content-Type", "application/json")], body=json_body_of(65_537))
    # When it is read
    # Then it is refused as too large (413)
    with pytest.raises(BodyTooLarge):
        given.body(AddJob, "job")


def test_body_size_counts_bytes_not_characters() -> None:
    # Given 16,385 four-byte emoji: 65,540 bytes
    body = ('{"description": "' + "\U0001f4be" * 16_385 + '"}').encode()
    given = request(method="POST", headers=[("Content-Type", "application/json")], body=body)
    # When it is read
    # Then it is too large, though far under 65,536 characters
    with pytest.raises(BodyTooLarge):
        _ = given.raw_body


def test_a_plain_text_body_over_the_limit_is_too_large_too() -> None:
    # Given an event whose body API Gateway passed as text, not base64
    event: dict[str, Any] = {"body": "x" * 65_537, "isBase64Encoded": False}
    # When it is read
    # Then it is too large
    with pytest.raises(BodyTooLarge):
        _ = Request(event).raw_body


def test_a_base64_body_is_decoded_to_the_bytes_sent() -> None:
    # Given a body API Gateway passed base64-encoded (binary-safe)
    sent = "<job><description>Sauvegarde \u00e9t\u00e9 \U0001f4be</description></job>".encode()
    given = request(method="POST", headers=[("Content-Type", "application/xml")], body=sent)
    assert given.event["isBase64Encoded"] is True
    # When it is read
    # Then the handler sees exactly the bytes that were sent
    assert given.raw_body == sent
    assert given.body(AddJob, "job").description == "Sauvegarde \u00e9t\u00e9 \U0001f4be"


def test_a_text_body_is_read_as_utf8() -> None:
    # Given a body API Gateway passed as text
    event: dict[str, Any] = {"body": '{"description": "\u00e9t\u00e9"}', "isBase64Encoded": False}
    # When it is read
    # Then its bytes are its UTF-8 encoding
    assert Request(event).raw_body == '{"description": "\u00e9t\u00e9"}'.encode()


def test_a_body_that_is_not_valid_base64_is_invalid() -> None:
    # Given an event flagged base64 whose body is not base64
    event: dict[str, Any] = {"body": "not base64!!", "isBase64Encoded": True}
    # When it is read
    # Then it is invalid input, not a crash
    with pytest.raises(Invalid):
        _ = Request(event).raw_body


def test_base64_is_decoded_before_the_size_is_counted() -> None:
    # Given a 60,000-byte body, which is 80,000 characters in base64
    body = json_body_of(60_000)
    event: dict[str, Any] = {"body": base64.b64encode(body).decode(), "isBase64Encoded": True}
    assert len(event["body"]) > 65_536
    # When it is read
    # Then it is accepted: the limit is on the bytes sent
    assert Request(event).raw_body == body


def test_no_body_is_an_empty_body() -> None:
    # Given a clear request without a body
    # When it is read
    # Then it is empty, not an error
    assert request(method="POST").raw_body == b""


# Absolute URLs (docs/api.md: Operations, "201 + Location"; Listing, Link header)


def test_absolute_urls_use_the_host_and_forwarded_protocol_the_client_called() -> None:
    # Given a request to a custom host through a proxy that speaks plain HTTP
    given = request(headers=[("Host", "tasks.example.com"), ("X-Forwarded-Proto", "http")])
    # When a Location is made absolute
    # Then it is on that host and scheme
    assert given.absolute(f"/api/jobs/{JOB_ID}") == f"http://tasks.example.com/api/jobs/{JOB_ID}"


def test_absolute_urls_default_to_https() -> None:
    # Given a request with a Host and no X-Forwarded-Proto
    given = request(headers=[("Host", "tasks.example.com")])
    # When a URL is made absolute
    # Then it is https
    assert given.absolute("/api/jobs") == "https://tasks.example.com/api/jobs"


def test_absolute_urls_without_a_host_use_the_api_domain() -> None:
    # Given a request without a Host header
    given = request(domain_name="abc123.execute-api.eu-west-1.amazonaws.com")
    # When a URL is made absolute
    # Then it is on the API's own domain
    assert given.absolute("/api/jobs") == "https://abc123.execute-api.eu-west-1.amazonaws.com/api/jobs"


# Query parameters repeated in next links (docs/rules.md: Listing)


def test_listing_parameters_are_given_back_as_sent_and_others_ignored() -> None:
    # Given a listing with search and an unknown parameter
    given = request(query=[("search", "status=started"), ("flavour", "vanilla")])
    # When the listing's own parameters are read
    # Then they are as sent, absent ones None, unknown ones left out
    assert given.parameters("search", "max") == {"search": "status=started", "max": None}
    assert given.page is None
