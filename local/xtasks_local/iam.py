"""Local principals and the permission check API Gateway's AWS_IAM authorization makes.

Three local profiles stand for the three kinds of caller: a plug-in in the template's ``ExternalTasks``
role (the writer policy), a person with the reader policy, and an account administrator who may invoke
everything and is listed in ``AdminPrincipals``. Whether a caller may call a route is decided by the
template's own policy documents, matched against the route's execute-api ARN as IAM matches it.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any

from xtasks_local.events import ACCOUNT_ID, API_ID, STAGE
from xtasks_local.template import Template

ALLOW_ALL = "*"  # an administrator's permission: any action on any resource


@dataclass(frozen=True, slots=True)
class Principal:
    profile: str
    arn: str
    policies: tuple[str, ...]  # logical ids of the template's managed policies, or ALLOW_ALL


PRINCIPALS = (
    Principal(
        "writer", f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/ExternalTasks/local-plugin", ("WriterPolicy",)
    ),
    Principal("reader", f"arn:aws:iam::{ACCOUNT_ID}:user/local-reader", ("ReaderPolicy",)),
    Principal("admin", f"arn:aws:iam::{ACCOUNT_ID}:role/LocalAdministrator", (ALLOW_ALL,)),
)
ADMIN = PRINCIPALS[2]


def method_arn(region: str, method: str, path: str) -> str:
    """The resource API Gateway authorizes: ``arn:aws:execute-api:<region>:<account>:<api>/<stage>/<M>/…``."""
    return f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{API_ID}/{STAGE}/{method.upper()}/{path.lstrip('/')}"


def _substitute(text: str, region: str) -> str:
    values = {
        "AWS::Partition": "aws",
        "AWS::Region": region,
        "AWS::AccountId": ACCOUNT_ID,
        "ExternalTasksApi": API_ID,
    }

    def replace(match: re.Match[str]) -> str:
        name = match[1]
        if name not in values:
            raise ValueError(f"template.yaml policy refers to ${{{name}}}, which has no local value")
        return values[name]

    return re.sub(r"\$\{([^}]+)\}", replace, text)


def _resources(value: Any, region: str) -> list[str]:
    listed = value if isinstance(value, list) else [value]
    resources = []
    for resource in listed:
        if isinstance(resource, dict) and "Fn::Sub" in resource:
            resources.append(_substitute(resource["Fn::Sub"], region))
        elif isinstance(resource, str):
            resources.append(resource)
        else:
            raise ValueError(f"cannot evaluate the policy resource {resource} locally")
    return resources


def _matches(pattern: str, value: str) -> bool:
    # IAM wildcards: * matches any run of characters (slashes included), ? any one character.
    return fnmatch.fnmatchcase(value, pattern)


class Authorizer:
    """Decides ``execute-api:Invoke`` as IAM would, from template.yaml's policies."""

    def __init__(self, template: Template, region: str) -> None:
        self.region = region
        self._statements: dict[str, list[dict[str, Any]]] = {}
        for name, resource in template.of_type("AWS::IAM::ManagedPolicy").items():
            self._statements[name] = resource["Properties"]["PolicyDocument"]["Statement"]

    def allows(self, principal: Principal, method: str, path: str) -> bool:
        arn = method_arn(self.region, method, path)
        allowed = False
        for policy in principal.policies:
            if policy == ALLOW_ALL:
                allowed = True
                continue
            for statement in self._statements[policy]:
                actions = (
                    statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                )
                if not any(_matches(action, "execute-api:Invoke") for action in actions):
                    continue
                if any(
                    _matches(resource, arn) for resource in _resources(statement["Resource"], self.region)
                ):
                    if statement["Effect"] == "Deny":
                        return False
                    allowed = True
        return allowed

    def denial(self, principal: Principal, method: str, path: str) -> str:
        """API Gateway's message for a caller whose policies do not allow the route."""
        return (
            f"User: {principal.arn} is not authorized to perform: execute-api:Invoke on resource: "
            f"{method_arn(self.region, method, path)}"
        )
