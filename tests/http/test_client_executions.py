"""The client and command line for monitored executions and change events, against the local API."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from botocore.credentials import Credentials
from typer.testing import CliRunner

from tests.support.http import LocalApi
from xtasks import Client, InvalidArgument, Retries, Status
from xtasks.cli import app

SAMPLE = Path(__file__).parents[1] / "fixtures" / "aws_events" / "states-execution-succeeded.json"


def _client(api: LocalApi) -> Client:
    key = api.keys["writer"]
    credentials = Credentials(key.access_key_id, key.secret_access_key)
    return Client(api.base, region=api.region, credentials=credentials, retries=Retries(base=0.01))


def _execution() -> str:
    """A Step Functions execution ARN of its own for each test."""
    return f"arn:aws:states:us-east-1:123456789012:execution:nightly:run-{time.time_ns()}"


def _succeeded(api: LocalApi, arn: str) -> None:
    event: dict[str, Any] = json.loads(SAMPLE.read_text())
    event["detail"]["executionArn"] = arn
    request = urllib.request.Request(
        f"http://{api.host}/_local/default-bus", data=json.dumps(event).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310
        pass


def test_a_step_bound_to_an_execution_is_ended_by_it(local_api: LocalApi) -> None:
    client, arn = _client(local_api), _execution()
    job = client.add_job("Nightly")
    step = client.add_step(job.id, "Run the state machine", execution=arn)
    assert step.execution == arn
    assert step.status is Status.STARTED
    _succeeded(local_api, arn)
    assert client.get_step(job.id, step.id).status is Status.FINISHED


def test_a_bound_step_block_leaves_the_step_to_its_execution_unless_it_raises(local_api: LocalApi) -> None:
    client = _client(local_api)
    with client.job("Nightly") as job, job.step("Run", execution=_execution()) as bound:
        pass
    assert client.get_step(job.id, bound.id).status is Status.FINISHED  # with its job, which ended finished
    with (
        pytest.raises(RuntimeError),
        client.job("Nightly") as failing,
        failing.step("Run", execution=_execution()) as raised,
    ):
        raise RuntimeError("the plug-in gave up")
    assert client.get_step(failing.id, raised.id).status is Status.FAILED
    with client.job("Nightly") as open_job:
        with open_job.step("Run", execution=_execution()) as left:
            pass
        assert client.get_step(open_job.id, left.id).status is Status.STARTED


def test_bind_or_start_never_both(local_api: LocalApi) -> None:
    client = _client(local_api)
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:nightly"
    with pytest.raises(InvalidArgument):
        client.add_step(
            "00000000-0000-4000-8000-000000000000", "Run", execution=_execution(), state_machine=machine
        )
    with pytest.raises(InvalidArgument):
        client.add_step("00000000-0000-4000-8000-000000000000", "Run", input={"vm": "db01"})


@pytest.fixture
def environment(local_api: LocalApi, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in [name for name in os.environ if name.startswith(("AWS_", "XTASKS_"))]:
        monkeypatch.delenv(name)
    assert local_api.state is not None
    return {
        "XTASKS_ENDPOINT": local_api.base,
        "AWS_SHARED_CREDENTIALS_FILE": str(local_api.state / "credentials"),
        "AWS_CONFIG_FILE": str(local_api.state / "config"),
        "AWS_PROFILE": "writer",
        "XTASKS_EVENTS_FILE": str(local_api.state / "events.jsonl"),
    }


def xtasks(environment: dict[str, str], *arguments: str) -> Any:
    return CliRunner().invoke(app, list(arguments), env=environment, catch_exceptions=False)


def test_the_command_line_binds_steps_and_prints_the_change_events(environment: dict[str, str]) -> None:
    job = xtasks(environment, "job", "add", "Nightly", "-q").stdout.strip()
    arn = _execution()
    added = xtasks(environment, "step", "add", job, "Run", "--execution", arn, "-o", "json")
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["execution"]["arn"] == arn
    refused = xtasks(environment, "step", "add", job, "Run", "--state-machine", "arn:x", "--input", "[1]")
    assert refused.exit_code == 7
    assert "--input must be a JSON object" in refused.stderr
    lines: list[str] = []
    for _ in range(60):  # the stream is polled every second
        lines = xtasks(environment, "events", "--job", job).stdout.splitlines()
        if len(lines) >= 2:
            break
        time.sleep(0.5)
    assert "Job Status Change" in lines[0]
    assert f"{job}  - -> started" in lines[0]
    assert "Step Status Change" in lines[1]
    as_json = [
        json.loads(line)
        for line in xtasks(environment, "events", "--job", job, "-o", "json").stdout.splitlines()
    ]
    assert as_json[1]["detail"]["step"]["execution"]["arn"] == arn
    missing = xtasks({**environment, "XTASKS_EVENTS_FILE": "/nonexistent/events.jsonl"}, "events")
    assert missing.exit_code == 8
