"""Signing in to the local server as oVirt's clients do: the local users' passwords, the SSO token endpoint,
and requests on oVirt's path with the token."""

from __future__ import annotations

import base64
import configparser
import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from tests.support.http import LocalApi

TOKEN_PATH = "/ovirt-engine/sso/oauth/token"


def passwords(api: LocalApi) -> dict[str, str]:
    """The local users' passwords, from the server's ``users`` file."""
    assert api.state is not None
    stored = configparser.ConfigParser(interpolation=None)
    stored.read(api.state / "users")
    return {user: stored[user]["password"] for user in stored.sections()}


def ovirt_url(api: LocalApi) -> str:
    return f"http://{api.host}/ovirt-engine/api"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def send(
    api: LocalApi, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> Reply:
    connection = http.client.HTTPConnection(api.host, timeout=60)
    try:
        connection.request(method, target, body=body or None, headers=headers or {})
        reply = connection.getresponse()
        return Reply(reply.status, dict(reply.getheaders()), reply.read().decode("utf-8"))
    finally:
        connection.close()


def token_reply(api: LocalApi, user: str, password: str, **more: str) -> Reply:
    form = {
        "grant_type": "password",
        "scope": "ovirt-app-api",
        "username": user,
        "password": password,
        **more,
    }
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    return send(api, "POST", TOKEN_PATH, urlencode(form).encode(), headers)


def token(api: LocalApi, user: str) -> str:
    reply = token_reply(api, user, passwords(api)[user])
    assert reply.status == 200, reply.body
    access_token: str = reply.json["access_token"]
    return access_token


def with_token(api: LocalApi, access_token: str | None, method: str, path: str, body: Any = None) -> Reply:
    """A JSON request on oVirt's path (``path`` below ``/ovirt-engine/api``)."""
    headers = {"Accept": "application/json"}
    if access_token is not None:
        headers["Authorization"] = f"Bearer {access_token}"
    raw = b""
    if body is not None:
        raw = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    return send(api, method, f"/ovirt-engine/api{path}", raw, headers)


def payload(access_token: str) -> dict[str, Any]:
    part = access_token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded
