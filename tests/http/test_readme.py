"""The README's plug-in examples run as written against the local API (issue: xtasks client and command
line, acceptance)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.http import LocalApi
from xtasks_local.template import ROOT

BIN = Path(sys.executable).parent


def _example(name: str) -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- example: {name} -->\n```\w+\n(.*?)```", readme, re.DOTALL)
    assert match is not None, f"README.md has no '{name}' example"
    return match[1]


def _environment(api: LocalApi) -> dict[str, str]:
    """What the README's export lines set, for this server."""
    assert api.state is not None
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    return environment | {
        "PATH": f"{BIN}:{environment['PATH']}",
        "XTASKS_ENDPOINT": api.base,
        "AWS_SHARED_CREDENTIALS_FILE": str(api.state / "credentials"),
        "AWS_CONFIG_FILE": str(api.state / "config"),
        "AWS_PROFILE": "writer",
    }


def _statuses(environment: dict[str, str]) -> dict[str, str]:
    listed = subprocess.run(  # noqa: S603
        [str(BIN / "xtasks"), "job", "list", "-o", "json"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return {job["description"]: job["status"] for job in json.loads(listed.stdout)["job"]}


def test_the_python_and_shell_examples_run_as_written(local_api: LocalApi, tmp_path: Path) -> None:
    environment = _environment(local_api)
    python = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _example("python")],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert python.returncode == 0, python.stderr
    bash = shutil.which("bash")
    assert bash is not None
    shell = subprocess.run(  # noqa: S603
        [bash, "-c", _example("shell")],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert shell.returncode == 0, shell.stderr
    # step end and job end print their action replies; the last command lists the jobs
    replies = [line.split() for line in shell.stdout.splitlines() if "complete" in line]
    assert replies == [["status", "complete"]] * 2
    assert shell.stdout.index("\nJobs") > shell.stdout.rindex("complete")
    statuses = _statuses(environment)
    assert statuses["Back up VM db01"] == "finished"
    assert statuses["Restore VM db01"] == "finished"
    assert statuses["Verify the image"] == "failed"


def _local(example: str, api: LocalApi) -> str:
    """An example as written, pointed at this server: its port, and the region it checks signatures for."""
    return example.replace("127.0.0.1:3000", api.host).replace("us-east-1", api.region)


def _descriptions(api: LocalApi) -> list[str]:
    return [job["description"] for job in api.send("GET", "/jobs", query=[("max", "20")]).data["job"]]


def test_the_botocore_example_runs_as_written(local_api: LocalApi) -> None:
    """Call it from a plug-in: the SigV4 example, with the stack's ApiUrl replaced by the local server's."""
    example = _example("botocore")
    assert example.count('API = "https://abc123.execute-api.eu-west-1.amazonaws.com/api"') == 1
    code = example.replace("https://abc123.execute-api.eu-west-1.amazonaws.com/api", local_api.base)
    assert local_api.region == "eu-west-1"  # the example signs for the region it names
    ran = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=_environment(local_api), capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr
    assert _descriptions(local_api)[0] == "Back up VM db01"


def test_the_awscurl_example_runs_as_written(local_api: LocalApi, tmp_path: Path) -> None:
    """Run it locally: awscurl, from a checkout whose .xtasks/ holds the local credentials."""
    assert local_api.state is not None
    (tmp_path / ".xtasks").symlink_to(local_api.state)
    environment = {k: v for k, v in _environment(local_api).items() if not k.startswith("AWS_")}
    bash = shutil.which("bash")
    assert bash is not None
    ran = subprocess.run(  # noqa: S603
        [bash, "-e", "-c", _local(_example("awscurl"), local_api)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    created, end = json.JSONDecoder().raw_decode(ran.stdout)  # the add's reply, then the listing's
    listed = json.loads(ran.stdout[end:])
    assert created["description"] == "Back up VM db01"
    assert created["id"] in [job["id"] for job in listed["job"]]


def test_the_ovirt_sdk_example_runs_as_written(local_api: LocalApi, tmp_path: Path) -> None:
    """Sign in: an oVirt plug-in unchanged, signed in with a user name and password, from a checkout whose
    .xtasks/ holds the local users."""
    assert local_api.state is not None
    (tmp_path / ".xtasks").symlink_to(local_api.state)
    ran = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _local(_example("ovirt"), local_api)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert _descriptions(local_api)[0] == "Back up VM db01"


def test_the_sign_in_example_runs_as_written(local_api: LocalApi, tmp_path: Path) -> None:
    """Sign in: curl for a token, then a job added on oVirt's path with it."""
    assert local_api.state is not None
    (tmp_path / ".xtasks").symlink_to(local_api.state)
    bash = shutil.which("bash")
    assert bash is not None
    ran = subprocess.run(  # noqa: S603
        [bash, "-e", "-o", "pipefail", "-c", _local(_example("sign-in"), local_api)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    created = json.loads(ran.stdout)
    assert (created["description"], created["owner"]) == ("Back up VM db01", {"id": "user/writer"})
    assert created["href"] == f"/ovirt-engine/api/jobs/{created['id']}"
