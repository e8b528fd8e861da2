"""The local server, started for the HTTP tests on AWS's DynamoDB Local, and stopped after them."""

from __future__ import annotations

import configparser
import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REGION
from tests.support.http import Key, LocalApi
from xtasks_local import storage
from xtasks_local.template import ROOT

SHORT_CLEANUP = "SucceededJobCleanupMinutes=0.05 FailedJobCleanupMinutes=0.05"  # three seconds


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the local server exited:\n{log.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/capabilities")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the local server did not start:\n{log.read_text()[-3000:]}")


def _keys(state: Path) -> dict[str, Key]:
    stored = configparser.ConfigParser()
    stored.read(state / "credentials")
    return {
        profile: Key(stored[profile]["aws_access_key_id"], stored[profile]["aws_secret_access_key"])
        for profile in stored.sections()
    }


def _server(
    tmp_path_factory: pytest.TempPathFactory, endpoint: str, *, auth: str = "sigv4", parameters: str = ""
) -> Iterator[LocalApi]:
    port = storage.free_port()
    state = tmp_path_factory.mktemp(f"xtasks-{auth}")
    log = state / "server.log"
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    command = [sys.executable, "-m", "xtasks_local", "--port", str(port), "--auth", auth, "--region", REGION]
    command += [
        "--dynamodb-endpoint",
        endpoint,
        "--state-dir",
        str(state),
        "--parameter-overrides",
        parameters,
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=output)  # noqa: S603
    try:
        _wait_for(port, process, log)
        yield LocalApi(port, REGION, _keys(state), state=state)
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def local_api(
    tmp_path_factory: pytest.TempPathFactory, dynamodb_local: storage.DynamoDBLocal
) -> Iterator[LocalApi]:
    """The local API checking signatures and permissions, as API Gateway does."""
    yield from _server(tmp_path_factory, dynamodb_local.endpoint)


@pytest.fixture(scope="session")
def quick_cleanup_api(
    tmp_path_factory: pytest.TempPathFactory, ttl_dynamodb_local: storage.DynamoDBLocal
) -> Iterator[LocalApi]:
    """The local API with both cleanup delays set to three seconds, on a DynamoDB Local of its own."""
    yield from _server(tmp_path_factory, ttl_dynamodb_local.endpoint, parameters=SHORT_CLEANUP)


@pytest.fixture(scope="session")
def open_api(
    tmp_path_factory: pytest.TempPathFactory, dynamodb_local: storage.DynamoDBLocal
) -> Iterator[LocalApi]:
    """The local API with AUTH=none: every caller is the local administrator."""
    yield from _server(tmp_path_factory, dynamodb_local.endpoint, auth="none")


@pytest.fixture(params=["json", "xml"])
def api(request: pytest.FixtureRequest, local_api: LocalApi) -> LocalApi:
    """The signed local API in each wire format in turn."""
    return LocalApi(
        local_api.port, local_api.region, local_api.keys, format=request.param, state=local_api.state
    )
