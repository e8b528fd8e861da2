"""API Gateway's Cognito user pool authorizer, locally: the check oVirt's path makes before a function runs.

A request carries the user pool's ID token in ``Authorization`` (``Bearer <token>``, or the token alone). It
passes when the token's RS256 signature verifies against the pool's public keys (its JWKS), it has not
expired, it was issued by the pool (``iss``) for its app client (``aud``), and it is an ID token
(``token_use``). Otherwise the answer is API Gateway's own 401. The function then finds the token's claims in
``requestContext.authorizer.claims``, as a REST API renders them: every value text, a list's items joined by
commas, times as dates.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from xtasks_local.users import LocalUserPool

UNAUTHORIZED = "Unauthorized"
EXPIRED = "The incoming token has expired"
_TIMES = ("exp", "iat", "auth_time")


class Refused(Exception):
    """API Gateway's 401, with its message."""

    def __init__(self, message: str = UNAUTHORIZED) -> None:
        super().__init__(message)
        self.message = message


class CognitoAuthorizer:
    def __init__(self, pool: LocalUserPool) -> None:
        self.keys = KeySet.import_key_set(pool.jwks)  # type: ignore[arg-type]
        self.issuer = pool.issuer
        self.audience = pool.client_id

    def claims(self, authorization: str | None) -> dict[str, str]:
        """The token's claims as the function receives them, or Refused."""
        if not authorization:
            raise Refused
        token = authorization.strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        try:
            verified = jwt.decode(token, self.keys, algorithms=["RS256"])
        except (JoseError, ValueError, TypeError):
            raise Refused from None
        claims = verified.claims
        if claims.get("iss") != self.issuer or claims.get("aud") != self.audience:
            raise Refused
        if claims.get("token_use") != "id":
            raise Refused
        expires = claims.get("exp")
        if not isinstance(expires, int):
            raise Refused
        if expires <= time.time():
            raise Refused(EXPIRED)
        return rendered(claims)


def rendered(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as API Gateway's REST API hands them to a function."""
    return {name: _rendered(name, value) for name, value in claims.items()}


def _rendered(name: str, value: Any) -> str:
    if name in _TIMES and isinstance(value, int):
        return datetime.fromtimestamp(value, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)
