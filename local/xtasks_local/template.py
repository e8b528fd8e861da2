"""template.yaml as data: the single source of the routes, the table and the functions' environment.

Tests and the local server read the template through this module instead of repeating what it says.
CloudFormation's short tags (``!Ref``, ``!Sub``, ``!GetAtt`` …) load as their long forms.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
TABLE = "JobsTable"
IAM_API = "ExternalTasksApi"  # plug-ins sign with SigV4 (stage api)
OVIRT_API = "OvirtApi"  # oVirt's path for signed-in users (stage ovirt-engine)
# Deployed resources' attributes the functions read, as they are locally: the monitor's CloudFront domain is
# none (the local server serves the monitor on the API's own origin, so no CORS).
LOCAL_ONLY = {"MonitorDistribution.DomainName": ""}

type LambdaHandler = Callable[[Mapping[str, Any], Any], dict[str, Any]]


class _CloudFormationLoader(yaml.SafeLoader):
    pass


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


@dataclass(frozen=True, slots=True)
class Route:
    """One function and the API event that routes to it."""

    function: str  # logical id, e.g. AddJobFunction
    method: str
    path: str  # as in the template: /jobs/{job_id}
    code_uri: Path
    handler: str  # module.function, e.g. app.handler
    api: str = IAM_API  # logical id of the API serving it
    authorized: bool = True  # False: open to all, its API's authorizer turned off (Auth: Authorizer: NONE)

    @property
    def pattern(self) -> re.Pattern[str]:
        return _path_pattern(self.path)

    def load(self) -> LambdaHandler:
        """The function's handler, imported from its code folder under a name of its own."""
        return load_handler(self.code_uri, self.handler)


@functools.cache
def _path_pattern(path: str) -> re.Pattern[str]:
    """``/jobs/{job_id}`` matches ``/jobs/1`` with ``job_id`` 1; a parameter never spans a slash."""
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return re.compile(regex)  # used with fullmatch: `$` would also match before a final newline


@functools.cache
def load_handler(code_uri: Path, handler: str) -> LambdaHandler:
    module_name, _, attribute = handler.rpartition(".")
    source = code_uri / f"{module_name.replace('.', '/')}.py"
    spec = importlib.util.spec_from_file_location(f"xtasks_function_{code_uri.name}_{module_name}", source)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {source}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found: LambdaHandler = getattr(module, attribute)
    return found


