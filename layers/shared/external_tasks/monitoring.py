"""Steps that AWS executions end (docs/api.md: Monitored executions): adding a step bound to an execution,
started by the service or already running, and ending it when the execution ends.

A step is bound by a binding item written with it (store/bindings.py). Its execution's status-change event
ends it through ``jobs.end_step``, on behalf of the job's owner, so rule 3 (a failed step fails its job) and
rule 4 (the first outcome wins; the same event twice changes nothing) hold as for a plug-in's own end. Right
after binding, the execution is described: one that has already ended (whose event may have come before the
binding) ends the step at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from external_tasks import aws_executions, executions, jobs, observability, rules
from external_tasks.config import settings
from external_tasks.errors import Conflict, Forbidden, NotFound
from external_tasks.model import Caller, Status, Step, StepType
from external_tasks.requests import ExecutionRequest
from external_tasks.store import job_store


def add_step(
    caller: Caller,
    job_id: str,
    description: str,
    step_type: StepType,
    parent_step_id: str | None,
    *,
    execution: ExecutionRequest,
    idempotency_key: str | None = None,
) -> Step:
    """A new step bound to ``execution``: the one named by its ARN, or one of the state machine started now
    and named after the step's id."""
    step_id = jobs.step_id_for(caller, job_id, idempotency_key)
    if execution.state_machine is not None:
        made = _made_before(job_id, step_id) if idempotency_key is not None else None
        if made is not None and made.execution is not None:
            arn = made.execution  # a repeated request: its step, and so its execution, exist
        else:
            arn = _start(caller, job_id, step_id, execution.state_machine, execution.input or {})
    else:
        assert execution.arn is not None
        arn = execution.arn
    step = jobs.add_step(
        caller,
        job_id,
        description,
        step_type,
        parent_step_id,
        idempotency_key=idempotency_key,
        execution=arn,
        step_id=step_id,
    )
    outcome = aws_executions.describe(arn) if step.status is Status.STARTED else None
    if outcome is not None and end_bound_step(arn, outcome):
        return jobs.get_step(job_id, step.id)
    return step


def _made_before(job_id: str, step_id: str) -> Step | None:
    return job_store().get_job_and_steps(job_id, [step_id])[1].get(step_id)


def _start(caller: Caller, job_id: str, step_id: str, state_machine: str, data: Mapping[str, Any]) -> str:
    """Start the execution once the caller may add the step: never for a job it could not be added to."""
    config = settings()
    if state_machine not in config.monitored_state_machines:
        listed = ", ".join(config.monitored_state_machines) or "none"
        raise Forbidden(
            f"State machine {state_machine} is not one this service may start "
            f"(MonitoredStateMachines: {listed})"
        )
    job = jobs.get_job(job_id)
    rules.check_may_change(caller, job, config.admin_principals, "add steps to")
    rules.check_open(job)
    arn = aws_executions.start(state_machine, step_id, json.dumps(data, ensure_ascii=False))
    observability.count("ExecutionStarted")
    return arn


def end_bound_step(arn: str, outcome: Status) -> bool:
    """End the step bound to the execution ``arn`` with ``outcome``; whether this changed it. An execution
    no step is bound to, a step already ended (by the same outcome, or by its plug-in first) and a job
    cleared away change nothing."""
    binding = job_store().find_binding(arn)
    log = observability.logger()
    if binding is None:
        log.info("no step is bound to this execution", extra={"execution": arn})
        return False
    try:
        changed = jobs.end_step(Caller(binding.owner), binding.job_id, binding.step_id, outcome, force=False)
    except (Conflict, NotFound) as reason:
        log.info(
            "bound step not ended",
            extra={
                "execution": arn,
                "job_id": binding.job_id,
                "step_id": binding.step_id,
                "why": reason.detail,
            },
        )
        return False
    log.info(
        "bound step ended" if changed else "bound step had already ended so",
        extra={"execution": arn, "job_id": binding.job_id, "step_id": binding.step_id, "outcome": outcome},
    )
    return changed


def on_status_change(event: Mapping[str, Any]) -> dict[str, Any]:
    """An EventBridge status-change event of one of the four services (template.yaml's rules pass only
    ends): the bound step ended with the mapped outcome."""
    ended = executions.ended_by_event(event)
    if ended is not None and executions.kind_of(ended.arn) is executions.ExecutionKind.ECS:
        outcome = aws_executions.ecs_outcome(event.get("detail") or {})
        ended = None if outcome is None else executions.Ended(ended.arn, outcome)
    if ended is None:
        observability.logger().info("not an execution's end", extra={"event_id": event.get("id")})
        return {"ended": False}
    changed = end_bound_step(ended.arn, ended.outcome)
    if changed:
        observability.count("BoundStepEnded")
    observability.flush_metrics()
    return {"ended": changed, "execution": ended.arn, "outcome": str(ended.outcome)}
