"""Sign-in for people and oVirt clients (docs/api.md: Signing in), at the functions: oVirt's SSO token
endpoint against moto's Cognito made from template.yaml's user pool, and the routes of oVirt's path called
with the claims API Gateway's Cognito authorizer hands on (rule 7 for users)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber

from external_tasks import observability, signin
from tests.conftest import REGION
from xtasks_local.cognito import rendered
from xtasks_local.events import proxy_event
from xtasks_local.gateway import LambdaContext
from xtasks_local.template import OVIRT_API, ROOT, Template

PASSWORDS = {"reader": "Reader-Passw0rd", "writer": "Example-Passw0rd", "admin": "Admin-Passw0rd"}
TOKEN = "/sso/oauth/token"
FORM = ("Content-Type", "application/x-www-form-urlencoded")


def _route(template: Template, method: str, path: str) -> Any:
    match = template.match(method, path, OVIRT_API)
    assert match is not None, f"{method} {path}"
    return match


def _call(template: Template, method: str, path: str, **event: Any) -> dict[str, Any]:
    """A request on oVirt's path, as API Gateway hands it to the function."""
    route, parameters = _route(template, method, path)
    built = proxy_event(
        method=method,
        resource=route.path,
        path=path,
        path_parameters=parameters,
        stage="ovirt-engine",
        **event,
    )
    reply: dict[str, Any] = route.load()(built, LambdaContext(route.function, "request"))
    return reply


@pytest.fixture
def user_pool(table: Any, template: Template, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The template's user pool in moto (inside the table's mock), with the local users; the client id is
    the token function's USER_POOL_CLIENT_ID."""
    from xtasks_local import users

    client = boto3.client("cognito-idp", region_name=REGION)
    _, client_id = users.create_pool(client, template, PASSWORDS)
    monkeypatch.setenv("USER_POOL_CLIENT_ID", client_id)
    signin._client.cache_clear()
    yield client_id
    signin._client.cache_clear()


def sign_in(template: Template, form: dict[str, str] | str, *headers: tuple[str, str]) -> dict[str, Any]:
    body = form if isinstance(form, str) else urlencode(form)
    return _call(template, "POST", TOKEN, headers=[FORM, *headers], body=body.encode())


def _json(reply: dict[str, Any]) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(reply["body"])
    return parsed


def _payload(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return payload


def _grant(user: str = "writer", password: str | None = None, **more: str) -> dict[str, str]:
    form = {"grant_type": "password", "scope": "ovirt-app-api", "username": user}
    return form | {"password": PASSWORDS.get(user, "x") if password is None else password} | more


def test_a_user_name_and_password_get_ovirts_token_reply(template: Template, user_pool: str) -> None:
    # When the writer signs in as oVirt's SDKs do
    reply = sign_in(template, _grant("writer"))
    # Then the reply is oVirt's, never cached, with the pool's ID token for this user and their group
    assert reply["statusCode"] == 200, reply["body"]
    assert reply["headers"]["Content-Type"] == "application/json"
    assert reply["headers"]["Cache-Control"] == "no-store"
    body = _json(reply)
    assert set(body) == {"access_token", "token_type", "exp", "scope"}
    assert (body["token_type"], body["scope"]) == ("bearer", "ovirt-app-api")
    claims = _payload(body["access_token"])
    assert claims["token_use"] == "id"
    assert claims["aud"] == user_pool
    assert (claims["cognito:username"], claims["cognito:groups"]) == ("writer", ["external-tasks"])
    assert body["exp"] == str(claims["exp"] * 1000)


@pytest.mark.parametrize(("user", "password"), [("writer", "wrong-Passw0rd"), ("nobody", "Example-Passw0rd")])
def test_a_wrong_password_or_an_unknown_user_is_refused_alike(
    template: Template, user_pool: str, user: str, password: str
) -> None:
    """oVirt's SSO error reply; the same answer either way, so that no one learns who has an account."""
    reply = sign_in(template, _grant(user, password))
    assert reply["statusCode"] == 401
    assert _json(reply) == {
        "error": "access_denied",
        "error_description": "The user name or password is incorrect",
    }


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"username": "writer", "password": "x"}, 400, "invalid_request"),
        (
            {"grant_type": "client_credentials", "username": "w", "password": "x"},
            400,
            "unsupported_grant_type",
        ),
        ({"grant_type": "password", "password": "x"}, 400, "invalid_request"),
        ({"grant_type": "password", "username": "writer"}, 400, "invalid_request"),
        ({"grant_type": "password", "username": "", "password": ""}, 400, "invalid_request"),
        (_grant(scope="openid"), 400, "invalid_scope"),
        ("grant_type=password&username=writer&password=a&password=b", 400, "invalid_request"),
        ("grant_type=password&username=%ff&password=x", 400, "invalid_request"),
        ("grant_type", 400, "invalid_request"),
        ("x" * 70_000, 400, "invalid_request"),
        (_grant("a b"), 401, "access_denied"),
        (_grant("w" * 129), 401, "access_denied"),
        (_grant("writer", "p" * 257), 401, "access_denied"),
        (_grant("writer\x00"), 401, "access_denied"),
    ],
)
def test_a_malformed_sign_in_is_refused_with_oauths_error_never_a_5xx(
    template: Template, user_pool: str, form: dict[str, str] | str, status: int, error: str
) -> None:
    reply = sign_in(template, form)
    assert (reply["statusCode"], _json(reply)["error"]) == (status, error), reply["body"]
    assert _json(reply)["error_description"]


