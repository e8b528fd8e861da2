"""EventBridge and the executions' services, locally, as far as the functions use them (README: Change
events and monitored executions, locally).

The functions run unchanged: botocore sends their calls to ``/_local/aws`` on the local server
(``AWS_ENDPOINT_URL_EVENTBRIDGE``, ``…_SFN``, ``…_ECS``, ``…_BATCH``, ``…_CODEBUILD``), where

- PutEvents to the change bus appends each event, as a rule's target would receive it, to
  ``<state dir>/events.jsonl`` (``xtasks events`` follows it);
- PutEvents to the default bus, and ``POST /_local/default-bus`` with one event as AWS delivers it (a file
  of tests/fixtures/aws_events/, say), goes through the template's EventBridge rules to the functions they
  invoke;
- Step Functions is a register of executions: StartExecution records one as RUNNING, a status-change event
  delivered here records its status, DescribeExecution answers from the register;
- every other call of the four services answers ResourceNotFoundException, as for an execution this account
  does not have (a step bound to one ends by the event delivered for it).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from xtasks_local.streams import matches
from xtasks_local.template import LambdaHandler, Template, load_handler

PREFIX = "/_local/"
AWS_PATH = "/_local/aws"
DEFAULT_BUS_PATH = "/_local/default-bus"
CHANGE_BUS = "external-tasks-local-changes"
CHANGE_BUS_RESOURCE = "ChangeEventBus"  # template.yaml's bus, which CHANGE_BUS stands for locally
ACCOUNT = "123456789012"
ENDPOINT_VARIABLES = ("EVENTBRIDGE", "SFN", "ECS", "BATCH", "CODEBUILD")

type Reply = tuple[int, dict[str, str], bytes]


def _json(status: int, data: Any, error_type: str | None = None) -> Reply:
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    if error_type is not None:
        headers["x-amzn-ErrorType"] = error_type
    return status, headers, json.dumps(data).encode()


def _error(error_type: str, message: str) -> Reply:
    return _json(400, {"__type": error_type, "message": message}, error_type)


class LocalAws:
    def __init__(self, template: Template, state_dir: Path, region: str) -> None:
        self.region = region
        self.sink = state_dir / "events.jsonl"
        self._lock = threading.Lock()
        self._executions: dict[str, str] = {}  # Step Functions execution ARN -> status
        self._rules: list[tuple[str, dict[str, Any], LambdaHandler]] = []
        for name, function in template.of_type("AWS::Serverless::Function").items():
            properties = function["Properties"]
            for event_name, event in properties.get("Events", {}).items():
                if (
                    event["Type"] in ("EventBridgeRule", "CloudWatchEvent")
                    and "EventBusName" not in event["Properties"]
                ):
                    handler = load_handler(
                        (template.path.parent / properties["CodeUri"]).resolve(),
                        properties.get("Handler", template.function_globals.get("Handler")),
                    )
                    self._rules.append((f"{name}.{event_name}", event["Properties"]["Pattern"], handler))

    def configure(self, base_url: str) -> None:
        """Point the functions' clients here; name the change bus."""
        for service in ENDPOINT_VARIABLES:
            os.environ[f"AWS_ENDPOINT_URL_{service}"] = base_url + AWS_PATH
        os.environ["EVENT_BUS_NAME"] = CHANGE_BUS

    # HTTP.

    def handle(  # noqa: PLR0911 - one answer per operation
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        if method != "POST":
            return _error("MethodNotAllowed", f"{method} is not served under {PREFIX}: POST")
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return _error("SerializationException", "the body is not JSON")
        if path.rstrip("/") == DEFAULT_BUS_PATH:
            if not isinstance(data, dict):
                return _error("ValidationException", "send one EventBridge event (a JSON object)")
            return _json(200, self.deliver(data))
        if not path.startswith(AWS_PATH):
            return _error("UnknownOperationException", f"no local service at {path}")
        target = {name.lower(): value for name, value in headers.items()}.get("x-amz-target", "")
        match target:
            case "AWSEvents.PutEvents":
                return _json(200, self.put_events(data.get("Entries", [])))
            case "AWSStepFunctions.StartExecution":
                return _json(200, self.start_execution(data))
            case "AWSStepFunctions.DescribeExecution":
                status = self._executions.get(str(data.get("executionArn")))
                if status is None:
                    return _error("ExecutionDoesNotExist", "no such execution locally")
                return _json(200, {"executionArn": data["executionArn"], "status": status})
            case _:
                return _error("ResourceNotFoundException", f"{target or path} is not emulated locally")

    # EventBridge.

    def put_events(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        results = []
        for entry in entries:
            event = {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": entry.get("DetailType"),
                "source": entry.get("Source"),
                "account": ACCOUNT,
                "time": _time(entry.get("Time")),
                "region": self.region,
                "resources": entry.get("Resources", []),
                "detail": json.loads(entry.get("Detail") or "{}"),
            }
            bus = str(entry.get("EventBusName") or "default").rsplit("/", 1)[-1]
            if bus == CHANGE_BUS:
                self._append(event)
            else:
                self.deliver(event)
            results.append({"EventId": event["id"]})
        return {"FailedEntryCount": 0, "Entries": results}

    def _append(self, event: dict[str, Any]) -> None:
        with self._lock:
            self.sink.parent.mkdir(parents=True, exist_ok=True)
            with self.sink.open("a", encoding="utf-8") as sink:
                sink.write(json.dumps(event, ensure_ascii=False) + "\n")

    def deliver(self, event: dict[str, Any]) -> dict[str, Any]:
        """An event on the default bus: remembered if it reports an execution's status, then handed to every
        function whose rule matches it."""
        detail = event.get("detail") or {}
        if event.get("source") == "aws.states" and isinstance(detail, dict) and detail.get("executionArn"):
            with self._lock:
                self._executions[str(detail["executionArn"])] = str(detail.get("status"))
        delivered = []
        for name, pattern, handler in self._rules:
            if not matches(pattern, event):
                continue
            try:
                delivered.append({"rule": name, "result": handler(event, None)})
            except Exception as error:  # EventBridge would retry; here the developer reads why
                sys.stderr.write(f"{name}: the function failed: {error}\n")
                delivered.append({"rule": name, "error": str(error)})
        return {"delivered": delivered}

    # Step Functions.

    def start_execution(self, request: Mapping[str, Any]) -> dict[str, Any]:
        machine, name = str(request["stateMachineArn"]), str(request.get("name") or uuid.uuid4())
        head, _, machine_name = machine.rpartition(":stateMachine:")
        arn = f"{head}:execution:{machine_name}:{name}"
        with self._lock:
            self._executions.setdefault(arn, "RUNNING")
        return {"executionArn": arn, "startDate": datetime.now(tz=UTC).timestamp()}


def _time(value: Any) -> str:
    is_time = isinstance(value, int | float)
    moment = datetime.fromtimestamp(value, tz=UTC) if is_time else datetime.now(tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
