"""Schemathesis hooks for tests/http/test_fuzz.py, loaded by ``st run`` from ``SCHEMATHESIS_HOOKS``.

Every request is signed with AWS Signature Version 4, as a plug-in's SDK signs it, so the fuzzed API checks
signatures as API Gateway does, and Schemathesis's auth checks (a request without, or with a wrong,
``Authorization`` is refused) hold; the probes those checks send go unsigned. The key is the profile
``AWS_PROFILE`` of the local server's credentials file (``AWS_SHARED_CREDENTIALS_FILE``), for ``AWS_REGION``.

API Gateway refuses a request without a signature with 403 ``Missing Authentication Token``, where
Schemathesis's missing_required_header check wants a missing ``Authorization`` refused with 401: that one
answer, and only it, is not reported (ignored_auth still checks that such requests are refused).

Two rules of the API no OpenAPI document can state are kept out of the requests Schemathesis expects to be
accepted (SPEC: Input limits and Listing), and only those:
- a ``page`` token is valid only as the service made it, for the listing and query it came from (it carries
  a MAC): a generated one is always refused, so it is left out;
- the ``status`` parameter must agree with a status that ``search`` names: when they differ, it is left out.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import botocore.session
import requests
import schemathesis
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from schemathesis import GenerationMode
from schemathesis.openapi.checks import MissingHeaderNotRejected

from external_tasks import search
from external_tasks.errors import Invalid


def rfc3986_query(query: str) -> str:
    """The query as SigV4 canonicalises it (``%20``, not ``+``), so that what is sent is what is signed."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}" for name, value in pairs)


class SigV4(requests.auth.AuthBase):
    """Signs a request as it leaves: its method, URL, host and exact body bytes."""

    def __init__(self, profile: str, region: str) -> None:
        credentials = botocore.session.Session(profile=profile).get_credentials()
        if credentials is None:
            raise RuntimeError(f"no credentials for the profile {profile}")
        self.signer = SigV4Auth(credentials.get_frozen_credentials(), "execute-api", region)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(request.url or "")
        request.url = urlunsplit(parts._replace(query=rfc3986_query(parts.query)))
        body = request.body or b""
        signing = AWSRequest(
            method=request.method, url=request.url, data=body.encode() if isinstance(body, str) else body
        )
        self.signer.add_auth(signing)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in signing.headers:
                request.headers[name] = signing.headers[name]
        return request


def _contradicts(query: dict[str, Any]) -> bool:
    """Whether the ``status`` parameter names another status than ``search`` does."""
    try:
        named = search.parse(query["search"]).status
        shortcut = search.status_named(query["status"], "status")
    except Invalid:
        return False
    return named is not None and named is not shortcut


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE or not case.query:
        return case
    query = {name: value for name, value in case.query.items() if name != "page"}
    if isinstance(query.get("search"), str) and isinstance(query.get("status"), str) and _contradicts(query):
        del query["status"]
    if query != case.query:
        case.query = query
    return case


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    return not (
        isinstance(failure, MissingHeaderNotRejected)
        and failure.header_name.lower() == "authorization"
        and response.status_code == 403
        and "Missing Authentication Token" in response.text
    )


# set_from_requests is set on schemathesis.auth at import time, where mypy does not see it.
schemathesis.auth.set_from_requests(  # type: ignore[attr-defined]
    SigV4(os.environ["AWS_PROFILE"], os.environ["AWS_REGION"])
)
