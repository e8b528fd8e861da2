"""Each function makes only the DynamoDB calls its own policy in template.yaml allows.

The flow runs through the handlers; every DynamoDB call is attributed to the function that made it and
checked against that function's statements (table or index resource, action), as IAM would in AWS.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from external_tasks.store import calls
from tests.support.api import Api
from xtasks_local.template import Template

TABLE_ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/external-tasks-test"


def _allowed(template: Template, function: str) -> list[tuple[str, str]]:
    """(action, resource pattern) pairs the function's policy allows."""
    pairs = []
    for policy in template.resources[function]["Properties"].get("Policies", []):
        for statement in policy["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resource = statement["Resource"]
            if isinstance(resource, str):  # "*": actions without resource-level permissions
                pattern = resource
            elif resource == {"Fn::GetAtt": ["JobsTable", "Arn"]}:
                pattern = TABLE_ARN
            elif "Ref" in resource:  # another resource of the template (the page token secret)
                pattern = resource["Ref"]
            else:
                pattern = resource["Fn::Sub"].replace("${JobsTable.Arn}", TABLE_ARN)
            pairs += [(action, pattern) for action in actions]
    return pairs


def _needed(operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """(action, resource) pairs IAM checks for one call."""
    resource = TABLE_ARN + (f"/index/{params['IndexName']}" if "IndexName" in params else "")
    if operation == "TransactGetItems":
        return [("dynamodb:GetItem", TABLE_ARN)]
    if operation == "TransactWriteItems":
        kinds = {next(iter(item)) for item in params["TransactItems"]}
        actions = {
            "Put": "PutItem",
            "Update": "UpdateItem",
            "Delete": "DeleteItem",
            "ConditionCheck": "ConditionCheckItem",
        }
        return [(f"dynamodb:{actions[kind]}", TABLE_ARN) for kind in kinds]
    return [(f"dynamodb:{operation}", resource)]


def _next_token(reply: Any) -> str:
    link = reply.header("Link")
    assert link is not None
    return str(link.split("page=", 1)[1].split(">", 1)[0])


def test_every_call_is_allowed_by_the_calling_functions_policy(json_api: Api, template: Template) -> None:
    current: list[str] = []
    checked: set[str] = set()
    denied: list[str] = []

    def check(params: dict[str, Any], model: Any, **_: Any) -> None:
        # Recorded, not raised: the handler would turn an exception into a 500 reply.
        function = current[-1]
        allowed = _allowed(template, function)
        for action, resource in _needed(model.name, params):
            if not any(a == action and fnmatch.fnmatchcase(resource, p) for a, p in allowed):
                denied.append(f"{function} calls {action} on {resource}, which template.yaml does not allow")
        checked.add(function)

    original = json_api.request

    def attributed(method: str, path: str, **kwargs: Any) -> Any:
        match = template.match(method, path.removeprefix("/api"))
        assert match is not None
        current.append(match[0].function)
        return original(method, path, **kwargs)

    json_api.request = attributed  # type: ignore[method-assign]
    events = calls.client().meta.events
    events.register("provide-client-params.dynamodb.*", check)
    try:
        job_id = json_api.new_job()
        step_id = json_api.new_step(job_id)
        sub = json_api.new_step(job_id, parent=step_id)
        json_api.get_job(job_id, query=[("follow", "steps")])
        json_api.get_job(job_id)
        json_api.list_jobs(search="status=started")
        json_api.list_jobs()
        json_api.list_steps(job_id, max="1")
        json_api.list_steps(job_id, max="1", page=_next_token(json_api.list_steps(job_id, max="1")))
        json_api.get_step(job_id, sub)
        json_api.end_step(job_id, sub, succeeded=False)
        json_api.end_job(json_api.new_job())
        json_api.clear_job(job_id)
        json_api.request("GET", "/capabilities")
    finally:
        events.unregister("provide-client-params.dynamodb.*", check)
    assert denied == []
    assert len(checked) == 9  # every function but capabilities touches the table


# Monitored executions: the calls to Step Functions, and the monitor's to the table.

STATE_MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:backup"
_PSEUDO = {"${AWS::Partition}": "aws", "${AWS::Region}": "eu-west-1", "${AWS::AccountId}": "123456789012"}


def _resolved(resource: Any) -> list[str]:
    """A statement's resource patterns, the template's parameters and pseudo parameters filled in."""
    if isinstance(resource, list):
        return [pattern for item in resource for pattern in _resolved(item)]
    if isinstance(resource, str):
        return [resource]
    if "Fn::Split" in resource:  # the MonitoredStateMachines list
        return [STATE_MACHINE]
    if "Fn::GetAtt" in resource and resource["Fn::GetAtt"][0] == "JobsTable":
        return [TABLE_ARN]
    if "Fn::Sub" in resource:
        text = resource["Fn::Sub"].replace("${JobsTable.Arn}", TABLE_ARN)
        for name, value in _PSEUDO.items():
            text = text.replace(name, value)
        return [text]
    return [str(resource)]


def _statements(template: Template, function: str) -> list[tuple[str, str]]:
    """(action, resource pattern) of the function's policies, and of role policies attached to its role."""
    statements = [
        s for p in template.resources[function]["Properties"].get("Policies", []) for s in p["Statement"]
    ]
    for resource in template.of_type("AWS::IAM::RolePolicy").values():
        if resource["Properties"]["RoleName"] == {"Ref": f"{function}Role"}:
            statements += resource["Properties"]["PolicyDocument"]["Statement"]
    pairs = []
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        pairs += [(action, pattern) for action in actions for pattern in _resolved(statement["Resource"])]
    return pairs


def test_monitored_executions_call_only_what_their_policies_allow(
    json_api: Api, template: Template, monkeypatch: Any
) -> None:
    import json

    import boto3

    from external_tasks import aws_executions
    from external_tasks.config import settings
    from xtasks_local.template import load_handler

    aws_executions.client.cache_clear()
    states = boto3.client("stepfunctions", region_name="eu-west-1")
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
    machine = states.create_state_machine(
        name="backup", definition=definition, roleArn="arn:aws:iam::123456789012:role/States"
    )["stateMachineArn"]
    assert machine == STATE_MACHINE
    monkeypatch.setenv("MONITORED_STATE_MACHINES", machine)
    settings.cache_clear()
    current: list[str] = []
    denied: list[str] = []

    def check_states(params: dict[str, Any], model: Any, **_: Any) -> None:
        resource = str(params.get("stateMachineArn") or params.get("executionArn"))
        allowed = _statements(template, current[-1])
        action = f"states:{model.name}"
        if not any(a == action and fnmatch.fnmatchcase(resource, p) for a, p in allowed):
            denied.append(f"{current[-1]} calls {action} on {resource}")

    def check_table(params: dict[str, Any], model: Any, **_: Any) -> None:
        allowed = _statements(template, current[-1])
        for action, resource in _needed(model.name, params):
            if not any(a == action and fnmatch.fnmatchcase(resource, p) for a, p in allowed):
                denied.append(f"{current[-1]} calls {action} on {resource}")

    states_events = aws_executions.client("stepfunctions").meta.events
    table_events = calls.client().meta.events
    states_events.register("provide-client-params.states.*", check_states)
    table_events.register("provide-client-params.dynamodb.*", check_table)
    try:
        current.append("AddJobFunction")
        job_id = json_api.new_job()
        current.append("AddStepFunction")
        body = {"description": "Back up", "type": "executing", "execution": {"state_machine": machine}}
        step = json_api.request("POST", f"/jobs/{job_id}/steps", body=body).data
        current.append("MonitorExecutionsFunction")
        properties = template.resources["MonitorExecutionsFunction"]["Properties"]
        monitor = load_handler((template.path.parent / properties["CodeUri"]).resolve(), "app.handler")
        event = {
            "source": "aws.states",
            "detail-type": "Step Functions Execution Status Change",
            "detail": {"executionArn": step["execution"]["arn"], "status": "SUCCEEDED"},
        }
        assert monitor(event, None)["ended"] is True
    finally:
        states_events.unregister("provide-client-params.states.*", check_states)
        table_events.unregister("provide-client-params.dynamodb.*", check_table)
        aws_executions.client.cache_clear()
    assert denied == []
