"""Monitored executions (docs/api.md): steps bound to AWS executions, ended by the services' status-change
events, delivered to MonitorExecutionsFunction as EventBridge delivers them.

The events are AWS's own documented samples (tests/fixtures/aws_events/, each file's source in its README),
with only their status fields changed where a test needs an end the sample does not show. Step Functions runs
in moto.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from external_tasks import aws_executions, executions
from external_tasks.config import settings
from tests.conftest import REGION, Clock, stored_items
from tests.support.api import STRANGER, Api
from xtasks_local.streams import matches
from xtasks_local.template import Template, load_handler

SAMPLES = Path(__file__).parents[1] / "fixtures" / "aws_events"
ROLE = "arn:aws:iam::123456789012:role/StepFunctions"
PASS_MACHINE = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


def sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    return event


def _arn_of(event: dict[str, Any]) -> str:
    detail = event["detail"]
    return str(
        detail.get("executionArn") or detail.get("build-id") or detail.get("jobArn") or detail["taskArn"]
    )


def monitor(template: Template) -> Any:
    properties = template.resources["MonitorExecutionsFunction"]["Properties"]
    return load_handler((template.path.parent / properties["CodeUri"]).resolve(), "app.handler")


@pytest.fixture
def clients(table: Any) -> Iterator[None]:
    """The four services' clients made inside moto (the table fixture's)."""
    aws_executions.client.cache_clear()
    aws_executions.essential_containers.cache_clear()
    yield
    aws_executions.client.cache_clear()
    aws_executions.essential_containers.cache_clear()


@pytest.fixture
def states(clients: None) -> Any:
    return boto3.client("stepfunctions", region_name=REGION)


@pytest.fixture
def machine(states: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A state machine in moto that add step may start (MonitoredStateMachines)."""
    arn: str = states.create_state_machine(name="backup", definition=PASS_MACHINE, roleArn=ROLE)[
        "stateMachineArn"
    ]
    monkeypatch.setenv(
        "MONITORED_STATE_MACHINES", f"{arn},arn:aws:states:{REGION}:123456789012:stateMachine:other"
    )
    settings.cache_clear()
    return arn


def _bound(api: Api, job_id: str, arn: str, **kw: Any) -> Any:
    return api.add_step(job_id, "Run the backup", execution={"arn": arn}, **kw)


# Binding, and the events that end a bound step.


def test_a_bound_step_shows_its_execution_and_ends_with_it(
    api: Api, machine: str, states: Any, template: Template, table: Any
) -> None:
    # Given a running execution, and a step bound to it
    arn = states.start_execution(stateMachineArn=machine, name="nightly", input="{}")["executionArn"]
    job_id = api.new_job()
    reply = _bound(api, job_id, arn)
    assert reply.status == 201, reply.body
    step = reply.data
    assert step["status"] == "started"
    assert step["execution"]["arn"] == arn
    assert step["execution"]["kind"] == "states:execution"
    assert step["execution"]["console_url"].startswith(f"https://{REGION}.console.aws.amazon.com/states/")
    # and the binding stored beside it, bound steps only paying for it
    bindings = [item for item in stored_items(table) if item["PK"]["S"].startswith("EXEC#")]
    assert [(b["PK"]["S"], b["step_id"]["S"], b["job_id"]["S"]) for b in bindings] == [
        (f"EXEC#{arn}", step["id"], job_id)
    ]
    assert int(bindings[0]["expires_at"]["N"]) > 0
    # When Step Functions reports it succeeded (AWS's sample event, for this execution)
    event = sample("states-execution-succeeded.json")
    event["detail"] |= {"executionArn": arn, "stateMachineArn": machine}
    assert monitor(template)(event, None) == {"ended": True, "execution": arn, "outcome": "finished"}
    # Then the step has finished, as a plug-in ending it would have; the job goes on
    assert api.get_step(job_id, step["id"]).data["status"] == "finished"
    assert api.get_job(job_id).data["status"] == "started"
    listed = api.list_steps(job_id).data["step"]
    assert listed[0]["execution"]["arn"] == arn


