"""Signing in with a user name and password (oVirt's SSO password grant) against the template's user pool.

Cognito checks the password (``USER_PASSWORD_AUTH`` through the app client ``USER_POOL_CLIENT_ID``) and
issues the ID token that API Gateway's Cognito authorizer accepts on oVirt's path. Nothing here logs or keeps
a password or a token.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from external_tasks.errors import ServiceError, Unavailable

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp.client import CognitoIdentityProviderClient

# Cognito's own bounds on a user name: 1 to 128 letters, marks, symbols, digits or punctuation.
MAX_USER_NAME_LENGTH = 128
MAX_PASSWORD_LENGTH = 256
_WRONG = "The user name or password is incorrect"
_THROTTLED = frozenset({"TooManyRequestsException", "LimitExceededException"})
_WRONG_CREDENTIALS = frozenset({"NotAuthorizedException", "UserNotFoundException"})
_REFUSALS = {
    "UserNotConfirmedException": "The account is not confirmed yet: an administrator confirms it",
    "PasswordResetRequiredException": "The password must be reset: an administrator sets a new one",
}


class SignInRefused(ServiceError):
    """The user name and password sign no one in (oVirt's ``access_denied``)."""


@dataclass(frozen=True, slots=True)
class Token:
    id_token: str
    expires_at: int  # epoch milliseconds


def sign_in(user_name: str, password: str) -> Token:
    """The user's ID token, or SignInRefused; Unavailable when Cognito throttles or cannot be reached."""
    if not _could_be_user_name(user_name) or not 0 < len(password) <= MAX_PASSWORD_LENGTH:
        raise SignInRefused(_WRONG)  # Cognito would refuse it too, as invalid input
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = _client().initiate_auth(
            ClientId=os.environ["USER_POOL_CLIENT_ID"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user_name, "PASSWORD": password},
        )
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in _WRONG_CREDENTIALS:  # the same answer either way: no one learns who has an account
            raise SignInRefused(_WRONG) from None
        if code in _REFUSALS:
            raise SignInRefused(_REFUSALS[code]) from None
        if code in _THROTTLED or code == "InternalErrorException":
            raise Unavailable("Signing in is not possible right now; retry shortly") from None
        raise
    except BotoCoreError as error:  # a timeout, or no connection
        raise Unavailable("Signing in is not possible right now; retry shortly") from error
    challenge = answer.get("ChallengeName")
    if challenge == "NEW_PASSWORD_REQUIRED":
        raise SignInRefused(
            "The password is a temporary one: an administrator sets a permanent one "
            "(aws cognito-idp admin-set-user-password --permanent)"
        )
    result = answer.get("AuthenticationResult")
    if challenge is not None or result is None or "IdToken" not in result:
        raise SignInRefused(
            f"Signing in asks for {challenge or 'more'}, which a password sign-in cannot answer"
        )
    id_token = result["IdToken"]
    return Token(id_token, _expiry(id_token))


def _could_be_user_name(text: str) -> bool:
    return 0 < len(text) <= MAX_USER_NAME_LENGTH and all(
        unicodedata.category(character)[0] in "LMSNP" for character in text
    )


def _expiry(id_token: str) -> int:
    """When the token expires, in epoch milliseconds: its ``exp`` (read, not verified: Cognito made it)."""
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return int(claims["exp"]) * 1000
    except (IndexError, KeyError, TypeError, ValueError, binascii.Error) as error:
        raise RuntimeError("Cognito returned an ID token without a readable exp") from error


@functools.cache
def _client() -> CognitoIdentityProviderClient:
    """This execution environment's Cognito client (botocore's ``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER``
    points it at a local user pool)."""
    import botocore.config
    import botocore.session

    config = botocore.config.Config(
        connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 2}
    )
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    session = botocore.session.get_session()
    return session.create_client("cognito-idp", region_name=region, config=config)  # type: ignore[return-value]
