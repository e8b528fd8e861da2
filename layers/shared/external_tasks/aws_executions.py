"""Calling the four services whose executions steps are bound to: the only code that does (executions.py says
what their ARNs and states mean). Clients are botocore's, made on first use, one per service and execution
environment; their endpoints follow botocore's configuration (``AWS_ENDPOINT_URL_SFN``, …), which the local
server sets.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Any

from external_tasks import executions, observability
from external_tasks.errors import Invalid, Unavailable
from external_tasks.executions import ExecutionKind
from external_tasks.model import Status

_BUSY = frozenset(
    {"ThrottlingException", "TooManyRequestsException", "ServiceUnavailable", "InternalServerError"}
)


@functools.cache
def client(service: str) -> Any:
    import botocore.config
    import botocore.session

    config = botocore.config.Config(
        connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3}
    )
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return botocore.session.get_session().create_client(service, region_name=region, config=config)


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def start(state_machine: str, name: str, input_json: str) -> str:
    """Start the state machine's execution named ``name``; its ARN. Starting it again with the same input is
    no second execution: Step Functions answers the first one's ARN (or ExecutionAlreadyExists once it has
    ended), so a repeated add step never starts two."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        reply = client("stepfunctions").start_execution(
            stateMachineArn=state_machine, name=name, input=input_json
        )
    except ClientError as error:
        code = _code(error)
        if code == "ExecutionAlreadyExists":
            return executions.execution_of(state_machine, name)
        if code in _BUSY:
            raise Unavailable(f"Step Functions is busy ({code}); retry shortly") from error
        if code in ("StateMachineDoesNotExist", "StateMachineDeleting", "InvalidArn"):
            raise Invalid(f"execution [state_machine] {state_machine} cannot be started ({code})") from error
        if code == "InvalidExecutionInput":
            raise Invalid(f"execution [input] is not accepted by Step Functions ({error})") from error
        raise
    except BotoCoreError as error:
        raise Unavailable(f"Step Functions did not answer ({type(error).__name__}); retry shortly") from error
    return str(reply["executionArn"])


def describe(arn: str) -> Status | None:  # noqa: PLR0911 - one answer per kind
    """How the execution ended, or None while it runs, or when it cannot be read (it then ends by its
    status-change event)."""
    from botocore.exceptions import BotoCoreError, ClientError

    kind = executions.kind_of(arn)
    try:
        match kind:
            case ExecutionKind.STATES:
                reply = client("stepfunctions").describe_execution(executionArn=arn)
                return executions.states_outcome(str(reply.get("status")))
            case ExecutionKind.CODEBUILD:
                builds = client("codebuild").batch_get_builds(ids=[executions.build_id(arn)])["builds"]
                return executions.codebuild_outcome(str(builds[0].get("buildStatus"))) if builds else None
            case ExecutionKind.BATCH:
                jobs = client("batch").describe_jobs(jobs=[executions.batch_job_id(arn)])["jobs"]
                return executions.batch_outcome(str(jobs[0].get("status"))) if jobs else None
            case ExecutionKind.ECS:
                cluster = executions.ecs_cluster(arn)
                if cluster is None:
                    return None  # a short task ARN does not say which cluster to ask
                tasks = client("ecs").describe_tasks(cluster=cluster, tasks=[arn])["tasks"]
                return ecs_outcome(tasks[0]) if tasks else None
            case None:
                return None
    except (BotoCoreError, ClientError) as error:
        observability.logger().warning(
            "execution could not be described: its status-change event will end the step",
            extra={"execution": arn, "error": str(error)},
        )
        return None


def ecs_outcome(task: Mapping[str, Any]) -> Status | None:
    """A stopped task's outcome, its task definition read when a container did not exit 0 (only the
    essential containers count)."""
    from botocore.exceptions import BotoCoreError, ClientError

    outcome = executions.ecs_outcome(task)
    if outcome is not Status.FAILED or "taskDefinitionArn" not in task:
        return outcome
    try:
        essential = essential_containers(str(task["taskDefinitionArn"]))
    except (BotoCoreError, ClientError) as error:
        if _code(error) in _BUSY:
            raise  # the event is delivered again
        observability.logger().warning(
            "task definition unreadable: every container taken to be essential",
            extra={"task": task.get("taskArn"), "error": str(error)},
        )
        return outcome
    return executions.ecs_outcome(task, essential)


@functools.cache
def essential_containers(task_definition: str) -> Mapping[str, bool]:
    """Container name to whether the task definition marks it essential (the default)."""
    definition = client("ecs").describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
    return {
        str(container["name"]): bool(container.get("essential", True))
        for container in definition.get("containerDefinitions", [])
    }
