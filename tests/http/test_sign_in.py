"""Sign-in for people and oVirt clients, on the local server with its default AUTH (docs/api.md:
Signing in): oVirt's Python SDK and Ansible's ovirt.ovirt collection sign in with a user name and
password and work under /ovirt-engine/api; rule 7 holds for users; bad tokens are API Gateway's 401;
nothing secret is logged."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from joserfc import jwk, jwt
from moto.utilities.utils import load_resource

from tests.support.http import LocalApi
from tests.support.sign_in import (
    ovirt_url,
    passwords,
    payload,
    send,
    token,
    token_reply,
    with_token,
)


def test_an_ovirt_sdk_plugin_signs_in_and_runs_the_whole_flow(local_api: LocalApi) -> None:
    """Acceptance: ovirt-engine-sdk-python with a user name and password, unchanged."""
    import ovirtsdk4
    from ovirtsdk4 import types

    connection = ovirtsdk4.Connection(
        url=ovirt_url(local_api), username="writer", password=passwords(local_api)["writer"]
    )
    try:
        assert connection.test(raise_exception=True)
        root = connection.system_service().get()
        assert root.product_info.name == "External Tasks"
        assert root.product_info.version.major == 4
        jobs = connection.system_service().jobs_service()
        job = jobs.add(types.Job(description="Back up VM db01 (signed in)", auto_cleared=False))
        assert job.href == f"/ovirt-engine/api/jobs/{job.id}"
        assert job.owner.id == "user/writer"
        job_service = jobs.job_service(job.id)
        steps = job_service.steps_service()
        first = steps.add(types.Step(description="Copy disk", type=types.StepEnum.EXECUTING))
        second = steps.add(types.Step(description="Copy disk 2", type=types.StepEnum.EXECUTING))
        sub = steps.add(
            types.Step(
                description="Verify", type=types.StepEnum.VALIDATING, parent_step=types.Step(id=first.id)
            )
        )
        assert (first.number, second.number, sub.number) == (0, 1, 0)
        assert sub.parent_step.href == f"/ovirt-engine/api/jobs/{job.id}/steps/{first.id}"
        steps.step_service(sub.id).end(succeeded=True)
        job_service.end(succeeded=True)
        read = job_service.get()
        assert read.status == types.JobStatus.FINISHED
        assert {s.status for s in steps.list()} == {types.StepStatus.FINISHED}
        assert job.id in [j.id for j in jobs.list(search="owner=user/writer and status=finished")]
        job_service.clear()
        assert job_service.get().auto_cleared is True
    finally:
        connection.close()  # oVirt's sign-out, which must not fail


def test_a_reader_reads_but_may_not_write(local_api: LocalApi) -> None:
    """Rule 7: the readers group may read; creating and ending need external-tasks."""
    import ovirtsdk4
    from ovirtsdk4 import types

    writer = token(local_api, "writer")
    job = with_token(local_api, writer, "POST", "/jobs", {"description": "Read by a reader"}).json
    connection = ovirtsdk4.Connection(
        url=ovirt_url(local_api), username="reader", password=passwords(local_api)["reader"]
    )
    try:
        jobs = connection.system_service().jobs_service()
        assert jobs.job_service(job["id"]).get().description == "Read by a reader"
        with pytest.raises(ovirtsdk4.Error, match="403") as refused:
            jobs.add(types.Job(description="Not allowed"))
        assert "may only read" in str(refused.value)
        with pytest.raises(ovirtsdk4.Error, match="403"):
            jobs.job_service(job["id"]).end(succeeded=True)
    finally:
        connection.close()
    assert with_token(local_api, writer, "GET", f"/jobs/{job['id']}").json["status"] == "started"


def test_an_administrator_may_end_anyones_job_and_another_writer_may_not(local_api: LocalApi) -> None:
    writer, admin = token(local_api, "writer"), token(local_api, "admin")
    job = with_token(local_api, writer, "POST", "/jobs", {"description": "Ended by an administrator"}).json
    assert with_token(local_api, admin, "POST", f"/jobs/{job['id']}/end", {}).status == 200
    # an IAM principal's job: another owner altogether
    signed = local_api.send("POST", "/jobs", body={"description": "A plug-in's"}).data
    assert with_token(local_api, writer, "POST", f"/jobs/{signed['id']}/end", {}).status == 403
    assert with_token(local_api, admin, "POST", f"/jobs/{signed['id']}/clear", {}).status == 200


def test_a_wrong_password_is_refused_with_ovirts_sso_error(local_api: LocalApi) -> None:
    import ovirtsdk4

    reply = token_reply(local_api, "writer", "not-the-password")
    assert reply.status == 401
    assert reply.json == {
        "error": "access_denied",
        "error_description": "The user name or password is incorrect",
    }
    assert token_reply(local_api, "nobody", "not-the-password").json == reply.json
    connection = ovirtsdk4.Connection(
        url=ovirt_url(local_api), username="writer", password="not-the-password"
    )
    try:
        with pytest.raises(
            ovirtsdk4.AuthError, match="access_denied : The user name or password is incorrect"
        ):
            connection.test(raise_exception=True)
    finally:
        connection.close()


def _resigned(real: str, **changes: object) -> str:
    """The token with claims changed, signed again with the key moto's Cognito signs with: a valid
    signature, so that only the claims decide."""
    key = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    return jwt.encode({"kid": "dummy", "alg": "RS256"}, {**payload(real), **changes}, key)


def _tampered(real: str) -> str:
    header, _, signature = real.split(".")
    claims = {**payload(real), "cognito:groups": ["administrators"]}
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_an_expired_tampered_or_missing_token_is_api_gateways_401(local_api: LocalApi) -> None:
    real = token(local_api, "reader")
    assert with_token(local_api, real, "GET", "/jobs").status == 200
    assert with_token(local_api, _resigned(real), "GET", "/jobs").status == 200  # the test's own check
    expired = with_token(local_api, _resigned(real, exp=int(time.time()) - 60), "GET", "/jobs")
    assert (expired.status, expired.json) == (401, {"message": "The incoming token has expired"})
    for refused in (
        with_token(local_api, _tampered(real), "POST", "/jobs", {"description": "x"}),
        with_token(local_api, _resigned(real, aud="another-client"), "GET", "/jobs"),
        with_token(local_api, None, "GET", "/jobs"),
        with_token(local_api, None, "GET", ""),
    ):
        assert (refused.status, refused.json) == (401, {"message": "Unauthorized"})
        assert refused.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    # the IAM path knows nothing of tokens
    assert send(local_api, "GET", "/api/jobs", headers={"Authorization": f"Bearer {real}"}).status == 403


def test_the_api_root_answers_on_both_paths(local_api: LocalApi) -> None:
    reply = with_token(local_api, token(local_api, "reader"), "GET", "")
    assert reply.status == 200
    assert [link["href"] for link in reply.json["link"]] == [
        "/ovirt-engine/api/capabilities",
        "/ovirt-engine/api/jobs",
    ]
    signed = local_api.send("GET", "/")
    assert signed.status == 200
    assert [link["href"] for link in signed.data["link"]] == ["/api/capabilities", "/api/jobs"]


def test_no_token_or_password_reaches_the_log(local_api: LocalApi) -> None:
    """Signing in, right and wrong, using tokens and signing out: the server's log holds none of them."""
    secrets = list(passwords(local_api).values())
    tokens = [token(local_api, user) for user in ("reader", "writer", "admin")]
    token_reply(local_api, "writer", "Wrong-Passw0rd-123")
    secrets.append("Wrong-Passw0rd-123")
    for access_token in tokens:
        with_token(local_api, access_token, "GET", "/jobs")
        with_token(local_api, access_token, "POST", "/jobs", {"description": "Logged?"})
    send(local_api, "POST", "/ovirt-engine/services/sso-logout", f"token={tokens[0]}".encode())
    assert local_api.state is not None
    log = (local_api.state / "server.log").read_text()
    assert "POST '/ovirt-engine/sso/oauth/token' -> 200" in log  # the log is the server's
    for secret in [*secrets, *tokens, *(t.split(".")[1] for t in tokens), *(t.split(".")[2] for t in tokens)]:
        assert secret not in log


PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Sign in with a user name and password
      ovirt.ovirt.ovirt_auth:
        url: "{{ url }}"
        username: writer
        password: "{{ password }}"
    - name: Start a job with two steps
      ovirt.ovirt.ovirt_job:
        auth: "{{ ovirt_auth }}"
        description: "{{ description }}"
        steps:
          - description: Copy disk
          - description: Verify
    - name: Finish a step
      ovirt.ovirt.ovirt_job:
        auth: "{{ ovirt_auth }}"
        description: "{{ description }}"
        steps:
          - description: Copy disk
            state: finished
    - name: Finish the job
      ovirt.ovirt.ovirt_job:
        auth: "{{ ovirt_auth }}"
        description: "{{ description }}"
        state: finished
    - name: Sign out
      ovirt.ovirt.ovirt_auth:
        state: absent
        ovirt_auth: "{{ ovirt_auth }}"
"""


def test_ansibles_ovirt_collection_signs_in_and_runs_a_job_with_steps(
    local_api: LocalApi, tmp_path: Path
) -> None:
    """Acceptance: ovirt.ovirt's ovirt_auth (user name and password), then ovirt_job, as a playbook runs
    them (ansible 9 bundles the collection; the modules run with this interpreter, which has the SDK)."""
    description = f"Ansible backup {uuid.uuid4().hex[:8]}"
    variables = {
        "url": ovirt_url(local_api),
        "password": passwords(local_api)["writer"],
        "description": description,
        "ansible_python_interpreter": sys.executable,
    }
    (tmp_path / "playbook.yml").write_text(PLAYBOOK)
    (tmp_path / "variables.json").write_text(json.dumps(variables))
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "ANSIBLE_"))
    }
    environment |= {
        "ANSIBLE_HOME": str(tmp_path / "ansible"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    }
    played = subprocess.run(  # noqa: S603 - ansible-playbook from this virtual environment
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            "localhost,",
            "-e",
            "@variables.json",
            "playbook.yml",
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert played.returncode == 0, played.stdout[-4000:] + played.stderr[-2000:]
    assert "ok=5    changed=3" in played.stdout
    reader = token(local_api, "reader")
    found = [
        j
        for j in with_token(local_api, reader, "GET", "/jobs?max=100").json["job"]
        if j["description"] == description
    ]
    assert len(found) == 1
    job = found[0]
    assert (job["status"], job["owner"]["id"]) == ("finished", "user/writer")
    steps = with_token(local_api, reader, "GET", f"/jobs/{job['id']}/steps").json["step"]
    assert [(s["description"], s["status"]) for s in steps] == [
        ("Copy disk", "finished"),
        ("Verify", "finished"),
    ]


def test_under_auth_none_ovirts_path_needs_no_token(open_api: LocalApi) -> None:
    """AUTH=none: every caller, on both paths, is the local administrator."""
    added = with_token(open_api, None, "POST", "/jobs", {"description": "No sign-in"})
    assert added.status == 201
    assert added.json["owner"]["id"].endswith(":role/LocalAdministrator")
    assert added.json["href"] == f"/ovirt-engine/api/jobs/{added.json['id']}"
    assert with_token(open_api, None, "GET", "").status == 200
    assert token_reply(open_api, "writer", passwords(open_api)["writer"]).status == 200
