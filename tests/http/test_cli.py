"""The xtasks command line against the local API, signed and with AUTH=none (issue: xtasks client and
command line; issue 10: every failure one line with its exit code, action replies in every format, ids
whole in tables)."""

from __future__ import annotations

import json
import os
import threading
import time
from xml.etree import ElementTree

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from tests.support.http import LocalApi
from xtasks import Client, Status
from xtasks.cli import app, watch_view
from xtasks_local import storage


@pytest.fixture
def environment(local_api: LocalApi, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A shell set up as the README says: the endpoint, and the local credentials file."""
    for name in [name for name in os.environ if name.startswith(("AWS_", "XTASKS_"))]:
        monkeypatch.delenv(name)
    assert local_api.state is not None
    return {
        "XTASKS_ENDPOINT": local_api.base,
        "AWS_SHARED_CREDENTIALS_FILE": str(local_api.state / "credentials"),
        "AWS_CONFIG_FILE": str(local_api.state / "config"),
        "AWS_PROFILE": "writer",
    }


def xtasks(environment: dict[str, str], *arguments: str, **overrides: str) -> Result:
    return CliRunner().invoke(app, list(arguments), env={**environment, **overrides}, catch_exceptions=False)


def test_jobs_and_steps_from_the_shell(environment: dict[str, str]) -> None:
    added = xtasks(environment, "job", "add", "Back up VM db01", "-q", "--correlation-id", "cli-flow-1")
    assert added.exit_code == 0, added.output
    job = added.stdout.strip()
    step = xtasks(environment, "step", "add", job, "Copy disk", "--type", "executing", "-q").stdout.strip()
    sub = xtasks(
        environment, "step", "add", job, "Verify", "-t", "validating", "--parent", step, "-q"
    ).stdout.strip()
    assert xtasks(environment, "step", "end", job, sub).exit_code == 0

    shown = json.loads(xtasks(environment, "job", "show", job, "-o", "json").stdout)
    assert shown["status"] == "started"
    assert shown["correlation_id"] == "cli-flow-1"
    tree = xtasks(environment, "job", "show", job, "--steps").stdout
    assert "Copy disk" in tree
    assert "Verify" in tree
    assert "finished" in tree
    listed = xtasks(environment, "step", "list", job, "-q").stdout.split()
    assert listed == [step, sub]
    xml = xtasks(environment, "-o", "xml", "step", "show", job, step).stdout
    assert ElementTree.fromstring(xml.split("\n", 1)[1]).get("id") == step

    assert xtasks(environment, "job", "end", job).exit_code == 0
    found = xtasks(environment, "job", "list", "--search", "correlation_id=cli-flow-1", "-o", "json").stdout
    assert [(j["id"], j["status"]) for j in json.loads(found)["job"]] == [(job, "finished")]
    assert xtasks(environment, "job", "clear", job).exit_code == 0


@pytest.mark.parametrize(
    ("arguments", "overrides", "code", "says"),
    [
        (["job", "show", "00000000-0000-4000-8000-000000000000"], {}, 3, "404 Not Found"),
        (["job", "add", "   "], {}, 7, "must not be blank"),
        (["job", "add", "readers cannot"], {"AWS_PROFILE": "reader"}, 5, "not authorized"),
        (["job", "list"], {"XTASKS_ENDPOINT": ""}, 8, "No endpoint"),
    ],
)
def test_errors_are_one_line_on_stderr_with_a_code_scripts_can_test(
    environment: dict[str, str], arguments: list[str], overrides: dict[str, str], code: int, says: str
) -> None:
    result = xtasks(environment, *arguments, **overrides)
    assert result.exit_code == code
    assert result.stdout == ""
    assert says in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_ending_twice_otherwise_is_a_conflict_exit_code(environment: dict[str, str]) -> None:
    job = xtasks(environment, "job", "add", "x", "-q").stdout.strip()
    assert xtasks(environment, "job", "end", job).exit_code == 0
    assert xtasks(environment, "job", "end", job).exit_code == 0  # the same outcome again: a retry
    conflict = xtasks(environment, "job", "end", job, "--failed")
    assert conflict.exit_code == 4
    assert "rule 4" in conflict.stderr


def _job_named(environment: dict[str, str], description: str) -> dict[str, str]:
    listed = json.loads(xtasks(environment, "job", "list", "-o", "json").stdout)["job"]
    return next(job for job in listed if job["description"] == description)


def test_run_wraps_a_command_in_a_job_and_passes_its_status_through(environment: dict[str, str]) -> None:
    ok = xtasks(environment, "run", "--description", "cli run ok", "--", "sh", "-c", "exit 0")
    assert ok.exit_code == 0
    assert _job_named(environment, "cli run ok")["status"] == "finished"
    failing = xtasks(environment, "run", "--description", "cli run failing", "--", "sh", "-c", "exit 3")
    assert failing.exit_code == 3
    assert _job_named(environment, "cli run failing")["status"] == "failed"
    missing = xtasks(environment, "run", "--description", "cli run missing", "--", "no-such-command-xtasks")
    assert missing.exit_code == 127
    assert "no-such-command-xtasks" in missing.stderr
    assert _job_named(environment, "cli run missing")["status"] == "failed"


def _client(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Client:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return Client.from_env()


def test_run_prints_the_job_id_with_q(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    result = xtasks(environment, "run", "-q", "--", "true")
    assert result.exit_code == 0
    assert _client(environment, monkeypatch).get_job(result.stdout.strip()).status is Status.FINISHED


def test_watch_renders_a_job_and_its_nested_steps(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(environment, monkeypatch)
    job = client.add_job("Watched job")
    copy = client.add_step(job.id, "Copy disks")
    client.add_step(job.id, "Copy disk 1", parent_step=copy.id)
    console = Console(record=True, width=100, force_terminal=False)
    view, done = watch_view(client, job.id)
    console.print(view)
    text = console.export_text()
    assert not done
    assert "Watched job [started]" in text
    lines = text.splitlines()
    copy_line = next(i for i, line in enumerate(lines) if "Copy disks" in line)
    assert "0. Copy disk 1 [started]" in lines[copy_line + 1]
    assert lines[copy_line + 1].index("0.") > lines[copy_line].index("0.")  # nested under its parent


def test_watch_follows_a_job_until_it_ends(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(environment, monkeypatch)
    job = client.add_job("Watched until the end")
    step = client.add_step(job.id, "Long copy")

    def plug_in() -> None:
        time.sleep(1.5)
        client.end_step(job.id, step.id)
        client.end_job(job.id)

    worker = threading.Thread(target=plug_in)
    worker.start()
    started = time.monotonic()
    result = xtasks(environment, "watch", job.id, "--interval", "0.3")
    worker.join()
    assert result.exit_code == 0
    assert time.monotonic() - started >= 1.5  # it waited for the job to end
    assert "Watched until the end [finished]" in result.stdout
    assert "Long copy [finished]" in result.stdout


def test_the_command_line_works_against_auth_none(
    open_api: LocalApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AUTH=none: any credentials do; every caller is the local administrator."""
    environment = {
        "XTASKS_ENDPOINT": open_api.base,
        "AWS_ACCESS_KEY_ID": "anything",
        "AWS_SECRET_ACCESS_KEY": "anything",
        "AWS_REGION": open_api.region,
    }
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    job = xtasks(environment, "job", "add", "Unsigned locally", "-q").stdout.strip()
    shown = json.loads(xtasks(environment, "job", "show", job, "-o", "json").stdout)
    assert shown["owner"]["id"].endswith(":role/LocalAdministrator")
    assert xtasks(environment, "run", "--", "true").exit_code == 0


def _unreachable() -> str:
    """An endpoint where nothing listens: any request to it fails to connect."""
    return f"http://127.0.0.1:{storage.free_port()}/api"


def _one_line(result: Result) -> str:
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


@pytest.mark.parametrize("host", ["127.0.0.1 where nothing listens", "xtasks-test.invalid"])
def test_an_unreachable_api_is_one_line_and_exit_6(environment: dict[str, str], host: str) -> None:
    # Given an endpoint that refuses connections, or a host name that does not resolve
    endpoint = _unreachable() if host.startswith("127.") else f"http://{host}/api"
    # When a command calls it
    result = xtasks(
        environment, "job", "show", "00000000-0000-4000-8000-000000000000", XTASKS_ENDPOINT=endpoint
    )
    # Then it says so on one line, and exits 6 as for an unavailable API
    assert result.exit_code == 6
    assert _one_line(result).startswith(f"xtasks: Cannot reach {endpoint}: ")


@pytest.mark.parametrize(
    "endpoint",
    ["localhost:3000/api", "ftp://127.0.0.1/api", "garbage", "http://127.0.0.1:99999/api", "http:///api"],
)
def test_a_malformed_endpoint_is_one_line_and_exit_8(environment: dict[str, str], endpoint: str) -> None:
    result = xtasks(environment, "job", "list", XTASKS_ENDPOINT=endpoint)
    assert result.exit_code == 8
    assert f"The endpoint {endpoint!r} is not usable" in _one_line(result)


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["job", "list", "--max", "0"], "--max must be a whole number from 1 to 1000, not '0'"),
        (["job", "list", "--max", "1001"], "--max must be a whole number from 1 to 1000"),
        (["job", "list", "--max", "-1"], "--max must be a whole number from 1 to 1000"),
        (["job", "list", "--max", "ten"], "--max must be a whole number from 1 to 1000"),
        (["job", "list", "--status", "done"], "--status must be one of started, finished"),
        (["-o", "xml", "job", "list", "--max", "0"], "--max must be a whole number"),
        (
            ["step", "add", "00000000-0000-4000-8000-000000000000", "Copy", "--type", "copying"],
            "--type must be",
        ),
        (["watch", "--interval", "0"], "--interval must be a positive number"),
    ],
)
def test_an_invalid_option_value_is_exit_7_before_any_request(
    environment: dict[str, str], arguments: list[str], says: str
) -> None:
    # Given an endpoint where nothing listens (a request would exit 6), when an option's value is invalid
    result = xtasks(environment, *arguments, XTASKS_ENDPOINT=_unreachable())
    # Then it is refused with exit 7, without a request
    assert result.exit_code == 7
    assert says in _one_line(result)


