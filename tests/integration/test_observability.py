"""What an on-call engineer reads: every log line of a request carries Lambda's context (request id, cold
start), the correlation id, the job and the caller; a misconfigured function says so once, at its cold start,
and answers 503; business events are published as metrics (docs/operations.md)."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from external_tasks import jobs, observability
from tests.support.api import Api
from xtasks_local.template import ROOT

CORRELATION_ID = "restore-db01-7"


@contextlib.contextmanager
def _logged() -> Iterator[list[dict[str, Any]]]:
    """The JSON lines the functions log meanwhile, as CloudWatch Logs stores them."""
    handler = observability.logger().registered_handler
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    lines: list[dict[str, Any]] = []
    try:
        yield lines
    finally:
        handler.setStream(previous)
        lines += [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_failing_requests_log_line_carries_the_lambda_request_id_and_the_correlation_id(
    json_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = json_api.new_job()

    def defect(*_: Any, **__: Any) -> None:
        raise RuntimeError("a defect")

    monkeypatch.setattr(jobs, "end_job", defect)
    with _logged() as lines:
        reply = json_api.request(
            "POST", f"/jobs/{job_id}/end", body={}, headers=[("Correlation-Id", CORRELATION_ID)]
        )
    assert reply.status == 500
    assert "a defect" not in reply.body  # the trace is logged, never answered
    (line,) = lines
    sent = json_api.sent[-1]
    assert line["level"] == "ERROR"
    assert line["message"] == "request failed"
    assert line["function_request_id"] == sent["requestContext"]["requestId"]
    assert line["function_name"] == "EndJobFunction"
    assert line["cold_start"] is False  # the job was added by an earlier invocation of this process
    assert line["correlation_id"] == CORRELATION_ID == reply.header("Correlation-Id")
    assert line["job_id"] == job_id
    assert line["caller"] == sent["requestContext"]["identity"]["userArn"]
    assert "RuntimeError: a defect" in line["exception"]


def test_each_line_carries_its_own_requests_context_only(json_api: Api) -> None:
    with _logged() as lines:
        job_id = json_api.new_job()
        refused = json_api.request("POST", "/jobs", body={"description": ""})
    added, refusal = lines
    assert (added["message"], added["job_id"]) == ("request done", job_id)
    assert (refusal["message"], refusal["status"]) == ("request refused", refused.status)
    assert "job_id" not in refusal
    assert added["function_request_id"] != refusal["function_request_id"]
    assert added["correlation_id"] != refusal["correlation_id"]


def test_failing_a_step_counts_the_failed_job(json_api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    job_id = json_api.new_job()
    step_id = json_api.add_step(job_id).data["id"]
    capsys.readouterr()
    assert json_api.end_step(job_id, step_id, succeeded=False).status == 200
    published = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    (metrics,) = published
    assert metrics["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ExternalTasks"
    assert metrics["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    assert (metrics["StepEnded"], metrics["JobFailed"], metrics["service"]) == (
        [1.0],
        [1.0],
        "external-tasks",
    )


def _fresh_function(route: str, environment: dict[str, str], event: dict[str, Any]) -> dict[str, Any]:
    """Cold-starts the route's function in a process of its own with ``environment``, invokes it once with
    ``event``: its log lines, its reply and whether it imported Powertools."""
    script = f"""
import json, sys
from xtasks_local.template import Template
route = next(r for r in Template().routes if r.function == {route!r})
reply = route.load()(json.loads(sys.argv[1]), None)
print(json.dumps({{"reply": reply, "powertools": "aws_lambda_powertools" in sys.modules}}))
"""
    variables = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("POWERTOOLS_", "PAGE_TOKEN"))
    }
    variables.pop("TABLE_NAME", None)
    result = subprocess.run(  # noqa: S603 - this interpreter, a script of this test
        [sys.executable, "-c", script, json.dumps(event)],
        env={**variables, **environment, "PYTHONPATH": os.pathsep.join(sys.path)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    *logged, outcome = result.stdout.splitlines()
    return {"logged": [json.loads(line) for line in logged], **json.loads(outcome)}


def _capabilities_event(json_api: Api) -> dict[str, Any]:
    json_api.request("GET", "/capabilities")
    return json_api.sent[-1]


CONFIGURED = {"TABLE_NAME": "jobs", "PAGE_TOKEN_KEY": "k", "POWERTOOLS_SERVICE_NAME": "external-tasks"}


def test_a_missing_or_malformed_variable_is_one_line_at_the_cold_start_and_a_503(json_api: Api) -> None:
    environment = {**CONFIGURED, "SUCCEEDED_JOB_CLEANUP_MINUTES": "ten"}
    del environment["TABLE_NAME"]
    started = _fresh_function("CapabilitiesFunction", environment, _capabilities_event(json_api))
    at_start, at_request = started["logged"]
    assert at_start["message"] == "invalid configuration"
    assert at_start["problems"] == [
        "TABLE_NAME is not set",
        "SUCCEEDED_JOB_CLEANUP_MINUTES must be 0 or more minutes, not 'ten'",
    ]
    assert "function_request_id" not in at_start  # logged at start, before any request
    assert at_request["message"] == "invalid configuration"
    assert at_request["status"] == 503
    reply = started["reply"]
    assert reply["statusCode"] == 503
    fault = json.loads(reply["body"])
    assert fault["reason"] == "Service Unavailable"
    assert "not configured correctly" in fault["detail"]
    assert "Traceback" not in reply["body"]
    assert "Retry-After" not in reply["headers"]  # retrying cannot help


def test_a_route_that_succeeds_without_logging_never_imports_powertools(json_api: Api) -> None:
    """The cold start of a read pays nothing for the log context (observability imports Powertools on use)."""
    started = _fresh_function("CapabilitiesFunction", CONFIGURED, _capabilities_event(json_api))
    assert started["reply"]["statusCode"] == 200
    assert started["logged"] == []
    assert started["powertools"] is False