class Template:
    def __init__(self, path: Path = TEMPLATE) -> None:
        self.path = path
        self.document: dict[str, Any] = yaml.load(path.read_text(), Loader=_CloudFormationLoader)  # noqa: S506 - SafeLoader subclass

    @functools.cached_property
    def resources(self) -> dict[str, Any]:
        """The resources as CloudFormation deploys them: ``Fn::ForEach`` loops (AWS::LanguageExtensions)
        expanded into the resources they make."""
        return expand_loops(self.document["Resources"])

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: r for name, r in self.resources.items() if r["Type"] == kind}

    @property
    def function_globals(self) -> dict[str, Any]:
        found: dict[str, Any] = self.document.get("Globals", {}).get("Function", {})
        return found

    def parameter_defaults(self) -> dict[str, str]:
        return {
            name: "" if p.get("Default") is None else str(p["Default"])
            for name, p in self.document.get("Parameters", {}).items()
        }

    @functools.cached_property
    def all_routes(self) -> list[Route]:
        """Every API event of every function, on whichever API."""
        routes = []
        for name, resource in self.of_type("AWS::Serverless::Function").items():
            properties = resource["Properties"]
            handler = properties.get("Handler", self.function_globals.get("Handler"))
            for event in properties.get("Events", {}).values():
                if event["Type"] == "Api":
                    event_properties = event["Properties"]
                    routes.append(
                        Route(
                            function=name,
                            method=event_properties["Method"].upper(),
                            path=event_properties["Path"],
                            code_uri=(self.path.parent / properties["CodeUri"]).resolve(),
                            handler=handler,
                            api=event_properties.get("RestApiId", {}).get("Ref", IAM_API),
                            authorized=event_properties.get("Auth", {}).get("Authorizer") != "NONE",
                        )
                    )
        return routes

    @property
    def routes(self) -> list[Route]:
        """The routes of the API plug-ins sign for (stage ``api``)."""
        return self.routes_on(IAM_API)

    def routes_on(self, api: str) -> list[Route]:
        return [route for route in self.all_routes if route.api == api]

    def stage(self, api: str) -> str:
        stage: str = self.resources[api]["Properties"]["StageName"]
        return stage

    def match(self, method: str, path: str, api: str = IAM_API) -> tuple[Route, dict[str, str]] | None:
        """The route serving ``method path`` on ``api`` (a path below the stage, e.g. ``/jobs/1``) and its
        parameters, as they appear in ``path``. The whole path must match: ``/jobs\n`` is not ``/jobs``."""
        for route in self.routes_on(api):
            found = route.pattern.fullmatch(path)
            if found is not None and route.method == method.upper():
                return route, found.groupdict()
        return None

    def table_properties(self) -> dict[str, Any]:
        properties: dict[str, Any] = self.resources[TABLE]["Properties"]
        return properties

    def create_table_arguments(self, table_name: str) -> dict[str, Any]:
        """CreateTable's arguments for the template's table (TTL is a separate call: ``ttl_attribute``)."""
        properties = self.table_properties()
        arguments: dict[str, Any] = {
            "TableName": table_name,
            "AttributeDefinitions": properties["AttributeDefinitions"],
            "KeySchema": properties["KeySchema"],
            "BillingMode": properties["BillingMode"],
        }
        for name in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
            if name in properties:
                arguments[name] = properties[name]
        if "StreamSpecification" in properties:
            arguments["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
        return arguments

    def ttl_attribute(self) -> str | None:
        ttl = self.table_properties().get("TimeToLiveSpecification", {})
        return ttl.get("AttributeName") if ttl.get("Enabled") else None

    def environment(
        self, references: Mapping[str, str], parameters: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """The functions' environment with ``!Ref``s resolved: resources from ``references``, parameters from
        ``parameters`` or their defaults."""
        values = {**self.parameter_defaults(), **LOCAL_ONLY, **(parameters or {}), **references}
        variables = self.function_globals.get("Environment", {}).get("Variables", {})
        return {name: _resolve(value, values) for name, value in variables.items()}

    def function_environment(
        self, references: Mapping[str, str], parameters: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """What single functions add to the functions' environment, every function's together (they run in
        one process locally), resolved as ``environment`` resolves."""
        values = {**self.parameter_defaults(), **(parameters or {}), **references}
        variables: dict[str, str] = {}
        for function in self.of_type("AWS::Serverless::Function").values():
            own = function["Properties"].get("Environment", {}).get("Variables", {})
            variables.update({name: _resolve(value, values) for name, value in own.items()})
        return variables


_LOOP = "Fn::ForEach::"


def expand_loops(section: Mapping[str, Any]) -> dict[str, Any]:
    """A template section with each ``Fn::ForEach::Name: [Identifier, [items…], {key: value}]`` replaced by
    one copy of the fragment per item: ``${Identifier}`` (``&{Identifier}``: its alphanumerics only) in keys
    and strings becomes the item, ``Ref: Identifier`` the item itself."""
    expanded: dict[str, Any] = {}
    for key, value in section.items():
        if not key.startswith(_LOOP):
            expanded[key] = value
            continue
        identifier, items, fragment = value
        for item in items:
            expanded.update(expand_loops(_substitute(fragment, identifier, str(item))))
    return expanded


def _substitute(node: Any, identifier: str, item: str) -> Any:
    if isinstance(node, str):
        alphanumeric = re.sub(r"\W|_", "", item)
        return node.replace(f"${{{identifier}}}", item).replace(f"&{{{identifier}}}", alphanumeric)
    if isinstance(node, list):
        return [_substitute(element, identifier, item) for element in node]
    if not isinstance(node, dict):
        return node
    if node == {"Ref": identifier}:
        return item
    copied = {_substitute(k, identifier, item): _substitute(v, identifier, item) for k, v in node.items()}
    return _plain_names(copied)


def _plain_names(node: dict[str, Any]) -> dict[str, Any]:
    """``Ref: !Sub "Name"`` and ``!GetAtt [!Sub "Name", Attribute]`` with nothing left to substitute, as the
    transform leaves them: ``Ref: Name``, ``!GetAtt [Name, Attribute]``."""

    def plain(name: Any) -> Any:
        if isinstance(name, dict) and set(name) == {"Fn::Sub"} and isinstance(name["Fn::Sub"], str):
            return name["Fn::Sub"] if "${" not in name["Fn::Sub"] else name
        return name

    if set(node) == {"Ref"}:
        return {"Ref": plain(node["Ref"])}
    if set(node) == {"Fn::GetAtt"} and isinstance(node["Fn::GetAtt"], list):
        return {"Fn::GetAtt": [plain(node["Fn::GetAtt"][0]), *node["Fn::GetAtt"][1:]]}
    return node


def _resolve(value: Any, references: Mapping[str, str]) -> str:
    if isinstance(value, dict) and ("Ref" in value or "Fn::GetAtt" in value):
        name = value["Ref"] if "Ref" in value else ".".join(value["Fn::GetAtt"])
        if name not in references:
            raise KeyError(f"template.yaml refers to {name}, which has no local value")
        return references[name]
    if isinstance(value, dict):
        raise ValueError(f"cannot resolve {value} locally")
    return str(value)
