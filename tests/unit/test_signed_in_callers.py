"""Rule 7 for signed-in users: the caller read from the Cognito authorizer's claims, its role from its groups,
and the hrefs of a reply on the path the request came in on (docs/api.md: Signing in)."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pytest

from external_tasks import rules, search
from external_tasks.errors import Forbidden, Invalid
from external_tasks.http import views
from external_tasks.http.representation import to_json, to_xml
from external_tasks.http.request import Request
from external_tasks.model import Caller, Job, JobQuery, Role, Status
from tools import openapi
from xtasks_local.events import Identity, proxy_event

OWNER = "user/writer"
IAM_ADMIN = "arn:aws:iam::123456789012:role/Admin"
JOB = Job("6f1c1a52-5b8e-4d0a-9d3e-2b0f6f1d7c11", "Back up", OWNER, Status.STARTED, 1, 1, True, "c")


def signed_in(
    claims: Mapping[str, str] | None, *, resource: str = "/api/jobs", stage: str = "ovirt-engine"
) -> Request:
    """A request on oVirt's path, as API Gateway hands it on once its Cognito authorizer checked the token."""
    return Request(
        proxy_event(method="GET", resource=resource, path=resource, stage=stage, claims=claims, identity=None)
    )


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        ("readers", Role.READER),
        ("external-tasks", Role.WRITER),
        ("administrators", Role.ADMINISTRATOR),
        ("readers,external-tasks", Role.WRITER),
        ("external-tasks,administrators,readers", Role.ADMINISTRATOR),
        ("[readers external-tasks]", Role.WRITER),  # a list, as an HTTP API renders it
        ("others,readers", Role.READER),
    ],
)
def test_a_user_is_owner_user_name_with_the_strongest_role_of_their_groups(groups: str, role: Role) -> None:
    caller = signed_in({"cognito:username": "writer", "cognito:groups": groups}).caller
    assert caller == Caller("user/writer", role)


@pytest.mark.parametrize("groups", [None, "", "others", "Readers"])
def test_a_user_in_none_of_the_groups_is_forbidden(groups: str | None) -> None:
    claims = {"cognito:username": "nobody"} | ({"cognito:groups": groups} if groups is not None else {})
    with pytest.raises(Forbidden, match="none of the groups readers, external-tasks, administrators"):
        signed_in(claims).caller  # noqa: B018


def test_claims_without_a_user_name_are_forbidden() -> None:
    with pytest.raises(Forbidden, match="names no user"):
        signed_in({"cognito:groups": "readers"}).caller  # noqa: B018


def test_claims_win_over_an_identity_without_arn_and_the_iam_path_is_as_before() -> None:
    """The IAM path has no authorizer claims: the caller is the principal whose signature was checked."""
    iam = Request(proxy_event(method="GET", resource="/jobs", path="/jobs", identity=Identity(IAM_ADMIN)))
    assert iam.caller == Caller(IAM_ADMIN)
    with pytest.raises(Forbidden, match="no IAM identity"):
        signed_in(None).caller  # noqa: B018


def test_a_reader_may_read_but_not_write() -> None:
    rules.check_may_write(Caller("arn:aws:iam::1:user/anyone"))  # IAM decided already
    rules.check_may_write(Caller("user/w", Role.WRITER))
    with pytest.raises(Forbidden, match=r"user/r may only read: .* needs the external-tasks group"):
        rules.check_may_write(Caller("user/r", Role.READER))


def test_only_the_owner_or_an_administrator_may_change_a_users_job() -> None:
    rules.check_may_change(Caller(OWNER, Role.WRITER), JOB, frozenset(), "end")
    rules.check_may_change(Caller("user/boss", Role.ADMINISTRATOR), JOB, frozenset(), "end")
    rules.check_may_change(Caller(IAM_ADMIN), JOB, frozenset({IAM_ADMIN}), "end")
    with pytest.raises(Forbidden, match=r"user/other may not end job .*only its owner \(user/writer\)"):
        rules.check_may_change(Caller("user/other", Role.WRITER), JOB, frozenset(), "end")
    with pytest.raises(Forbidden, match="may only read"):
        rules.check_may_change(Caller(OWNER, Role.READER), JOB, frozenset(), "end")


@pytest.mark.parametrize(
    ("stage", "resource", "root"),
    [
        ("api", "/jobs/{job_id}", "/api"),
        ("api", "/", "/api"),
        ("ovirt-engine", "/api/jobs/{job_id}", "/ovirt-engine/api"),
        ("ovirt-engine", "/api", "/ovirt-engine/api"),
        ("ovirt-engine", "/sso/oauth/token", "/ovirt-engine"),
        ("", "/jobs", "/api"),
        ("a b", "/jobs", "/api"),
    ],
)
def test_the_api_root_is_the_one_the_request_came_in_on(stage: str, resource: str, root: str) -> None:
    event = proxy_event(method="GET", resource=resource, path=resource, stage=stage)
    assert Request(event).api_root == root


def test_hrefs_name_the_api_root_they_are_made_under() -> None:
    with views.rooted_at("/ovirt-engine/api"):
        assert views.job_href(JOB.id) == f"/ovirt-engine/api/jobs/{JOB.id}"
        root = views.api(1).root
    assert views.job_href(JOB.id) == f"/api/jobs/{JOB.id}"
    assert [(link.rel, link.href) for link in root.links] == [
        ("capabilities", "/ovirt-engine/api/capabilities"),
        ("jobs", "/ovirt-engine/api/jobs"),
    ]


def test_a_users_jobs_are_listed_by_owner_user_name() -> None:
    """Listing: owner= names a user as their jobs' owner does."""
    assert search.parse("owner=user/writer and status=started") == JobQuery(
        status=Status.STARTED, owner=OWNER
    )
    assert re.fullmatch(search.search_pattern(), "owner=user/writer")
    with pytest.raises(Invalid, match="neither an IAM principal ARN nor user/<user name>"):
        search.parse("owner=writer")


def test_the_api_root_as_rendered_conforms_to_the_openapi_document() -> None:
    openapi.ApiRoot.model_validate_json(to_json(views.api(1_764_000_000_000)))
    xml = to_xml(views.api(1_764_000_000_000))
    assert "<api><product_info><name>External Tasks</name>" in xml
    assert '<link href="/api/jobs" rel="jobs"/>' in xml
