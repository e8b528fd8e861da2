"""AWS Signature Version 4, checked as API Gateway checks it for ``execute-api``.

The canonical request is built from the bytes the client actually sent (method, raw path and query, the
signed headers, the body's SHA-256), so a request altered after signing fails. Refusals carry API Gateway's
own messages and error types.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "execute-api"
MAX_SKEW = timedelta(minutes=5)
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_AUTHORIZATION = re.compile(r"^AWS4-HMAC-SHA256\s+(?P<fields>.+)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Key:
    """A local access key: its secret, and the principal it signs for."""

    access_key_id: str
    secret_access_key: str
    principal_arn: str
    session_token: str | None = None


@dataclass(frozen=True, slots=True)
class Refusal(Exception):
    """Why a request is refused, as API Gateway words it (status 403)."""

    error_type: str
    message: str


@dataclass(frozen=True, slots=True)
class Signed:
    """A request whose signature checked out."""

    key: Key


def _missing_token() -> Refusal:
    return Refusal("MissingAuthenticationTokenException", "Missing Authentication Token")


def _incomplete(missing: Sequence[str]) -> Refusal:
    parts = [f"Authorization header requires '{name}' parameter." for name in missing]
    return Refusal("IncompleteSignatureException", " ".join(parts))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(f"AWS4{secret}".encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return key


def _canonical_path(raw_path: str) -> str:
    # Every service but S3 signs the path URI-encoded once more (each %XX becomes %25XX).
    return quote(raw_path or "/", safe="/~")


def _query_pairs(raw_query: str) -> list[tuple[str, str]]:
    pairs = []
    for pair in raw_query.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            pairs.append((name, value))
    return pairs


def canonical_query(raw_query: str) -> str:
    """The canonical query string as SigV4 specifies it and AWS computes it: each name and value decoded,
    then encoded per RFC 3986 (so ``+`` and ``:`` sent raw become ``%2B`` and ``%3A``), sorted."""
    pairs = _query_pairs(raw_query)
    encoded = sorted((quote(unquote(n), safe="-_.~"), quote(unquote(v), safe="-_.~")) for n, v in pairs)
    return "&".join(f"{name}={value}" for name, value in encoded)


def _canonical_headers(headers: Sequence[tuple[str, str]], signed: Sequence[str]) -> str:
    values: dict[str, list[str]] = {}
    for name, value in headers:
        values.setdefault(name.lower(), []).append(" ".join(value.split()))
    return "".join(f"{name}:{','.join(values.get(name, []))}\n" for name in signed)


def _parse_authorization(header: str) -> dict[str, str]:
    match = _AUTHORIZATION.match(header.strip())
    if match is None:
        raise Refusal(
            "IncompleteSignatureException",
            f"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
            f"Authorization={header[:60]}",
        )
    fields: dict[str, str] = {}
    for part in re.split(r"\s*,\s*", match["fields"].strip()):
        name, equals, value = part.partition("=")
        if equals:
            fields[name.strip()] = value.strip()
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not fields.get(name)]
    if missing:
        raise _incomplete(missing)
    return fields


def _key(
    fields: Mapping[str, str], region: str, keys: Mapping[str, Key], token: str | None
) -> tuple[Key, str]:
    """The signing key named by the credential scope, and the scope's date."""
    credential = fields["Credential"].split("/")
    if len(credential) != 5 or credential[4] != "aws4_request":
        raise Refusal("IncompleteSignatureException", "Credential should be scoped to a valid region. ")
    access_key_id, date, scope_region, scope_service, _ = credential
    if scope_service != SERVICE:
        raise Refusal(
            "InvalidSignatureException", f"Credential should be scoped to correct service: '{SERVICE}'. "
        )
    if scope_region != region:
        raise Refusal(
            "InvalidSignatureException",
            f"Credential should be scoped to a valid region. This is '{region}', not '{scope_region}'.",
        )
    key = keys.get(access_key_id)
    if key is None or (key.session_token is not None and token != key.session_token):
        raise Refusal("UnrecognizedClientException", "The security token included in the request is invalid.")
    return key, date


def _check_time(amz_date: str | None, scope_date: str, now: datetime) -> str:
    """The request's X-Amz-Date, if it is within five minutes of ``now`` and matches the scope's date."""
    if amz_date is None:
        raise Refusal(
            "IncompleteSignatureException",
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        )
    try:
        signed_at = datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=UTC)
    except ValueError:
        raise Refusal(
            "IncompleteSignatureException", f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'."
        ) from None
    if not amz_date.startswith(scope_date):
        raise Refusal(
            "InvalidSignatureException",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.",
        )
    if signed_at < now - MAX_SKEW:
        raise Refusal(
            "InvalidSignatureException",
            f"Signature expired: {amz_date} is now earlier than {(now - MAX_SKEW).strftime(_AMZ_DATE)} "
            f"({now.strftime(_AMZ_DATE)} - 5 min.)",
        )
    if signed_at > now + MAX_SKEW:
        raise Refusal(
            "InvalidSignatureException",
            f"Signature not yet current: {amz_date} is still later than "
            f"{(now + MAX_SKEW).strftime(_AMZ_DATE)} "
            f"({now.strftime(_AMZ_DATE)} + 5 min.)",
        )
    return amz_date


def verify(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    region: str,
    hosts: Sequence[str],
    keys: Mapping[str, Key],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Signed:
    """The key the request was signed with, or a Refusal saying why API Gateway would refuse it."""
    lowered = {name.lower(): value for name, value in headers}
    authorization = lowered.get("authorization")
    if not authorization:
        raise _missing_token()
    fields = _parse_authorization(authorization)
    key, scope_date = _key(fields, region, keys, lowered.get("x-amz-security-token"))
    amz_date = _check_time(lowered.get("x-amz-date"), scope_date, now())
    signed_headers = fields["SignedHeaders"].lower().split(";")
    if "host" not in signed_headers:
        raise Refusal(
            "InvalidSignatureException",
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        )
    if lowered.get("host", "") not in hosts:
        raise _missing_token()  # API Gateway would not route a request for another host to this API

    canonical_request = "\n".join(
        [
            method.upper(),
            _canonical_path(raw_path),
            canonical_query(raw_query),
            _canonical_headers(headers, signed_headers),
            ";".join(signed_headers),
            _sha256(body),
        ]
    )
    scope = f"{scope_date}/{region}/{SERVICE}/aws4_request"
    string_to_sign = "\n".join([ALGORITHM, amz_date, scope, _sha256(canonical_request.encode("utf-8"))])
    signing = signing_key(key.secret_access_key, scope_date, region, SERVICE)
    expected = hmac.new(signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest().encode()
    # Compared as bytes: compare_digest refuses str with non-ASCII characters, and a header may hold any.
    if hmac.compare_digest(expected, fields["Signature"].lower().encode("utf-8", "replace")):
        return Signed(key)
    raise Refusal(
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    )