@pytest.mark.parametrize(
    ("name", "step_status", "job_status"),
    [
        ("states-execution-succeeded.json", "finished", "started"),
        ("states-execution-failed.json", "failed", "failed"),  # rule 3: a failed step fails its job
        ("states-execution-timed-out.json", "failed", "failed"),
        ("states-execution-aborted.json", "aborted", "started"),
    ],
)
def test_each_step_functions_end_maps_to_an_outcome(
    json_api: Api, clients: None, template: Template, name: str, step_status: str, job_status: str
) -> None:
    event = sample(name)
    job_id = json_api.new_job()
    step_id = _bound(json_api, job_id, _arn_of(event)).data["id"]
    assert monitor(template)(event, None)["ended"] is True
    assert json_api.get_step(job_id, step_id).data["status"] == step_status
    assert json_api.get_job(job_id).data["status"] == job_status


@pytest.mark.parametrize(
    ("build_status", "step_status"),
    [("SUCCEEDED", "finished"), ("FAILED", "failed"), ("FAULT", "failed"), ("STOPPED", "aborted")],
)
def test_codebuild_builds_end_their_steps(
    json_api: Api, clients: None, template: Template, build_status: str, step_status: str
) -> None:
    event = sample("codebuild-build-state-change.json")
    event["detail"]["build-status"] = build_status
    job_id = json_api.new_job()
    step = _bound(json_api, job_id, _arn_of(event)).data
    assert step["execution"]["kind"] == "codebuild:build"
    assert (
        "/codesuite/codebuild/123456789012/projects/my-sample-project/build/"
        in step["execution"]["console_url"]
    )
    monitor(template)(event, None)
    assert json_api.get_step(job_id, step["id"]).data["status"] == step_status


def test_batch_jobs_end_their_steps_and_other_states_change_nothing(
    json_api: Api, clients: None, template: Template
) -> None:
    event = sample("batch-job-state-change.json")  # as documented: RUNNABLE
    job_id = json_api.new_job()
    ok = _bound(json_api, job_id, _arn_of(event)).data["id"]
    assert monitor(template)(event, None) == {"ended": False}
    assert json_api.get_step(job_id, ok).data["status"] == "started"
    event["detail"]["status"] = "SUCCEEDED"
    assert monitor(template)(event, None)["outcome"] == "finished"
    assert json_api.get_step(job_id, ok).data["status"] == "finished"

    failed = copy.deepcopy(event)
    other = "arn:aws:batch:us-east-1:123456789012:job/00000000-0a82-49aa-ba5a-4727fcce14a8"
    failed["detail"] |= {"status": "FAILED", "jobArn": other}
    second = _bound(json_api, job_id, other).data["id"]
    monitor(template)(failed, None)
    assert json_api.get_step(job_id, second).data["status"] == "failed"
    assert json_api.get_job(job_id).data["status"] == "failed"


def _stopped(event: dict[str, Any], stop_code: str, *exit_codes: int) -> dict[str, Any]:
    stopped = copy.deepcopy(event)
    detail = stopped["detail"]
    detail |= {"lastStatus": "STOPPED", "desiredStatus": "STOPPED", "stopCode": stop_code}
    template_container = detail["containers"][0]
    detail["containers"] = [
        {**template_container, "name": f"c{number}", "lastStatus": "STOPPED", "exitCode": code}
        for number, code in enumerate(exit_codes)
    ]
    return stopped


@pytest.mark.parametrize(
    ("stop_code", "exit_codes", "step_status"),
    [
        ("EssentialContainerExited", (0,), "finished"),
        ("EssentialContainerExited", (0, 0), "finished"),
        ("EssentialContainerExited", (0, 1), "failed"),
        ("TaskFailedToStart", (), "failed"),
        ("UserInitiated", (137,), "aborted"),
    ],
)
def test_ecs_tasks_end_their_steps_by_their_containers_exit_codes(
    json_api: Api,
    clients: None,
    template: Template,
    stop_code: str,
    exit_codes: tuple[int, ...],
    step_status: str,
) -> None:
    running = sample("ecs-task-state-change.json")  # as documented: RUNNING
    job_id = json_api.new_job()
    step = _bound(json_api, job_id, _arn_of(running)).data
    assert step["execution"]["kind"] == "ecs:task"
    assert step["execution"]["console_url"].endswith(
        "/ecs/v2/clusters/FargateCluster/tasks/c13b4cb40f1f4fe4a2971f76ae5a47ad?region=us-west-2"
    )
    assert monitor(template)(running, None) == {"ended": False}
    monitor(template)(_stopped(running, stop_code, *exit_codes), None)
    assert json_api.get_step(job_id, step["id"]).data["status"] == step_status