def test_an_endpoint_without_api_gets_a_hint_with_the_refusal(
    environment: dict[str, str], local_api: LocalApi
) -> None:
    # Given the local API's address without its /api base path
    endpoint = local_api.base.removesuffix("/api")
    # When a command calls it, then the gateway's refusal comes with what to fix
    result = xtasks(environment, "job", "list", XTASKS_ENDPOINT=endpoint)
    assert result.exit_code == 5
    assert "(the endpoint should end in /api, e.g. http://127.0.0.1:3000/api)" in _one_line(result)


@pytest.mark.parametrize("output", ["table", "json", "xml"])
def test_action_replies_are_printed_in_every_output_format(environment: dict[str, str], output: str) -> None:
    job = xtasks(environment, "job", "add", f"Actions in {output}", "-q").stdout.strip()
    step = xtasks(environment, "step", "add", job, "Copy disk", "-q").stdout.strip()
    for action in (["step", "end", job, step], ["job", "end", job, "--failed"], ["job", "clear", job]):
        # When an action is done with -o OUTPUT, then its reply is printed in that format
        result = xtasks(environment, "-o", output, *action)
        assert result.exit_code == 0, result.output
        on_job = action[0] == "job"  # a job's action reply names the job
        if output == "json":
            reply = json.loads(result.stdout)
            assert reply["status"] == "complete"
            assert not on_job or reply["job"]["id"] == job
        elif output == "xml":
            reply_xml = ElementTree.fromstring(result.stdout.split("\n", 1)[1])
            assert (reply_xml.tag, reply_xml.findtext("status")) == ("action", "complete")
        else:
            assert "complete" in result.stdout
            assert not on_job or job in result.stdout
    assert json.loads(xtasks(environment, "job", "show", job, "-o", "json").stdout)["status"] == "failed"


def test_actions_print_nothing_with_q(environment: dict[str, str]) -> None:
    job = xtasks(environment, "job", "add", "Quiet action", "-q").stdout.strip()
    result = xtasks(environment, "job", "end", job, "-q")
    assert (result.exit_code, result.stdout) == (0, "")


def test_ids_are_never_wrapped_in_tables_60_columns_wide(environment: dict[str, str]) -> None:
    # Given a terminal 60 columns wide, and a job and a step with long descriptions
    job = xtasks(
        environment, "job", "add", "A job " * 12, "--correlation-id", "cli-narrow-1", "-q"
    ).stdout.strip()
    step = xtasks(environment, "step", "add", job, "A step " * 12, "-q").stdout.strip()
    # When they are listed as tables
    jobs = xtasks(environment, "job", "list", "--search", "correlation_id=cli-narrow-1", COLUMNS="60").stdout
    steps = xtasks(environment, "step", "list", job, COLUMNS="60").stdout
    # Then each id is whole on one line, and the tables fit the terminal
    assert any(job in line for line in jobs.splitlines()), jobs
    assert any(step in line for line in steps.splitlines()), steps
    assert max(len(line) for line in (jobs + steps).splitlines()) <= 60
