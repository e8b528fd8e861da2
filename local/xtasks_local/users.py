"""The local user pool: moto's Cognito, made from the template's user pool, app client and groups, with one
local user per group.

moto runs as a server in this process; the token function reaches it through botocore's
``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER``, so the code that signs in is the deployed code. moto keeps
users in memory, so the pool is made anew on every start; the passwords are made once and kept in
``.xtasks/users`` (INI: ``[writer]`` ``password = …``), so a developer's sign-in survives restarts.
"""

from __future__ import annotations

import configparser
import json
import logging
import secrets
import string
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xtasks_local import storage
from xtasks_local.template import Template

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp.client import CognitoIdentityProviderClient

USER_POOL = "UserPool"
USER_POOL_CLIENT = "UserPoolClient"
# The local users, one per group of the template (by logical id): a person who reads, a plug-in account
# that writes, an administrator.
LOCAL_USERS = {"reader": "ReadersGroup", "writer": "ExternalTasksGroup", "admin": "AdministratorsGroup"}
POOL_NAME = "xtasks-local-users"
# What CreateUserPool and CreateUserPoolClient take as the template gives it (same names as CloudFormation's).
_POOL_PROPERTIES = (
    "Policies",
    "AdminCreateUserConfig",
    "UsernameConfiguration",
    "MfaConfiguration",
    "AccountRecoverySetting",
)
_CLIENT_PROPERTIES = (
    "ClientName",
    "GenerateSecret",
    "ExplicitAuthFlows",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "IdTokenValidity",
    "AccessTokenValidity",
    "RefreshTokenValidity",
    "TokenValidityUnits",
)


@dataclass(frozen=True, slots=True)
class LocalUserPool:
    endpoint: str  # moto's Cognito
    region: str
    pool_id: str
    client_id: str
    jwks: dict[str, Any]  # the pool's public keys, as .well-known/jwks.json serves them

    @property
    def issuer(self) -> str:
        """As Cognito names itself in its tokens (``iss``)."""
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"


def users_file(state_dir: Path) -> Path:
    return state_dir / "users"


def _new_password() -> str:
    """Random, and meeting any password policy the template may set (every kind of character)."""
    while True:
        password = secrets.token_urlsafe(18) + "-"
        kinds = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
        if all(any(character in kind for character in password) for kind in kinds):
            return password


def passwords(state_dir: Path) -> dict[str, str]:
    """The local users' passwords, made where missing and kept (readable by the owner only)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = users_file(state_dir)
    stored = configparser.ConfigParser(interpolation=None)
    stored.read(path)
    missing = [user for user in LOCAL_USERS if not stored.has_option(user, "password")]
    for user in missing:
        stored[user] = {"password": _new_password()}
    if missing or not path.exists():
        with path.open("w") as file:
            file.write("# Local users of the sign-in (oVirt's path); see README.md (Sign in).\n")
            stored.write(file)
        path.chmod(0o600)
    return {user: stored[user]["password"] for user in LOCAL_USERS}


class _Moto:
    """moto's server, in this process, for Cognito."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
        self.endpoint = f"http://127.0.0.1:{storage.free_port()}"
        self._server = ThreadedMotoServer(
            ip_address="127.0.0.1", port=int(self.endpoint.rsplit(":", 1)[1]), verbose=False
        )
        self._server.start()

    def stop(self) -> None:
        self._server.stop()


def _client(endpoint: str, region: str) -> CognitoIdentityProviderClient:
    import botocore.session

    session = botocore.session.get_session()
    return session.create_client(  # type: ignore[return-value]
        "cognito-idp",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=storage.LOCAL_ACCESS_KEY,
        aws_secret_access_key=storage.LOCAL_ACCESS_KEY,
    )


class LocalUsers:
    """The running local user pool; ``stop`` stops moto."""

    def __init__(self, template: Template, state_dir: Path, region: str) -> None:
        self._moto = _Moto()
        try:
            endpoint = self._moto.endpoint
            pool_id, client_id = create_pool(_client(endpoint, region), template, passwords(state_dir))
            with urllib.request.urlopen(f"{endpoint}/{pool_id}/.well-known/jwks.json", timeout=10) as reply:  # noqa: S310 - our own moto
                jwks = json.load(reply)
            self.pool = LocalUserPool(endpoint, region, pool_id, client_id, jwks)
        except BaseException:
            self._moto.stop()
            raise

    def stop(self) -> None:
        self._moto.stop()


def _properties(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {name: resource["Properties"] for name, resource in template.of_type(kind).items()}


def create_pool(
    client: CognitoIdentityProviderClient, template: Template, passwords: dict[str, str]
) -> tuple[str, str]:
    """The template's user pool, app client and groups, with the local users in them: the pool's and the
    client's ids."""
    pool_properties = template.resources[USER_POOL]["Properties"]
    pool_id = client.create_user_pool(
        PoolName=POOL_NAME,
        **{name: pool_properties[name] for name in _POOL_PROPERTIES if name in pool_properties},
    )["UserPool"]["Id"]
    client_properties = template.resources[USER_POOL_CLIENT]["Properties"]
    client_id = client.create_user_pool_client(
        UserPoolId=pool_id,
        **{name: client_properties[name] for name in _CLIENT_PROPERTIES if name in client_properties},
    )["UserPoolClient"]["ClientId"]
    groups = _properties(template, "AWS::Cognito::UserPoolGroup")
    for group in groups.values():
        client.create_group(
            UserPoolId=pool_id,
            GroupName=group["GroupName"],
            Description=group.get("Description", ""),
            Precedence=group.get("Precedence", 0),
        )
    for user, group_resource in LOCAL_USERS.items():
        client.admin_create_user(UserPoolId=pool_id, Username=user, MessageAction="SUPPRESS")
        client.admin_set_user_password(
            UserPoolId=pool_id, Username=user, Password=passwords[user], Permanent=True
        )
        client.admin_add_user_to_group(
            UserPoolId=pool_id, Username=user, GroupName=groups[group_resource]["GroupName"]
        )
    return pool_id, client_id