def test_only_essential_containers_decide_an_ecs_tasks_outcome(
    json_api: Api, clients: None, template: Template
) -> None:
    # Given a task definition whose second container is not essential (in moto)
    ecs = boto3.client("ecs", region_name=REGION)
    definition = ecs.register_task_definition(
        family="backup",
        containerDefinitions=[
            {"name": "c0", "image": "backup", "memory": 128, "essential": True},
            {"name": "c1", "image": "sidecar", "memory": 128, "essential": False},
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    event = _stopped(sample("ecs-task-state-change.json"), "EssentialContainerExited", 0, 1)
    event["detail"]["taskDefinitionArn"] = definition
    job_id = json_api.new_job()
    step_id = _bound(json_api, job_id, _arn_of(event)).data["id"]
    # When the task stops with the sidecar's exit code 1, Then the step has finished all the same
    monitor(template)(event, None)
    assert json_api.get_step(job_id, step_id).data["status"] == "finished"


def test_a_repeated_event_changes_nothing_and_the_first_outcome_wins(
    json_api: Api, clients: None, template: Template, clock: Clock
) -> None:
    succeeded, failed = sample("states-execution-succeeded.json"), sample("states-execution-failed.json")
    job_id = json_api.new_job()
    step_id = _bound(json_api, job_id, _arn_of(succeeded)).data["id"]
    assert monitor(template)(succeeded, None)["ended"] is True
    ended = json_api.get_step(job_id, step_id).data
    clock.advance(minutes=1)
    # The same event again (EventBridge delivers at least once), then another outcome: nothing changes
    assert monitor(template)(succeeded, None)["ended"] is False
    assert monitor(template)(failed, None)["ended"] is False
    assert json_api.get_step(job_id, step_id).data == ended
    assert json_api.get_job(job_id).data["status"] == "started"


def test_a_plug_in_may_end_a_bound_step_first(json_api: Api, clients: None, template: Template) -> None:
    failed = sample("states-execution-failed.json")
    job_id = json_api.new_job()
    step_id = _bound(json_api, job_id, _arn_of(failed)).data["id"]
    assert json_api.end_step(job_id, step_id).status == 200
    assert monitor(template)(failed, None)["ended"] is False
    assert json_api.get_step(job_id, step_id).data["status"] == "finished"
    assert json_api.get_job(job_id).data["status"] == "started"


def test_events_of_executions_no_step_is_bound_to_are_ignored(
    json_api: Api, clients: None, template: Template, table: Any
) -> None:
    json_api.new_step(json_api.new_job())
    before = stored_items(table)
    for name in ("states-execution-failed.json", "codebuild-build-state-change.json"):
        assert monitor(template)(sample(name), None)["ended"] is False
    assert monitor(template)({"source": "aws.s3", "detail-type": "Object Created", "detail": {}}, None) == {
        "ended": False
    }
    assert stored_items(table) == before


def test_an_event_for_a_cleared_away_job_changes_nothing(
    json_api: Api, clients: None, template: Template, clock: Clock
) -> None:
    succeeded = sample("states-execution-succeeded.json")
    job_id = json_api.new_job()
    _bound(json_api, job_id, _arn_of(succeeded))
    assert json_api.end_job(job_id, force=True).status == 200
    clock.advance(minutes=61)
    assert monitor(template)(succeeded, None)["ended"] is False


def test_a_step_bound_to_an_execution_that_already_ended_ends_at_once(
    api: Api, machine: str, states: Any
) -> None:
    # Given an execution that was stopped before the step was added (its event, if any, found no binding)
    arn = states.start_execution(stateMachineArn=machine, name="stopped-early", input="{}")["executionArn"]
    states.stop_execution(executionArn=arn)
    job_id = api.new_job()
    # When a step is bound to it, Then the reply already shows it aborted
    reply = _bound(api, job_id, arn)
    assert reply.status == 201
    assert reply.data["status"] == "aborted"
    assert api.get_step(job_id, reply.data["id"]).data["status"] == "aborted"


def test_an_execution_ends_one_step(json_api: Api, clients: None) -> None:
    arn = _arn_of(sample("states-execution-succeeded.json"))
    job_id = json_api.new_job()
    first = _bound(json_api, job_id, arn)
    again = _bound(json_api, job_id, arn)
    assert again.status == 409
    assert first.data["id"] in again.fault["detail"]
    assert len(json_api.list_steps(job_id).data["step"]) == 1


def test_an_arn_of_anything_else_is_refused_naming_what_is_accepted(json_api: Api, clients: None) -> None:
    job_id = json_api.new_job()
    for arn in (
        "arn:aws:s3:::backups",
        "arn:aws:states:us-east-1:123456789012:express:machine:run:1",
        "arn:aws:states:us-east-1:123456789012:stateMachine:machine",
        "arn:aws:lambda:us-east-1:123456789012:function:f",
    ):
        reply = _bound(json_api, job_id, arn)
        assert reply.status == 400, arn
        for kind in executions.ExecutionKind:
            assert str(kind) in reply.fault["detail"]
    for body in ({}, {"arn": _arn_of(sample("states-execution-failed.json")), "state_machine": "x"}):
        reply = json_api.add_step(job_id, "Run", execution=body)
        assert reply.status == 400
    assert json_api.list_steps(job_id).data["step"] == []


# Starting a state machine's execution for the step.


def test_a_listed_state_machine_is_started_named_after_the_step(
    api: Api, machine: str, states: Any, template: Template
) -> None:
    job_id = api.new_job()
    body = {
        "description": "Back up",
        "type": "executing",
        "execution": {"state_machine": machine, "input": {"vm": "db01"}},
    }
    key = [("Idempotency-Key", "backup-db01")]
    reply = api.request("POST", f"/jobs/{job_id}/steps", body=body, headers=key)
    assert reply.status == 201, reply.body
    step = reply.data
    arn = executions.execution_of(machine, step["id"])
    assert step["execution"]["arn"] == arn
    described = states.describe_execution(executionArn=arn)
    assert json.loads(described["input"]) == {"vm": "db01"}  # in XML: <input><vm>db01</vm></input>
    # A retried add (same Idempotency-Key) starts no second execution and makes no second step
    again = api.request("POST", f"/jobs/{job_id}/steps", body=body, headers=key)
    assert again.status == 201
    assert again.data["id"] == step["id"]
    assert len(states.list_executions(stateMachineArn=machine)["executions"]) == 1
    # and its end event ends the step
    event = sample("states-execution-succeeded.json")
    event["detail"] |= {"executionArn": arn, "stateMachineArn": machine}
    monitor(template)(event, None)
    assert api.get_step(job_id, step["id"]).data["status"] == "finished"


def test_only_listed_state_machines_are_started_and_only_for_jobs_that_take_steps(
    json_api: Api, machine: str, states: Any
) -> None:
    job_id = json_api.new_job()
    unlisted = f"arn:aws:states:{REGION}:123456789012:stateMachine:unlisted"
    reply = json_api.add_step(job_id, "Run", execution={"state_machine": unlisted})
    assert reply.status == 403
    assert "MonitoredStateMachines" in reply.fault["detail"]
    # someone else's job: 403, and nothing started
    reply = json_api.add_step(job_id, "Run", execution={"state_machine": machine}, caller=STRANGER)
    assert reply.status == 403
    # an ended job: 409, and nothing started
    assert json_api.end_job(job_id).status == 200
    assert json_api.add_step(job_id, "Run", execution={"state_machine": machine}).status == 409
    assert states.list_executions(stateMachineArn=machine)["executions"] == []
    assert json_api.list_steps(job_id).data["step"] == []


def test_capabilities_list_the_monitored_commands(json_api: Api, machine: str) -> None:
    reply = json_api.request("GET", "/capabilities")
    commands = reply.data["monitored_commands"]["monitored_command"]
    by_kind = {command["kind"]: command for command in commands}
    assert set(by_kind) == {str(kind) for kind in executions.ExecutionKind}
    states_machines = by_kind["states:execution"]["state_machines"]
    assert machine in states_machines["state_machine"]
    assert (
        by_kind["batch:job"]["arn_pattern"] == f"^{executions.ARN_PATTERNS[executions.ExecutionKind.BATCH]}$"
    )


# The template's rules on the default bus.


def test_the_rules_pass_the_services_ends_and_nothing_else(template: Template) -> None:
    rules = [
        event["Properties"]["Pattern"]
        for event in template.resources["MonitorExecutionsFunction"]["Properties"]["Events"].values()
    ]
    assert len(rules) == 4

    def passed(event: dict[str, Any]) -> bool:
        return any(matches(rule, event) for rule in rules)

    for name in ("states-execution-succeeded.json", "states-execution-failed.json",
                 "states-execution-timed-out.json", "states-execution-aborted.json",
                 "codebuild-build-state-change.json"):  # fmt: skip
        assert passed(sample(name)), name
    assert not passed(sample("states-execution-started.json"))
    assert not passed(sample("batch-job-state-change.json"))  # RUNNABLE
    assert not passed(sample("ecs-task-state-change.json"))  # RUNNING
    batch = sample("batch-job-state-change.json")
    batch["detail"]["status"] = "FAILED"
    assert passed(batch)
    assert passed(_stopped(sample("ecs-task-state-change.json"), "EssentialContainerExited", 0))
    building = sample("codebuild-build-state-change.json")
    building["detail"]["build-status"] = "IN_PROGRESS"
    assert not passed(building)


def test_failures_are_retried_a_bounded_number_of_times_then_kept(template: Template) -> None:
    properties = template.resources["MonitorExecutionsFunction"]["Properties"]
    queue = {"Fn::GetAtt": ["MonitorExecutionsDeadLetterQueue", "Arn"]}
    assert properties["EventInvokeConfig"]["MaximumRetryAttempts"] <= 2
    assert properties["EventInvokeConfig"]["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": queue,
    }
    for event in properties["Events"].values():
        assert event["Type"] == "EventBridgeRule"
        assert "EventBusName" not in event["Properties"]  # the default bus, where AWS delivers them
        assert event["Properties"]["RetryPolicy"]["MaximumRetryAttempts"] <= 10
        assert event["Properties"]["DeadLetterConfig"] == {"Arn": queue}


def test_the_function_answers_its_events_file(json_api: Api, clients: None, template: Template) -> None:
    """events/monitor_executions.json, for `sam local invoke`: AWS's sample, for an execution in this
    region that a step is bound to."""
    event = json.loads((Path(__file__).parents[2] / "events" / "monitor_executions.json").read_text())
    job_id = json_api.new_job()
    step_id = _bound(json_api, job_id, _arn_of(event)).data["id"]
    assert monitor(template)(event, None)["ended"] is True
    assert json_api.get_step(job_id, step_id).data["status"] == "finished"


def test_a_repeated_start_finds_its_step_even_once_the_job_has_ended(
    json_api: Api, machine: str, states: Any
) -> None:
    job_id = json_api.new_job()
    body = {"description": "Back up", "type": "executing", "execution": {"state_machine": machine}}
    key = [("Idempotency-Key", "backup-once")]
    first = json_api.request("POST", f"/jobs/{job_id}/steps", body=body, headers=key)
    assert json_api.end_job(job_id).status == 200
    again = json_api.request("POST", f"/jobs/{job_id}/steps", body=body, headers=key)
    assert again.status == 201
    assert again.data["id"] == first.data["id"]
    assert len(states.list_executions(stateMachineArn=machine)["executions"]) == 1
