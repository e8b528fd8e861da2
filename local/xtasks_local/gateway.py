"""API Gateway, locally: an HTTP request in, the template's function invoked in-process, an HTTP reply out.

What API Gateway does before a function runs is done here too: the stage prefix (which picks the API),
routing by template.yaml, and the API's authorization, answered with API Gateway's own bodies when refused:
on the IAM API, SigV4 and the caller's IAM permission (403), the verified caller in
``requestContext.identity``; on oVirt's path, the user pool's ID token (401), its claims in
``requestContext.authorizer.claims``.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from xtasks_local import iam, sigv4
from xtasks_local.cognito import CognitoAuthorizer, Refused
from xtasks_local.credentials import LocalCredentials
from xtasks_local.events import Identity, proxy_event
from xtasks_local.template import IAM_API, Route, Template


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    target: str  # the request target as sent: raw path and query
    headers: Sequence[tuple[str, str]]
    body: bytes
    client_ip: str = "127.0.0.1"


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Caller:
    principal: iam.Principal
    access_key: str


@dataclass(frozen=True, slots=True)
class LambdaContext:
    """The parts of Lambda's context object a handler may read."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def _gateway_error(status: int, error_type: str, message: str, *, key: str = "message") -> HttpResponse:
    body = json.dumps({key: message}).encode()
    return HttpResponse(
        status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type)], body
    )


class Gateway:
    def __init__(
        self,
        template: Template,
        *,
        region: str,
        credentials: LocalCredentials,
        hosts: Sequence[str],
        check_signatures: bool = True,
        users: CognitoAuthorizer | None = None,
    ) -> None:
        """``check_signatures`` False (AUTH=none): no signature or token is checked, and every caller is the
        local administrator. ``users``: the local user pool's authorizer (None: no token passes)."""
        self.template = template
        self.region = region
        self.credentials = credentials
        self.hosts = list(hosts)
        self.check_signatures = check_signatures
        self.authorizer = iam.Authorizer(template, region)
        self.users = users
        self.stages = {
            f"/{api['Properties']['StageName']}": name
            for name, api in template.of_type("AWS::Serverless::Api").items()
        }

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        response = self._handle(request, request_id)
        response.headers.append(("x-amzn-RequestId", request_id))
        return response

    def _handle(self, request: HttpRequest, request_id: str) -> HttpResponse:
        raw_path, _, raw_query = request.target.partition("?")
        stage = next((s for s in self.stages if raw_path == s or raw_path.startswith(s + "/")), None)
        if stage is None:
            return _gateway_error(403, "ForbiddenException", "Forbidden")
        api = self.stages[stage]
        # Routed on the path as sent: %2F inside a segment is no separator, %0A no line end. Each path
        # parameter is then percent-decoded, once; the event's path stays as sent, as API Gateway's does.
        path = raw_path[len(stage) :] or "/"
        match = self.template.match(request.method, path, api)
        if match is None:
            return _gateway_error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        route, raw_parameters = match
        parameters = {name: unquote(value) for name, value in raw_parameters.items()}
        if api != IAM_API:
            return self._signed_in(
                request,
                request_id=request_id,
                route=route,
                path=path,
                parameters=parameters,
                raw_query=raw_query,
            )

        if self.check_signatures:
            try:
                signed = sigv4.verify(
                    method=request.method,
                    raw_path=raw_path,
                    raw_query=raw_query,
                    headers=request.headers,
                    body=request.body,
                    region=self.region,
                    hosts=self.hosts,
                    keys=self.credentials.keys,
                )
            except sigv4.Refusal as refusal:
                return _gateway_error(403, refusal.error_type, refusal.message)
            caller = Caller(self.credentials.principals[signed.key.access_key_id], signed.key.access_key_id)
        else:
            caller = Caller(iam.ADMIN, "AKIAXTLOCALNOAUTH000")
        if not self.authorizer.allows(caller.principal, request.method, path):
            message = self.authorizer.denial(caller.principal, request.method, path)
            return _gateway_error(403, "AccessDeniedException", message, key="Message")

        user_agent = next((v for n, v in request.headers if n.lower() == "user-agent"), "")
        host = self._host(request)
        event = proxy_event(
            method=request.method,
            resource=route.path,
            path=path,
            path_parameters=parameters,
            headers=_forwarded(request, host),
            query=_query(raw_query),
            body=request.body,
            identity=Identity(caller.principal.arn, caller.access_key, request.client_ip, user_agent),
            domain_name=host,
        )
        event["requestContext"]["requestId"] = request_id
        return self._invoke(route, event, request_id)

    def _signed_in(
        self,
        request: HttpRequest,
        *,
        request_id: str,
        route: Route,
        path: str,
        parameters: dict[str, str],
        raw_query: str,
    ) -> HttpResponse:
        """oVirt's path: the Cognito authorizer's check of the ID token, unless the route is open to all."""
        claims: dict[str, str] | None = None
        identity: Identity | None = None
        if not self.check_signatures:
            identity = Identity(iam.ADMIN.arn, "AKIAXTLOCALNOAUTH000", request.client_ip)
        elif route.authorized:
            authorization = next((v for n, v in request.headers if n.lower() == "authorization"), None)
            try:
                if self.users is None:
                    raise Refused
                claims = self.users.claims(authorization)
            except Refused as refusal:
                return _gateway_error(401, "UnauthorizedException", refusal.message)
        host = self._host(request)
        event = proxy_event(
            method=request.method,
            resource=route.path,
            path=path,
            path_parameters=parameters,
            headers=_forwarded(request, host),
            query=_query(raw_query),
            body=request.body,
            identity=identity,
            domain_name=host,
            stage=self.template.stage(route.api),
            claims=claims,
        )
        event["requestContext"]["requestId"] = request_id
        return self._invoke(route, event, request_id)

    def _host(self, request: HttpRequest) -> str:
        return next((v for n, v in request.headers if n.lower() == "host"), self.hosts[0])

    def _invoke(self, route: Route, event: dict[str, Any], request_id: str) -> HttpResponse:
        try:
            reply = route.load()(event, LambdaContext(route.function, request_id))
        except Exception:  # a function that raises: API Gateway answers 502, as here
            import traceback

            traceback.print_exc()
            return _gateway_error(502, "InternalServerErrorException", "Internal server error")
        headers = list((reply.get("headers") or {}).items())
        for name, values in (reply.get("multiValueHeaders") or {}).items():
            headers += [(name, value) for value in values]
        body = reply.get("body") or ""
        raw = base64.b64decode(body) if reply.get("isBase64Encoded") else body.encode("utf-8")
        return HttpResponse(int(reply["statusCode"]), headers, raw)


def _query(raw_query: str) -> list[tuple[str, str]]:
    return [(unquote(n), unquote(v)) for n, _, v in (p.partition("=") for p in raw_query.split("&") if p)]


def _forwarded(request: HttpRequest, host: str) -> list[tuple[str, str]]:
    """The request's headers, with those API Gateway replaces by what it saw of the connection."""
    forwarded = {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-port"}
    headers = [(n, v) for n, v in request.headers if n.lower() not in forwarded]
    return [
        *headers,
        ("X-Forwarded-For", request.client_ip),
        ("X-Forwarded-Port", host.rpartition(":")[2] if ":" in host else "80"),
        ("X-Forwarded-Proto", "http"),
    ]
