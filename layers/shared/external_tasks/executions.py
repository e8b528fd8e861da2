"""Monitored executions (docs/api.md: Monitored executions): the AWS executions a step may be bound to, how
their ARNs read, and which outcome each of their end states gives the step. Pure: no I/O.

Four kinds, named as ``GET /capabilities`` lists them: Step Functions executions, CodeBuild builds, AWS Batch
jobs and ECS tasks. Each reports its end through an EventBridge status-change event on the account's default
bus (``outcome_of_event``) and can be asked for its state (``monitoring.describe``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from external_tasks.model import Status

_PARTITION_REGION_ACCOUNT = r"arn:aws(?:-[a-z]+)*:{service}:[a-z]{{2}}(?:-[a-z]+)+-[0-9]:[0-9]{{12}}"


class ExecutionKind(StrEnum):
    STATES = "states:execution"
    CODEBUILD = "codebuild:build"
    BATCH = "batch:job"
    ECS = "ecs:task"


# The ARN each kind accepts, as a regular expression (also shown in GET /capabilities and in the 400 that
# refuses any other ARN). Express workflows send no status-change events, so their executions
# (``…:express:…``) are not accepted.
ARN_PATTERNS: Mapping[ExecutionKind, str] = {
    ExecutionKind.STATES: _PARTITION_REGION_ACCOUNT.format(service="states")
    + r":execution:[A-Za-z0-9_-]{1,80}:[A-Za-z0-9_-]{1,80}",
    ExecutionKind.CODEBUILD: _PARTITION_REGION_ACCOUNT.format(service="codebuild")
    + r":build/[A-Za-z0-9][A-Za-z0-9_-]{1,254}:[A-Za-z0-9-]{1,64}",
    ExecutionKind.BATCH: _PARTITION_REGION_ACCOUNT.format(service="batch") + r":job/[0-9a-f-]{36}",
    ExecutionKind.ECS: _PARTITION_REGION_ACCOUNT.format(service="ecs")
    + r":task/(?:[A-Za-z0-9_-]{1,255}/)?[0-9a-f-]{32,36}",
}
STATE_MACHINE_PATTERN = (
    _PARTITION_REGION_ACCOUNT.format(service="states") + r":stateMachine:[A-Za-z0-9_-]{1,80}"
)
_COMPILED = {kind: re.compile(pattern) for kind, pattern in ARN_PATTERNS.items()}
_STATE_MACHINE = re.compile(STATE_MACHINE_PATTERN)


def kind_of(arn: str) -> ExecutionKind | None:
    """The kind of execution the ARN names, or None for any other ARN."""
    return next((kind for kind, pattern in _COMPILED.items() if pattern.fullmatch(arn)), None)


def is_state_machine(arn: str) -> bool:
    return _STATE_MACHINE.fullmatch(arn) is not None


def execution_of(state_machine_arn: str, name: str) -> str:
    """The ARN of the execution of the state machine named ``name``, before it is started."""
    head, _, machine = state_machine_arn.rpartition(":stateMachine:")
    return f"{head}:execution:{machine}:{name}"


def _parts(arn: str) -> tuple[str, str, str, str]:
    """Partition, region, account and resource of an ARN."""
    _, partition, _, region, account, resource = arn.split(":", 5)
    return partition, region, account, resource


def console_url(arn: str) -> str | None:  # noqa: PLR0911 - one address per kind
    """The execution's page in the AWS console; None where the console's address is not known (partitions
    other than ``aws``, ECS task ARNs without a cluster)."""
    kind = kind_of(arn)
    if kind is None:
        return None
    partition, region, account, resource = _parts(arn)
    if partition != "aws":
        return None
    home = f"https://{region}.console.aws.amazon.com"
    match kind:
        case ExecutionKind.STATES:
            return f"{home}/states/home?region={region}#/v2/executions/details/{arn}"
        case ExecutionKind.CODEBUILD:
            build_id = resource.removeprefix("build/")
            project = build_id.partition(":")[0]
            return (
                f"{home}/codesuite/codebuild/{account}/projects/{project}/build/{quote(build_id, safe='')}"
                f"/?region={region}"
            )
        case ExecutionKind.BATCH:
            return f"{home}/batch/home?region={region}#jobs/detail/{resource.removeprefix('job/')}"
        case ExecutionKind.ECS:
            cluster, _, task = resource.removeprefix("task/").rpartition("/")
            if not cluster:
                return None
            return f"{home}/ecs/v2/clusters/{cluster}/tasks/{task}?region={region}"


def ecs_cluster(arn: str) -> str | None:
    """The cluster named in an ECS task ARN (the long ARN format), else None."""
    cluster, _, _ = _parts(arn)[3].removeprefix("task/").rpartition("/")
    return cluster or None


def build_id(arn: str) -> str:
    """A CodeBuild build's id (``project:uuid``) from its ARN."""
    return _parts(arn)[3].removeprefix("build/")


