"""`make deploy`: samconfig.toml deploys what the template needs, and the summary it prints at the end comes
from the stack's outputs (read here from a stubbed CloudFormation: no AWS account needed)."""

from __future__ import annotations

import shutil
import subprocess
import tomllib

import boto3
import pytest
from botocore.stub import Stubber

from tools import stack_outputs
from xtasks_local.template import ROOT, Template

OVERRIDE = "AlarmEmail=oncall@example.com"
API = "https://abc123.execute-api.eu-west-1.amazonaws.com/api"
OUTPUTS = {
    "ApiUrl": API,
    "ExternalTasksRoleArn": "arn:aws:iam::123456789012:role/external-tasks-ExternalTasksRole-1",
    "AlarmTopicArn": "arn:aws:sns:eu-west-1:123456789012:external-tasks-AlarmTopic-1",
    "DashboardUrl": "https://eu-west-1.console.aws.amazon.com/cloudwatch/home#dashboards/dashboard/x",
}


def _cloudformation(outputs: dict[str, str] | None, stack: str = "external-tasks") -> tuple[object, Stubber]:
    client = boto3.client("cloudformation", region_name="eu-west-1")
    stubber = Stubber(client)
    expected = {"StackName": stack}
    if outputs is None:
        stubber.add_client_error(
            "describe_stacks",
            "ValidationError",
            f"Stack with id {stack} does not exist",
            400,
            expected_params=expected,
        )
    else:
        stack_description = {
            "StackName": stack,
            "CreationTime": "2026-01-01T00:00:00Z",
            "StackStatus": "UPDATE_COMPLETE",
            "Outputs": [{"OutputKey": key, "OutputValue": value} for key, value in outputs.items()],
        }
        stubber.add_response("describe_stacks", {"Stacks": [stack_description]}, expected)
    stubber.activate()
    return client, stubber


def test_samconfig_deploys_the_stack_with_the_capabilities_its_transforms_need() -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())["default"]
    assert stack_outputs.deployment() == ("external-tasks", None)
    capabilities = set(config["deploy"]["parameters"]["capabilities"].split())
    assert capabilities == {
        "CAPABILITY_IAM",
        "CAPABILITY_AUTO_EXPAND",
    }  # AUTO_EXPAND: AWS::LanguageExtensions
    assert "AWS::LanguageExtensions" in Template().document["Transform"]
    assert config["global"]["parameters"]["language_extensions"] is True  # sam build expands Fn::ForEach


def test_samconfig_documents_every_parameter_of_the_template() -> None:
    text = (ROOT / "samconfig.toml").read_text()
    for name in Template().document["Parameters"]:
        assert f'"{name}=' in text, name


def test_the_summary_names_the_api_the_dashboard_and_how_to_point_xtasks_at_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    client, stubber = _cloudformation(OUTPUTS)
    assert stack_outputs.main([], cloudformation=client) == 0
    stubber.assert_no_pending_responses()
    printed = capsys.readouterr().out
    assert f"API:        {API}" in printed
    assert f"XTASKS_ENDPOINT={API} xtasks job list" in printed
    assert OUTPUTS["DashboardUrl"] in printed
    assert OUTPUTS["AlarmTopicArn"] in printed
    assert "Monitor:" not in printed  # a stack without the web monitor


def test_the_summary_names_the_monitor_when_the_stack_has_one(capsys: pytest.CaptureFixture[str]) -> None:
    client, _ = _cloudformation({**OUTPUTS, "MonitorUrl": "https://d111.cloudfront.net/"}, stack="staging")
    assert stack_outputs.main(["--stack-name", "staging"], cloudformation=client) == 0
    assert "Monitor:    https://d111.cloudfront.net/" in capsys.readouterr().out


def test_a_missing_stack_is_one_clear_line_and_a_failure(capsys: pytest.CaptureFixture[str]) -> None:
    client, _ = _cloudformation(None)
    assert stack_outputs.main([], cloudformation=client) == 1
    error = capsys.readouterr().err
    assert error.startswith("Cannot read the outputs of stack external-tasks:")
    assert "does not exist" in error


def test_make_deploy_builds_deploys_then_prints_the_outputs() -> None:
    make = shutil.which("make")
    assert make is not None
    dry_run = subprocess.run(  # noqa: S603 - make -n only prints the commands
        [
            make,
            "-n",
            "--no-print-directory",
            "deploy",
            "STACK=staging",
            "OVERRIDES=AlarmEmail=oncall@example.com",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    commands = [
        line for line in dry_run if "sam " in line or "stack_outputs" in line or "publish_monitor" in line
    ]
    assert commands[0].endswith("sam build")
    assert commands[1].endswith(
        'sam deploy --stack-name "staging" --parameter-overrides AlarmEmail=oncall@example.com'
    )
    assert commands[2].endswith('python tools/publish_monitor.py --stack-name "staging"')
    assert commands[3].endswith('python tools/stack_outputs.py --stack-name "staging"')
