"""What `make deploy` prints once the stack is up: the API's URL, the web monitor's (when the stack has one),
the dashboard and the alarm topic, and how to point the xtasks command line at the API. Reads the stack's
outputs; the stack name and region are samconfig.toml's unless given."""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMCONFIG = ROOT / "samconfig.toml"


def deployment(config: Path = SAMCONFIG, environment: str = "default") -> tuple[str, str | None]:
    """The stack name and region ``sam deploy`` uses: samconfig.toml's deploy parameters, else its global ones
    (no region: the AWS profile's or ``AWS_REGION``)."""
    settings = tomllib.loads(config.read_text()).get(environment, {})
    parameters = {
        **settings.get("global", {}).get("parameters", {}),
        **settings.get("deploy", {}).get("parameters", {}),
    }
    return str(parameters["stack_name"]), parameters.get("region")


def outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}


def summary(found: Mapping[str, str]) -> str:
    api = found["ApiUrl"]
    lines = [f"API:        {api}"]
    if "MonitorUrl" in found:
        lines.append(f"Monitor:    {found['MonitorUrl']}")
    if "DashboardUrl" in found:
        lines.append(f"Dashboard:  {found['DashboardUrl']}")
    if "AlarmTopicArn" in found:
        lines.append(f"Alarms:     {found['AlarmTopicArn']} (docs/operations.md says what each one means)")
    writer = found.get("ExternalTasksRoleArn", "(output ExternalTasksRoleArn)")
    lines += [
        "",
        "Point the xtasks command line at it (AWS credentials as for the AWS CLI; to add and end jobs, use a",
        f"profile that assumes the writer role {writer}):",
        f"  XTASKS_ENDPOINT={api} xtasks job list",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, cloudformation: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack-name", help="default: samconfig.toml's stack_name")
    parser.add_argument("--region", help="default: samconfig.toml's region, else the AWS profile's")
    parser.add_argument("--config-env", default="default", help="samconfig.toml's environment")
    arguments = parser.parse_args(argv)
    stack_name, region = deployment(environment=arguments.config_env)
    stack_name = arguments.stack_name or stack_name
    if cloudformation is None:
        import boto3

        cloudformation = boto3.client("cloudformation", region_name=arguments.region or region)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        found = outputs(cloudformation, stack_name)
    except (BotoCoreError, ClientError) as error:
        print(f"Cannot read the outputs of stack {stack_name}: {error}", file=sys.stderr)
        return 1
    if "ApiUrl" not in found:
        print(f"Stack {stack_name} has no ApiUrl output: is it an External Tasks stack?", file=sys.stderr)
        return 1
    print(summary(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
