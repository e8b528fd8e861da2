"""The local server is as strict as API Gateway (issue 10): settings and port checked before anything
starts.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from xtasks_local import storage
from xtasks_local.template import ROOT


def _local_server(
    *arguments: str, environment: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m xtasks_local`` as ``make run`` starts it, with none of its settings in the environment but
    ``environment``; on a free port unless told one."""
    names = {"PORT", "AUTH", "REGION", "DYNAMODB_ENDPOINT", "RELOAD", "PARAMETERS", "READ_TIMEOUT"}
    env = {name: value for name, value in os.environ.items() if name not in names} | (environment or {})
    port = [] if "--port" in arguments else ["--port", str(storage.free_port())]
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "xtasks_local", *port, *arguments],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("arguments", "environment"),
    [
        pytest.param((), {"AUTH": "sigV4"}, id="AUTH=sigV4"),
        pytest.param((), {"AUTH": "off"}, id="AUTH=off"),
        pytest.param((), {"AUTH": "false"}, id="AUTH=false"),
        pytest.param((), {"AUTH": "NONE"}, id="AUTH=NONE"),
        pytest.param(("--auth", "off"), {}, id="--auth off"),
        pytest.param(("--auth", "none "), {"AUTH": "sigv4"}, id="--auth 'none '"),
    ],
)
def test_an_auth_other_than_sigv4_or_none_stops_the_server_in_one_line(
    arguments: tuple[str, ...], environment: dict[str, str]
) -> None:
    """Before anything starts (no storage, no port): a mistyped AUTH never turns signature checks off."""
    finished = _local_server(*arguments, environment=environment)
    assert finished.returncode == 2
    assert finished.stdout == ""
    [line] = finished.stderr.splitlines()
    assert "sigv4" in line
    assert "none" in line


def test_a_busy_port_is_reported_in_one_line_before_anything_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        finished = _local_server("--port", str(port))
    assert finished.returncode == 1
    [line] = finished.stderr.splitlines()  # no traceback, no banner: DynamoDB Local was never started
    assert f"port {port}" in line
    assert "in use" in line
