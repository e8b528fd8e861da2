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
