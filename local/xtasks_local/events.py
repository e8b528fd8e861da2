"""API Gateway REST proxy events, as AWS builds them for a Lambda proxy integration.

The local server turns each HTTP request into one of these; tests build them to invoke handlers directly.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

STAGE = "api"
ACCOUNT_ID = "123456789012"
API_ID = "xtlocal001"


@dataclass(frozen=True, slots=True)
class Identity:
    """The caller API Gateway verified: what ``requestContext.identity`` carries for AWS_IAM."""

    user_arn: str
    access_key: str = "ASIAXTASKSLOCAL00001"
    source_ip: str = "127.0.0.1"
    user_agent: str = "xtasks-local"

    @property
    def account_id(self) -> str:
        return self.user_arn.split(":")[4] or ACCOUNT_ID

    @property
    def caller(self) -> str:
        """API Gateway's ``caller``: the principal id, ``AROA…:session`` for an assumed role."""
        resource = self.user_arn.split(":", 5)[5]
        if resource.startswith("assumed-role/"):
            return f"AROAXTASKSLOCAL:{resource.rsplit('/', 1)[1]}"
        return "AIDAXTASKSLOCAL"

    def as_event(self) -> dict[str, Any]:
        return {
            "accessKey": self.access_key,
            "accountId": self.account_id,
            "caller": self.caller,
            "cognitoAmr": None,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "sourceIp": self.source_ip,
            "user": self.caller,
            "userAgent": self.user_agent,
            "userArn": self.user_arn,
        }


def proxy_event(
    *,
    method: str,
    resource: str,
    path: str,
    path_parameters: Mapping[str, str] | None = None,
    headers: Sequence[tuple[str, str]] = (),
    query: Sequence[tuple[str, str]] = (),
    body: bytes | None = None,
    identity: Identity | None = None,
    domain_name: str = "127.0.0.1:3000",
    stage: str = STAGE,
    claims: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The event for ``method path`` (``path`` below the stage, as API Gateway gives it: ``/jobs/1``).
    ``claims``: the ID token's, where a Cognito authorizer checked one (``requestContext.authorizer``).

    Bodies travel base64-encoded so that the handler sees exactly the bytes that were sent.
    """
    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        single_headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    single_query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in query:
        single_query[name] = value
        multi_query.setdefault(name, []).append(value)
    now = datetime.now(UTC)
    request_id = str(uuid.uuid4())
    identity_fields = identity.as_event() if identity is not None else {"sourceIp": "127.0.0.1"}
    context: dict[str, Any] = {"authorizer": {"claims": dict(claims)}} if claims is not None else {}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": single_headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "xtlocal",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": request_id.replace("-", "")[:16] + "=",
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{stage}{path}",
            "accountId": identity.account_id if identity is not None else ACCOUNT_ID,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": domain_name.split(".", maxsplit=1)[0].split(":", maxsplit=1)[0],
            "requestTimeEpoch": int(time.time() * 1000),
            "requestId": request_id,
            "identity": identity_fields,
            "domainName": domain_name,
            "apiId": API_ID,
            **context,
        },
        "body": base64.b64encode(body).decode("ascii") if body else None,
        "isBase64Encoded": bool(body),
    }