def batch_job_id(arn: str) -> str:
    return _parts(arn)[3].removeprefix("job/")


# Outcomes. Each service's own words for an ended execution, and what the step ends as; any state not listed
# means the execution is still going.

_STATES_OUTCOMES = {
    "SUCCEEDED": Status.FINISHED,
    "FAILED": Status.FAILED,
    "TIMED_OUT": Status.FAILED,
    "ABORTED": Status.ABORTED,
}
_CODEBUILD_OUTCOMES = {
    "SUCCEEDED": Status.FINISHED,
    "FAILED": Status.FAILED,
    "FAULT": Status.FAILED,
    "TIMED_OUT": Status.FAILED,
    "STOPPED": Status.ABORTED,
}
_BATCH_OUTCOMES = {"SUCCEEDED": Status.FINISHED, "FAILED": Status.FAILED}
# Why ECS stopped a task: by someone (the API, a deployment scaling in) or because of a fault.
_ECS_STOPPED_BY_SOMEONE = frozenset({"UserInitiated", "ServiceSchedulerInitiated"})

# The end states each rule on the default bus matches (template.yaml, MonitorExecutionsFunction).
END_STATES: Mapping[ExecutionKind, Sequence[str]] = {
    ExecutionKind.STATES: tuple(_STATES_OUTCOMES),
    ExecutionKind.CODEBUILD: tuple(_CODEBUILD_OUTCOMES),
    ExecutionKind.BATCH: tuple(_BATCH_OUTCOMES),
    ExecutionKind.ECS: ("STOPPED",),
}


def states_outcome(status: str) -> Status | None:
    return _STATES_OUTCOMES.get(status)


def codebuild_outcome(status: str) -> Status | None:
    return _CODEBUILD_OUTCOMES.get(status)


def batch_outcome(status: str) -> Status | None:
    return _BATCH_OUTCOMES.get(status)


def ecs_outcome(task: Mapping[str, Any], essential: Mapping[str, bool] | None = None) -> Status | None:
    """A stopped task: aborted when someone stopped it, finished when every essential container exited 0,
    else failed. ``essential``: container name to whether its task definition marks it essential (a
    container it does not name is essential, as in ECS); None: every container is taken to be essential.
    ``task`` is DescribeTasks' task or the detail of an "ECS Task State Change" event (same field names)."""
    if task.get("lastStatus") != "STOPPED":
        return None
    if task.get("stopCode") in _ECS_STOPPED_BY_SOMEONE:
        return Status.ABORTED
    containers = [
        container
        for container in task.get("containers", [])
        if essential is None or essential.get(str(container.get("name")), True)
    ]
    if containers and all(container.get("exitCode") == 0 for container in containers):
        return Status.FINISHED
    return Status.FAILED


@dataclass(frozen=True, slots=True)
class Ended:
    """An execution's end, as a status-change event reports it."""

    arn: str
    outcome: Status


def ended_by_event(event: Mapping[str, Any], essential: Mapping[str, bool] | None = None) -> Ended | None:
    """The end an EventBridge status-change event reports; None when the event reports no end (or is not
    one of the four services' status-change events)."""
    detail = event.get("detail") or {}
    match event.get("source"), event.get("detail-type"):
        case "aws.states", "Step Functions Execution Status Change":
            arn, outcome = detail.get("executionArn"), states_outcome(str(detail.get("status")))
        case "aws.codebuild", "CodeBuild Build State Change":
            arn, outcome = detail.get("build-id"), codebuild_outcome(str(detail.get("build-status")))
        case "aws.batch", "Batch Job State Change":
            arn, outcome = detail.get("jobArn"), batch_outcome(str(detail.get("status")))
        case "aws.ecs", "ECS Task State Change":
            arn, outcome = detail.get("taskArn"), ecs_outcome(detail, essential)
        case _:
            return None
    if not isinstance(arn, str) or outcome is None:
        return None
    return Ended(arn, outcome)