def test_the_fields_must_come_form_encoded(template: Template, user_pool: str) -> None:
    reply = _call(
        template,
        "POST",
        TOKEN,
        headers=[("Content-Type", "application/json")],
        body=json.dumps(_grant()).encode(),
    )
    assert (reply["statusCode"], _json(reply)["error"]) == (400, "invalid_request")
    assert "form-encoded" in _json(reply)["error_description"]


def test_a_temporary_password_does_not_sign_in(template: Template, user_pool: str) -> None:
    """A user an administrator added with a temporary password only: they get a permanent one first."""
    client = boto3.client("cognito-idp", region_name=REGION)
    pool_id = client.list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    client.admin_create_user(
        UserPoolId=pool_id,
        Username="newcomer",
        TemporaryPassword="Temporary-Passw0rd",
        MessageAction="SUPPRESS",
    )
    reply = sign_in(template, _grant("newcomer", "Temporary-Passw0rd"))
    assert reply["statusCode"] == 401
    assert "admin-set-user-password --permanent" in _json(reply)["error_description"]


@pytest.mark.parametrize("failure", ["TooManyRequestsException", "connection"])
def test_a_throttled_or_unreachable_user_pool_is_a_503_with_retry_after(
    template: Template, user_pool: str, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    client = boto3.client("cognito-idp", region_name=REGION)
    stubber = Stubber(client)
    if failure == "connection":

        def unreachable(**_: Any) -> None:
            raise EndpointConnectionError(endpoint_url="https://cognito-idp.example")

        monkeypatch.setattr(client, "initiate_auth", unreachable)
    else:
        stubber.add_client_error("initiate_auth", failure, http_status_code=400)
    with monkeypatch.context() as patched, stubber:
        patched.setattr(signin, "_client", lambda: client)
        reply = sign_in(template, _grant())
    assert reply["statusCode"] == 503
    assert reply["headers"]["Retry-After"] == "1"
    assert _json(reply)["error"] == "temporarily_unavailable"


class _Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def exception(self, message: str, **fields: Any) -> None:
        self.lines.append(f"{message} {fields}")

    info = exception


def test_a_misconfigured_deployment_is_a_logged_server_error_not_the_clients_fault(
    template: Template, user_pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _Log()
    monkeypatch.setattr(observability, "logger", lambda: log)
    monkeypatch.setenv("USER_POOL_CLIENT_ID", "no-such-client")
    reply = sign_in(template, _grant())
    assert reply["statusCode"] == 500
    assert _json(reply)["error"] == "server_error"
    assert [line.split(" ")[0] for line in log.lines] == ["sign-in"]
    assert PASSWORDS["writer"] not in " ".join(log.lines)


def test_signing_out_answers_as_ovirts_sso_does_and_says_the_token_runs_on(template: Template) -> None:
    reply = _call(
        template, "POST", "/services/sso-logout", headers=[FORM], body=b"scope=ovirt-app-api&token=abc"
    )
    assert reply["statusCode"] == 200
    body = _json(reply)
    assert "error" not in body  # oVirt's SDKs raise on an error when they close
    assert "until it expires" in body["detail"]


def _claims(user: str, groups: str | None) -> dict[str, str]:
    claims = {"cognito:username": user, "token_use": "id", "exp": 1_900_000_000}
    return rendered(claims | ({"cognito:groups": groups} if groups is not None else {}))


def _as(template: Template, user: str, groups: str | None, method: str, path: str, body: Any = None) -> Any:
    raw = json.dumps(body).encode() if body is not None else None
    headers = [("Accept", "application/json"), ("Content-Type", "application/json"), ("Host", "h.example")]
    reply = _call(
        template, method, path, headers=headers, body=raw, claims=_claims(user, groups), identity=None
    )
    return reply["statusCode"], json.loads(reply["body"]) if reply["body"] else None, reply["headers"]


def test_users_work_on_ovirts_path_as_their_groups_allow(template: Template, json_api: Any) -> None:
    """Rule 7 for users: a writer adds and ends their own job; a reader reads it and may not write; another
    writer may not end it; an administrator may; hrefs and Location name oVirt's path."""
    status, job, headers = _as(
        template, "writer", "external-tasks", "POST", "/api/jobs", {"description": "d"}
    )
    assert status == 201
    assert job["owner"] == {"id": "user/writer"}
    assert job["href"] == f"/ovirt-engine/api/jobs/{job['id']}"
    assert headers["Location"] == f"https://h.example/ovirt-engine/api/jobs/{job['id']}"
    assert job["link"] == [{"href": f"/ovirt-engine/api/jobs/{job['id']}/steps", "rel": "steps"}]
    status, read, _ = _as(template, "reader", "readers", "GET", f"/api/jobs/{job['id']}")
    assert (status, read["id"]) == (200, job["id"])
    status, fault, _ = _as(template, "reader", "readers", "POST", "/api/jobs", {"description": "d"})
    assert status == 403
    assert "user/reader may only read" in fault["detail"]
    status, fault, _ = _as(template, "reader", "readers", "POST", f"/api/jobs/{job['id']}/end", {})
    assert status == 403
    status, fault, _ = _as(template, "other", "external-tasks", "POST", f"/api/jobs/{job['id']}/end", {})
    assert status == 403
    assert "only its owner (user/writer) or an administrator" in fault["fault"]["detail"]
    status, ended, _ = _as(template, "admin", "administrators", "POST", f"/api/jobs/{job['id']}/end", {})
    assert (status, ended["job"]["href"]) == (200, f"/ovirt-engine/api/jobs/{job['id']}")
    status, fault, _ = _as(template, "stranger", None, "GET", "/api/jobs")
    assert status == 403
    assert "none of the groups" in fault["detail"]


def test_the_api_root_answers_on_both_paths_with_links_under_each(template: Template, json_api: Any) -> None:
    status, root, _ = _as(template, "reader", "readers", "GET", "/api")
    assert status == 200
    assert root["link"] == [
        {"href": "/ovirt-engine/api/capabilities", "rel": "capabilities"},
        {"href": "/ovirt-engine/api/jobs", "rel": "jobs"},
    ]
    assert root["product_info"]["version"]["major"] == 4
    iam = json_api.request("GET", "/")
    assert iam.status == 200
    assert [link["href"] for link in iam.data["link"]] == ["/api/capabilities", "/api/jobs"]
    xml = json_api.request("GET", "/", format="xml")
    assert xml.body.count("<product_info>") == 1


def _event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((ROOT / "events" / name).read_text())
    return event


def test_the_sign_in_events_are_answered(template: Template, user_pool: str) -> None:
    """events/sso_token.json, events/sso_logout.json and events/ovirt/ stay true (``sam local invoke -e``)."""
    for name, status in (("sso_token.json", 200), ("sso_logout.json", 200), ("ovirt/add_job.json", 201)):
        event = _event(name)
        route, _ = _route(template, event["httpMethod"], event["resource"])
        assert event["requestContext"]["stage"] == template.stage(OVIRT_API)
        reply = route.load()(event, None)
        assert reply["statusCode"] == status, (name, reply["body"])
    assert Path(ROOT / "events" / "ovirt").is_dir()
