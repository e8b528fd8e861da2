"""The local server checks a bearer token as API Gateway's Cognito authorizer does (docs/api.md: Signing in):
signature against the pool's keys, expiry, issuer, audience, ID tokens only; claims handed on as a REST API
renders them. Tokens are signed here with the key moto's Cognito signs with."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwk, jwt
from moto.utilities.utils import load_resource

from xtasks_local.cognito import EXPIRED, UNAUTHORIZED, CognitoAuthorizer, Refused
from xtasks_local.credentials import LocalCredentials
from xtasks_local.options import Options
from xtasks_local.server import banner
from xtasks_local.users import LocalUserPool

REGION = "eu-west-1"
POOL = LocalUserPool(
    endpoint="http://127.0.0.1:1",
    region=REGION,
    pool_id=f"{REGION}_local",
    client_id="local-client",
    jwks=load_resource("cognitoidp/resources/jwks-public.json"),
)
MOTOS_KEY = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
HEADER = {"kid": "dummy", "alg": "RS256"}  # the key id of moto's JWKS


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": POOL.issuer,
        "aud": POOL.client_id,
        "token_use": "id",
        "cognito:username": "writer",
        "cognito:groups": ["readers", "external-tasks"],
        "iat": now,
        "exp": now + 3600,
        **changes,
    }


def token(payload: dict[str, Any], key: Any = MOTOS_KEY, header: dict[str, str] = HEADER) -> str:
    return jwt.encode(header, payload, key)


@pytest.fixture(scope="module")
def authorizer() -> CognitoAuthorizer:
    return CognitoAuthorizer(POOL)


@pytest.mark.parametrize("scheme", ["Bearer ", "bearer ", ""])
def test_a_valid_id_token_passes_with_its_claims_as_a_rest_api_hands_them_on(
    authorizer: CognitoAuthorizer, scheme: str
) -> None:
    payload = claims(exp=1_900_000_000)
    passed = authorizer.claims(scheme + token(payload))
    assert passed["cognito:username"] == "writer"
    assert passed["cognito:groups"] == "readers,external-tasks"
    assert passed["exp"] == "Sun Mar 17 17:46:40 UTC 2030"
    assert all(isinstance(value, str) for value in passed.values())


def test_an_expired_token_is_refused_as_api_gateway_refuses_it(authorizer: CognitoAuthorizer) -> None:
    with pytest.raises(Refused) as refused:
        authorizer.claims("Bearer " + token(claims(exp=int(time.time()) - 1)))
    assert refused.value.message == EXPIRED


def _tampered(good: str) -> str:
    """The same signature over a payload that now claims the administrators group."""
    header, payload, signature = good.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded["cognito:groups"] = ["administrators"]
    forged = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer not-a-token",
        "Basic d3JpdGVyOnBhc3N3b3Jk",
        _tampered(token(claims())),
        token(claims(), key=jwk.RSAKey.generate_key(2048, parameters={"kid": "dummy"})),  # another key
        token(claims(aud="another-client")),
        token(claims(iss=f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_other")),
        token(claims(token_use="access")),
        token({k: v for k, v in claims().items() if k != "exp"}),
        token(claims(), key=jwk.OctKey.import_key(b"k" * 32), header={"kid": "dummy", "alg": "HS256"}),
    ],
    ids=[
        "absent",
        "empty",
        "no token",
        "not a jwt",
        "basic",
        "tampered",
        "another key",
        "another client",
        "another pool",
        "access token",
        "no exp",
        "hs256",
    ],
)
def test_anything_else_is_unauthorized(authorizer: CognitoAuthorizer, authorization: str | None) -> None:
    with pytest.raises(Refused) as refused:
        authorizer.claims(authorization)
    assert refused.value.message == UNAUTHORIZED


def test_make_run_says_how_to_sign_in_and_never_shows_a_password() -> None:
    options = Options(
        port=3000, auth="sigv4", region=REGION, dynamodb_endpoint=None, reload=False, parameters={},
        state_dir=Path("/checkout/.xtasks"),
    )  # fmt: skip
    local = LocalCredentials(Path("/checkout/.xtasks/credentials"), Path("/checkout/.xtasks/config"), {}, {})
    shown = banner(options, local, "DynamoDB Local")
    assert "http://127.0.0.1:3000/ovirt-engine/api" in shown
    assert "reader, writer, admin; passwords in /checkout/.xtasks/users" in shown
    assert "curl -d grant_type=password -d scope=ovirt-app-api -d username=writer" in shown
    assert "http://127.0.0.1:3000/ovirt-engine/sso/oauth/token" in shown
    assert not Path("/checkout").exists()  # the banner never read the passwords, so it cannot show one
