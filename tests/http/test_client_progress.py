"""The client and command line against the local API: progress, heartbeats and timeouts (typed in Python,
commands in a shell), and the job block that keeps a timed job alive in the background."""

from __future__ import annotations

import json
import os
import time

import pytest
from botocore.credentials import Credentials
from typer.testing import CliRunner, Result

from tests.support.http import LocalApi
from xtasks import Client, Conflict, Retries, Status
from xtasks.cli import app


def _client(api: LocalApi) -> Client:
    key = api.keys["writer"]
    credentials = Credentials(key.access_key_id, key.secret_access_key)
    return Client(api.base, region=api.region, credentials=credentials, retries=Retries(base=0.01))


def test_progress_heartbeats_and_timeouts_round_trip_typed(local_api: LocalApi) -> None:
    client = _client(local_api)
    job = client.add_job("Copy VM db01", timeout=120)
    assert job.timeout == 120
    assert job.deadline is not None
    step = client.add_step(job.id, "Copy disk")
    assert client.report_step_progress(job.id, step.id, 40).progress == 40
    reported = client.report_job_progress(job.id, 25)
    assert reported.progress == 25
    assert reported.deadline is not None
    assert reported.deadline >= job.deadline
    client.heartbeat(job.id)
    client.end_job(job.id)
    ended = client.get_job(job.id, steps=True)
    assert (ended.status, ended.progress, ended.deadline) == (Status.FINISHED, 100, None)
    assert ended.steps is not None
    assert ended.steps[0].progress == 100
    with pytest.raises(Conflict):
        client.heartbeat(job.id)


def test_a_job_block_with_a_timeout_heartbeats_until_it_ends(
    local_api: LocalApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("xtasks.scopes.HEARTBEATS_PER_TIMEOUT", 200)  # every 0.3 s for a minute's timeout
    client = _client(local_api)
    with client.job("Copy VM db02", timeout=60) as job:
        assert job.job is not None
        first = job.job.deadline
        with job.step("Copy disk") as step:
            step.progress(50)
            time.sleep(1.5)
            job.progress(60)
        renewed = client.get_job(job.id).deadline
        assert first is not None
        assert renewed is not None
        assert renewed > first
    assert client.get_job(job.id).status is Status.FINISHED


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
    }


def xtasks(environment: dict[str, str], *arguments: str) -> Result:
    return CliRunner().invoke(app, list(arguments), env=environment, catch_exceptions=False)


def test_progress_heartbeats_and_timeouts_from_the_shell(environment: dict[str, str]) -> None:
    added = xtasks(environment, "job", "add", "Restore VM db01", "--timeout", "300", "-q")
    assert added.exit_code == 0, added.output
    job = added.stdout.strip()
    step = xtasks(environment, "step", "add", job, "Copy the image", "-q").stdout.strip()
    progressed = xtasks(environment, "step", "progress", job, step, "40", "-o", "json")
    assert progressed.exit_code == 0, progressed.output
    assert json.loads(progressed.stdout)["progress"] == 40
    shown = xtasks(environment, "job", "progress", job, "25", "-o", "json")
    assert json.loads(shown.stdout)["timeout"] == 300
    beat = xtasks(environment, "job", "heartbeat", job, "-o", "json")
    assert json.loads(beat.stdout)["status"] == "complete"
    tree = xtasks(environment, "job", "show", job, "--steps").stdout
    assert "40%" in tree
    assert "25%" in tree
    assert "deadline in 4m" in tree
    refused = xtasks(environment, "step", "progress", job, step, "101")
    assert refused.exit_code == 7
    assert "PERCENT must be a whole number from 0 to 100" in refused.stderr
    assert xtasks(environment, "job", "add", "x", "--timeout", "59").exit_code == 7
    assert xtasks(environment, "job", "end", job).exit_code == 0
    assert xtasks(environment, "job", "heartbeat", job).exit_code == 4


def test_run_with_a_timeout(environment: dict[str, str]) -> None:
    ran = xtasks(environment, "run", "--timeout", "60", "-q", "--", "true")
    assert ran.exit_code == 0, ran.output
    job = ran.stdout.strip()
    shown = json.loads(xtasks(environment, "job", "show", job, "-o", "json").stdout)
    assert (shown["status"], shown["timeout"]) == ("finished", 60)
