"""openapi/openapi.json is generated from the models, and what the service renders conforms to it."""

from __future__ import annotations

from dataclasses import replace

from external_tasks.config import CleanupDelays
from external_tasks.executions import ExecutionKind
from external_tasks.http import views
from external_tasks.http.representation import to_json
from external_tasks.model import Closure, Job, Page, Status, Step, StepType
from external_tasks.search import SEARCH_TERMS
from tools import openapi

JOB = Job(
    id="1a2b3c4d-0000-4000-8000-000000000001",
    description="Back up VM db01 💾",
    owner="arn:aws:iam::123456789012:role/ExternalTasks",
    status=Status.FAILED,
    start_time=1_000,
    last_updated=3_000,
    auto_cleared=True,
    correlation_id="backup-1",
    end_time=3_000,
    closure=Closure(Status.FAILED, 3_000),
)
STEP = Step(
    id="1a2b3c4d-0000-4000-8000-000000000002",
    job_id=JOB.id,
    description="Copy disk",
    type=StepType.EXECUTING,
    path=(0,),
    status=Status.STARTED,
    start_time=2_000,
)
SUB = Step(
    id="1a2b3c4d-0000-4000-8000-000000000003",
    job_id=JOB.id,
    description="Verify",
    type=StepType.VALIDATING,
    path=(0, 0),
    status=Status.FINISHED,
    start_time=2_500,
    end_time=2_600,
    parent_step_id=STEP.id,
)

EXECUTIONS = (
    "arn:aws:states:eu-west-1:123456789012:execution:backup:run-1",
    "arn:aws-cn:codebuild:cn-north-1:123456789012:build/site:0b1c2d3e-0000-4000-8000-000000000000",
)


def test_the_committed_document_is_the_one_the_models_generate() -> None:
    assert openapi.DOCUMENT.read_text() == openapi.render(), "run `make openapi`"


def test_jobs_and_steps_as_rendered_conform() -> None:
    openapi.JobReply.model_validate_json(to_json(views.job(JOB)))
    followed = openapi.JobReply.model_validate_json(to_json(views.job(JOB, [STEP, SUB])))
    assert followed.steps is not None
    assert len(followed.steps.step) == 2
    openapi.StepReply.model_validate_json(to_json(views.step(STEP)))
    openapi.StepReply.model_validate_json(to_json(views.step(SUB)))
    for arn in EXECUTIONS:
        bound = openapi.StepReply.model_validate_json(to_json(views.step(replace(STEP, execution=arn))))
        assert bound.execution is not None
        assert bound.execution.arn == arn


def test_progress_timeouts_and_deadlines_as_rendered_conform() -> None:
    timed = Job(
        id="1a2b3c4d-0000-4000-8000-000000000004",
        description="Long copy",
        owner=JOB.owner,
        status=Status.STARTED,
        start_time=1_000,
        last_updated=2_000,
        auto_cleared=True,
        correlation_id="copy",
        progress=40,
        timeout=300,
        deadline=302_000,
    )
    job = openapi.JobReply.model_validate_json(to_json(views.job(timed)))
    assert (job.progress, job.timeout, job.deadline) == (40, 300, 302_000)
    step = openapi.StepReply.model_validate_json(to_json(views.step(replace(STEP, progress=7))))
    assert step.progress == 7


def test_listings_as_rendered_conform_with_and_without_a_next_page() -> None:
    for token in (None, "abc.def"):
        jobs = openapi.JobList.model_validate_json(to_json(views.jobs(Page((JOB,), token), {"max": "1"})))
        steps = openapi.StepList.model_validate_json(
            to_json(views.steps(JOB.id, Page((STEP, SUB), token), {}))
        )
        assert (jobs.link is None) == (steps.link is None) == (token is None)
    openapi.JobList.model_validate_json(to_json(views.jobs(Page(()), {})))


def test_action_replies_faults_and_capabilities_as_rendered_conform() -> None:
    openapi.ActionReply.model_validate_json(
        to_json(views.action(JOB.id, {"succeeded": False, "force": True}))
    )
    openapi.ActionReply.model_validate_json(to_json(views.action(None, {})))
    openapi.Fault.model_validate_json(to_json(views.fault("Not Found", "Job x not found", action=False)))
    openapi.ActionFault.model_validate_json(to_json(views.fault("Conflict", "rule 4", action=True)))
    openapi.Capabilities.model_validate_json(
        to_json(views.capabilities(CleanupDelays(0.5, 60), SEARCH_TERMS))
    )
    machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:backup"
    listed = openapi.Capabilities.model_validate_json(
        to_json(views.capabilities(CleanupDelays(), SEARCH_TERMS, [machine]))
    )
    commands = {command.kind: command for command in listed.monitored_commands.monitored_command}
    assert commands[ExecutionKind.STATES].state_machines.state_machine == [machine]
    assert commands[ExecutionKind.ECS].state_machines.state_machine == []
