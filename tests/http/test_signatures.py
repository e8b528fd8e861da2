"""SigV4 as API Gateway checks it: every refusal is a 403 with API Gateway's own body, before any function
runs, and nothing is written (issue: Run it locally)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.http import LocalApi

JOB = {"description": "Back up VM db01"}


def _refused(reply: object, error_type: str, message: str) -> None:
    assert reply.status == 403, reply.body  # type: ignore[attr-defined]
    assert reply.header("x-amzn-ErrorType") == error_type  # type: ignore[attr-defined]
    assert message in reply.body  # type: ignore[attr-defined]


def _job_count(api: LocalApi) -> int:
    listed = api.send("GET", "/jobs", query=[("max", "1000")], profile="reader")
    assert listed.status == 200
    return len(listed.data["job"])


def test_a_signed_request_is_served(local_api: LocalApi) -> None:
    reply = local_api.send("POST", "/jobs", body=JOB)
    assert reply.status == 201
    assert reply.data["owner"]["id"] == "arn:aws:iam::123456789012:role/ExternalTasks"


def test_an_unsigned_request_is_refused(local_api: LocalApi) -> None:
    before = _job_count(local_api)
    _refused(local_api.send("POST", "/jobs", body=JOB, profile=None), "MissingAuthenticationTokenException",
             "Missing Authentication Token")  # fmt: skip
    assert _job_count(local_api) == before


def test_a_malformed_authorization_header_is_refused(local_api: LocalApi) -> None:
    reply = local_api.send(
        "GET", "/jobs", profile=None, headers=[("Authorization", "AWS4-HMAC-SHA256 Credential=x")]
    )
    _refused(reply, "IncompleteSignatureException", "requires 'SignedHeaders' parameter")


def test_a_signature_made_with_the_wrong_secret_is_refused(local_api: LocalApi) -> None:
    reply = local_api.send("POST", "/jobs", body=JOB, sign_secret="not-the-secret")
    _refused(reply, "InvalidSignatureException", "The request signature we calculated does not match")


def test_an_unknown_access_key_is_refused(local_api: LocalApi) -> None:
    stranger = LocalApi(
        local_api.port,
        local_api.region,
        {"writer": type(local_api.keys["writer"])("AKIAUNKNOWN000000000", "x")},
    )
    _refused(
        stranger.send("GET", "/jobs"),
        "UnrecognizedClientException",
        "security token included in the request is invalid",
    )


@pytest.mark.parametrize("minutes", [-6, 6])
def test_a_signature_more_than_five_minutes_off_is_refused(local_api: LocalApi, minutes: int) -> None:
    signed_at = datetime.now(UTC) + timedelta(minutes=minutes)
    reply = local_api.send("POST", "/jobs", body=JOB, signed_at=signed_at)
    expected = "Signature expired" if minutes < 0 else "Signature not yet current"
    _refused(reply, "InvalidSignatureException", expected)


def test_a_signature_four_minutes_old_is_still_accepted(local_api: LocalApi) -> None:
    reply = local_api.send("GET", "/jobs", signed_at=datetime.now(UTC) - timedelta(minutes=4))
    assert reply.status == 200


def test_a_request_signed_for_another_host_is_refused(local_api: LocalApi) -> None:
    reply = local_api.send("POST", "/jobs", body=JOB, sign_host="abc123.execute-api.eu-west-3.amazonaws.com")
    _refused(reply, "InvalidSignatureException", "does not match")


def test_a_request_for_another_host_is_not_routed(local_api: LocalApi) -> None:
    host = "abc123.execute-api.eu-west-3.amazonaws.com"
    reply = local_api.send("GET", "/jobs", sign_host=host, sent_host=host)
    _refused(reply, "MissingAuthenticationTokenException", "Missing Authentication Token")


def test_a_request_signed_for_another_region_is_refused(local_api: LocalApi) -> None:
    _refused(local_api.send("GET", "/jobs", sign_region="us-west-2"), "InvalidSignatureException",
             "Credential should be scoped to a valid region")  # fmt: skip


def test_a_request_signed_for_another_service_is_refused(local_api: LocalApi) -> None:
    _refused(local_api.send("GET", "/jobs", sign_service="dynamodb"), "InvalidSignatureException",
             "Credential should be scoped to correct service: 'execute-api'")  # fmt: skip


def test_a_tampered_body_is_refused_and_nothing_is_written(local_api: LocalApi) -> None:
    before = _job_count(local_api)
    reply = local_api.send("POST", "/jobs", body=JOB, sent_body=b'{"description": "Something else"}')
    _refused(reply, "InvalidSignatureException", "does not match")
    assert _job_count(local_api) == before


def test_a_tampered_query_is_refused(local_api: LocalApi) -> None:
    reply = local_api.send("GET", "/jobs", query=[("max", "1")], sent_query="max=2")
    _refused(reply, "InvalidSignatureException", "does not match")


def test_a_query_with_reserved_characters_is_signed_on_its_canonical_form(local_api: LocalApi) -> None:
    reply = local_api.send(
        "GET", "/jobs", query=[("search", "status=started and owner=arn:aws:iam::123456789012:role/X+Y")]
    )
    assert reply.status == 200


def test_an_undefined_route_is_a_403_with_a_body(local_api: LocalApi) -> None:
    """Input limits: a method or path the API does not define is 403, 404 or 405 with a body, never 5xx."""
    for method, path in [("DELETE", "/jobs"), ("GET", "/nothing/here"), ("PUT", "/jobs/x/end")]:
        _refused(
            local_api.send(method, path),
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )
