"""oVirt's SSO endpoints at the API Gateway proxy boundary (docs/api.md: Signing in).

``POST /ovirt-engine/sso/oauth/token`` takes oVirt's password grant, form-encoded (``grant_type=password``,
``username``, ``password``, ``scope=ovirt-app-api``), and answers oVirt's token reply,
``{"access_token", "token_type": "bearer", "exp", "scope"}`` (``exp``: epoch milliseconds, as text, as oVirt
writes it). A refusal is OAuth's error reply, ``{"error", "error_description"}``, which oVirt's SDKs read
(400 for a malformed request, 401 for a user name and password that sign no one in, 503 with Retry-After
when signing in is not possible right now); never a 5xx for anything a client sends.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from external_tasks import observability
from external_tasks.errors import Invalid, ServiceError, Unavailable
from external_tasks.http import cors
from external_tasks.http.request import Request
from external_tasks.signin import SignInRefused, Token

SCOPE = "ovirt-app-api"
_FORM = "application/x-www-form-urlencoded"
_FIELDS = ("grant_type", "username", "password", "scope")


class UnsupportedGrantType(Invalid):
    """A grant other than ``password``."""


class InvalidScope(Invalid):
    """A scope that does not include the API's."""


# Most specific first, as http.faults: OAuth's error codes (RFC 6749, 5.2), and oVirt's access_denied.
_ERRORS: tuple[tuple[type[ServiceError], int, str], ...] = (
    (UnsupportedGrantType, 400, "unsupported_grant_type"),
    (InvalidScope, 400, "invalid_scope"),
    (Invalid, 400, "invalid_request"),
    (SignInRefused, 401, "access_denied"),
    (Unavailable, 503, "temporarily_unavailable"),
)
# A token reply must never be cached (RFC 6749, 5.1).
_NO_STORE = {"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(frozen=True, slots=True)
class PasswordGrant:
    user_name: str
    password: str

    def __repr__(self) -> str:  # a traceback or a log line never shows the password
        return f"PasswordGrant(user_name={self.user_name!r})"


def password_grant(request: Request) -> PasswordGrant:
    """The request's form, checked as oVirt's SSO checks it."""
    content_type = (request.headers.get("content-type") or _FORM).split(";")[0].strip().lower()
    if content_type != _FORM:
        raise Invalid(f"Send the fields form-encoded ({_FORM}), not as {content_type[:60]}")
    try:
        text = request.raw_body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
    except ValueError:
        raise Invalid("The body is not a form of name=value pairs in UTF-8") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in _FIELDS and name in form:
            raise Invalid(f"The form gives {name} more than once")
        form[name] = value
    grant_type = form.get("grant_type")
    if not grant_type:
        raise Invalid("grant_type is required: grant_type=password")
    if grant_type != "password":
        raise UnsupportedGrantType(f"grant_type {grant_type[:40]!r} is not supported: use password")
    if "scope" in form and SCOPE not in form["scope"].split():
        raise InvalidScope(f"scope must include {SCOPE}")
    missing = [name for name in ("username", "password") if not form.get(name)]
    if missing:
        raise Invalid(f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} required")
    return PasswordGrant(form["username"], form["password"])


type TokenHandler = Callable[[PasswordGrant], Token]
type LambdaHandler = Callable[[Mapping[str, Any], Any], dict[str, Any]]


def token_endpoint(sign_in: TokenHandler) -> LambdaHandler:
    """Makes ``sign_in`` the token endpoint's Lambda handler: form in, oVirt's token reply or error out."""

    def lambda_handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        try:
            token = sign_in(password_grant(Request(event, context)))
            observability.count("SignedIn")
        except ServiceError as refusal:
            observability.count("SignInRefused")
            return _refused(refusal)
        except Exception:  # a defect of ours (or of the deployment), never the client's doing
            observability.logger().exception("sign-in failed")
            detail = "Signing in failed; it has been logged"
            return _reply(500, {"error": "server_error", "error_description": detail})
        finally:
            observability.flush_metrics()
        reply = {"access_token": token.id_token, "token_type": "bearer", "exp": str(token.expires_at)}
        return _reply(200, {**reply, "scope": SCOPE})

    lambda_handler.__doc__ = sign_in.__doc__
    return lambda_handler


def _refused(refusal: ServiceError) -> dict[str, Any]:
    status, code = next((s, c) for kind, s, c in _ERRORS if isinstance(refusal, kind))
    observability.logger().info("sign-in refused", extra={"status": status, "error": code})
    headers = {"Retry-After": str(refusal.retry_after)} if isinstance(refusal, Unavailable) else {}
    return _reply(status, {"error": code, "error_description": refusal.detail}, headers)


def _reply(status: int, body: Mapping[str, str], headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {**_NO_STORE, **cors.headers(), **(headers or {})},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def signed_out() -> dict[str, Any]:
    """oVirt's sign-out (``POST /ovirt-engine/services/sso-logout``), which oVirt's SDKs send when they
    close. Nothing to do: a Cognito ID token cannot be revoked, and runs until its ``exp`` (an hour)."""
    detail = "Signed out. The token itself stays valid until it expires (its exp): it cannot be revoked"
    return _reply(200, {"detail": detail})
