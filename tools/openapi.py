"""Writes openapi/openapi.json: the API as OpenAPI 3.1, generated from the models.

Request bodies come from the service's own pydantic models (external_tasks.requests); replies from the
representation models below, which a test holds to what the service renders (tests/unit/test_openapi.py),
as it holds the committed document to this generator. ``make openapi`` runs it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from external_tasks import limits, paging, patterns, search
from external_tasks.executions import ExecutionKind
from external_tasks.http.request import FOLLOW_PATTERN, PAGE_SIZE_PATTERN
from external_tasks.model import Status, StepType
from external_tasks.requests import (
    AddJob,
    AddStep,
    ClearAction,
    EndAction,
    HeartbeatAction,
    JobProgress,
    StepProgress,
)

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "openapi" / "openapi.json"
UUID = {"type": "string", "format": "uuid", "pattern": f"^{patterns.UUID}$"}


class _Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Link(_Reply):
    href: str
    rel: str


class Actions(_Reply):
    link: list[Link]


class Ref(_Reply):
    id: str
    href: str | None = None


class ExecutionReply(_Reply):
    """The AWS execution a step is bound to (docs/api.md: Monitored executions)."""

    arn: str
    kind: ExecutionKind
    console_url: str | None = Field(default=None, description="its page in the AWS console, where known")


class StepReply(_Reply):
    """A step (docs/api.md: Jobs and steps)."""

    id: str = Field(json_schema_extra={"format": "uuid"})
    href: str
    actions: Actions
    description: str
    external: bool
    number: int = Field(ge=0)
    start_time: int = Field(description="epoch milliseconds")
    end_time: int | None = Field(default=None, description="epoch milliseconds; absent while started")
    status: Status
    type: StepType
    job: Ref
    parent_step: Ref | None = Field(default=None, description="absent for a top-level step")
    progress: int | None = Field(
        default=None, ge=0, le=100, description="percent done: absent until reported, 100 once finished"
    )
    execution: ExecutionReply | None = Field(default=None, description="the AWS execution that ends it")


class EmbeddedSteps(_Reply):
    step: list[StepReply]


class JobReply(_Reply):
    """A job (docs/api.md: Jobs and steps); with follow=steps, its steps embedded."""

    id: str = Field(json_schema_extra={"format": "uuid"})
    href: str
    actions: Actions
    link: list[Link]
    description: str
    auto_cleared: bool
    correlation_id: str
    external: bool
    start_time: int = Field(description="epoch milliseconds")
    end_time: int | None = Field(default=None, description="epoch milliseconds; absent while started")
    last_updated: int = Field(description="epoch milliseconds")
    status: Status
    owner: Ref = Field(description="the owner's IAM principal ARN, as id")
    progress: int | None = Field(
        default=None, ge=0, le=100, description="percent done: absent until reported, 100 once finished"
    )
    timeout: int | None = Field(
        default=None,
        ge=limits.MIN_JOB_TIMEOUT_SECONDS,
        le=limits.MAX_JOB_TIMEOUT_SECONDS,
        description="the job's lease in seconds; absent for a job that never times out",
    )
    deadline: int | None = Field(
        default=None,
        description="epoch milliseconds: the job ends unknown unless a write renews its lease before; "
        "shown while the job is started and has a timeout",
    )
    steps: EmbeddedSteps | None = None


class JobList(_Reply):
    job: list[JobReply]
    link: list[Link] | None = Field(default=None, description="rel next: the following page")


class StepList(_Reply):
    step: list[StepReply]
    link: list[Link] | None = Field(default=None, description="rel next: the following page")


class ActionReply(_Reply):
    """The reply to end and clear: the input echoed, status complete."""

    status: Literal["complete"]
    job: Ref | None = None
    succeeded: bool | None = None
    force: bool | None = None


class Fault(_Reply):
    reason: str
    detail: str


class ActionFault(_Reply):
    """A fault on an action endpoint, wrapped as oVirt wraps it."""

    fault: Fault
    status: Literal["failed"]


class GatewayRefusal(BaseModel):
    """API Gateway's own refusals (unsigned, badly signed, not allowed)."""

    model_config = ConfigDict(extra="forbid")
    message: str | None = None
    Message: str | None = None


class StatusList(_Reply):
    status: list[Status]


class StepTypeList(_Reply):
    step_type: list[StepType]


class SearchTermList(_Reply):
    search_term: list[str]


class Cleanup(_Reply):
    succeeded_job_minutes: float
    failed_job_minutes: float


class Limits(_Reply):
    max_body_bytes: int
    max_nesting_depth: int
    max_description_length: int
    max_correlation_id_length: int
    default_page_size: int
    max_page_size: int
    max_steps_per_job: int
    max_step_depth: int
    max_followed_steps: int = Field(
        description="follow=steps embeds at most this many steps, and only while the reply fits in "
        "max_reply_bytes; a larger job is 400: list its steps with GET /jobs/{job_id}/steps"
    )
    max_reply_bytes: int = Field(
        description="Lambda's limit on a reply, in bytes: a listing page, or a job with its steps embedded, "
        "stops short of it, counting each character of a text as the most it can take (12 bytes); "
        "follow=steps always holds 100 steps of 4,000-character descriptions, or 1,000 of 200, in any "
        "characters"
    )


class StateMachineList(_Reply):
    state_machine: list[str]


class MonitoredCommand(_Reply):
    kind: ExecutionKind
    arn_pattern: str = Field(description="the execution ARNs add step binds, as a regular expression")
    state_machines: StateMachineList = Field(description="states:execution: those add step may start")


class MonitoredCommandList(_Reply):
    monitored_command: list[MonitoredCommand]


class Capabilities(_Reply):
    href: str
    api_version: str
    statuses: StatusList
    terminal_statuses: StatusList
    step_types: StepTypeList
    search_terms: SearchTermList
    auto_cleared_default: bool
    cleanup: Cleanup
    limits: Limits
    monitored_commands: MonitoredCommandList


class Version(_Reply):
    build: int
    full_version: str
    major: int
    minor: int
    revision: int


class ProductInfo(_Reply):
    name: str
    vendor: str
    version: Version


class ApiRoot(_Reply):
    """oVirt's API root: links to what it serves, product_info for what it is."""

    product_info: ProductInfo
    time: int = Field(description="epoch milliseconds")
    link: list[Link] = Field(description="rel jobs and capabilities, under the path the request came in on")


REPLIES: tuple[type[BaseModel], ...] = (
    JobReply,
    JobList,
    StepReply,
    StepList,
    ActionReply,
    Fault,
    ActionFault,
)
REQUESTS: tuple[type[BaseModel], ...] = (
    AddJob,
    AddStep,
    EndAction,
    ClearAction,
    JobProgress,
    StepProgress,
    HeartbeatAction,
)


# Any JSON value a body may carry in a member this API does not read: text without control characters, member
# names included (docs/api.md: Limits). Not stated: the 32 levels of nesting, the 65,536 bytes and the digits
# of a number that http.bodies also allow, at most.
JSON_VALUE = {
    "description": "any JSON value whose texts, member names included, hold no control character",
    "anyOf": [
        {"type": ["null", "boolean", "number"]},
        {"type": "string", "pattern": patterns.TEXT},
        {"type": "array", "items": {"$ref": "#/components/schemas/JsonValue"}},
        {
            "type": "object",
            "propertyNames": {"pattern": patterns.TEXT},
            "additionalProperties": {"$ref": "#/components/schemas/JsonValue"},
        },
    ],
}


def _open_objects(schema: Any) -> None:
    """Every object of a request body takes members it does not name, as http.bodies does (JsonValue)."""
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            schema.setdefault("propertyNames", {"pattern": patterns.TEXT})
            if schema.get("additionalProperties", True) is True:  # pydantic's dict[str, Any] says true
                schema["additionalProperties"] = {"$ref": "#/components/schemas/JsonValue"}
        for value in schema.values():
            _open_objects(value)
    elif isinstance(schema, list):
        for value in schema:
            _open_objects(value)


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    models: list[type[BaseModel]] = [*REPLIES, GatewayRefusal, Capabilities, ApiRoot]
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    for model in REQUESTS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        definitions = schema.pop("$defs", {})
        _open_objects([schema, definitions])
        schemas.update(definitions)
        schemas[model.__name__] = schema
    schemas["JsonValue"] = JSON_VALUE
    return schemas


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _content(schema: dict[str, Any]) -> dict[str, Any]:
    """JSON with its schema; XML as oVirt writes it (same fields, see OVIRT-WIRE.md)."""
    return {"application/json": {"schema": schema}, "application/xml": {}}


def _reply(description: str, model: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    reply: dict[str, Any] = {"description": description, "content": _content(_ref(model))}
    if headers:
        reply["headers"] = headers
    return reply


def _faults(*statuses: int, action: bool = False) -> dict[str, Any]:
    texts = {
        400: "malformed or invalid input",
        403: "not signed, not allowed by IAM or by the user's groups, or not the job's owner",
        404: "no such job or step",
        409: "the job or step's state forbids it (rules 4, 5), or an Idempotency-Key whose job was "
        "cleared away",
        413: "body over 65,536 bytes",
        415: "neither JSON nor XML",
        422: "Idempotency-Key used before with another body",
        503: "the store is throttling or failing (retry after Retry-After seconds), or the deployment is "
        "misconfigured (no Retry-After); nothing changed",
        504: "the store never confirmed the change: it may or may not have been made",
    }
    fault = "ActionFault" if action else "Fault"
    replies = {}
    for status in statuses:
        schema: dict[str, Any] = _ref(fault)
        if status == 403:
            schema = {"oneOf": [_ref(fault), _ref("GatewayRefusal")]}
        reply: dict[str, Any] = {"description": texts[status], "content": _content(schema)}
        if status == 503:
            reply["headers"] = {"Retry-After": {"schema": {"type": "string"}, "description": "seconds"}}
        replies[str(status)] = reply
    replies["401"] = {
        "description": "on oVirt's path only: no token, or one that is not valid or has expired (API "
        "Gateway's own reply)",
        "content": _content(_ref("GatewayRefusal")),
    }
    return dict(sorted(replies.items()))


def _body(model: str, required: bool = True) -> dict[str, Any]:
    return {
        "required": required,
        "content": {"application/json": {"schema": _ref(model)}},
        "description": "JSON, or the same fields in oVirt's XML (application/xml)",
    }


JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": UUID}
STEP_ID = {"name": "step_id", "in": "path", "required": True, "schema": UUID}
PAGE = [
    {
        "name": "max",
        "in": "query",
        "schema": {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": limits.MAX_PAGE_SIZE},
                {"type": "string", "pattern": PAGE_SIZE_PATTERN},
            ]
        },
        "description": f"1 to {limits.MAX_PAGE_SIZE} (at most four digits, white space around them allowed)",
    },
    {
        "name": "page",
        "in": "query",
        "schema": {"type": "string", "maxLength": paging.MAX_TOKEN_LENGTH, "pattern": paging.TOKEN_PATTERN},
        "description": "the page token of the previous reply's next link: only the service makes valid ones, "
        "bound to the listing and its query",
    },
]
CORRELATION_ID = {
    "name": "Correlation-Id",
    "in": "header",
    "schema": {"type": "string"},
    "description": "kept as the job's correlation id, sanitised to [0-9A-Za-z_-] and 50 characters; "
    "generated when absent or empty",
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "schema": {"type": "string", "pattern": r"^[!-~]{1,255}$"},
    "description": "a retry with the same key gets the first result again",
}
LOCATION = {"Location": {"schema": {"type": "string"}, "description": "the new resource's URL"}}
JOB_LINKS = {
    name: {"operationId": operation, "parameters": {"job_id": "$response.body#/id"}}
    for name, operation in (
        ("GetJob", "getJob"),
        ("AddStep", "addStep"),
        ("ListSteps", "listSteps"),
        ("EndJob", "endJob"),
        ("ClearJob", "clearJob"),
        ("ReportJobProgress", "reportJobProgress"),
        ("Heartbeat", "heartbeat"),
    )
}
STEP_LINKS = {
    name: {
        "operationId": operation,
        "parameters": {"job_id": "$response.body#/job/id", "step_id": "$response.body#/id"},
    }
    for name, operation in (
        ("GetStep", "getStep"),
        ("EndStep", "endStep"),
        ("ReportStepProgress", "reportStepProgress"),
    )
}


def document() -> dict[str, Any]:
    created_job = _reply("the job", "JobReply", LOCATION) | {"links": JOB_LINKS}
    created_step = _reply("the step", "StepReply", LOCATION) | {"links": STEP_LINKS}
    paths: dict[str, Any] = {
        "/": {
            "get": {
                "operationId": "getApiRoot",
                "summary": "oVirt's API root: links to jobs and capabilities, and product_info",
                "responses": {"200": _reply("the API root", "ApiRoot"), **_faults(403)},
            }
        },
        "/jobs": {
            "get": {
                "operationId": "listJobs",
                "summary": "Jobs, newest first",
                "parameters": [
                    {
                        "name": "search",
                        "in": "query",
                        "schema": {
                            "type": "string",
                            "maxLength": search.MAX_SEARCH_LENGTH,
                            "pattern": search.search_pattern(),
                        },
                        "description": "correlation_id=X, status=S, owner=ARN, each at most once, combined "
                        "with 'and' (names, statuses and 'and' in any letter case; values may be quoted)",
                    },
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {
                            "anyOf": [
                                {"type": "string", "enum": [str(s) for s in Status]},
                                {"type": "string", "pattern": search.status_pattern()},
                            ]
                        },
                        "description": "a shortcut for search's status=S, in any letter case; it must agree "
                        "with a status that search names",
                    },
                    *PAGE,
                ],
                "responses": {"200": _reply("a page of jobs", "JobList"), **_faults(400, 403, 503)},
            },
            "post": {
                "operationId": "addJob",
                "summary": "Add a job",
                "parameters": [CORRELATION_ID, IDEMPOTENCY_KEY],
                "requestBody": _body("AddJob"),
                "responses": {"201": created_job, **_faults(400, 403, 409, 413, 415, 422, 503, 504)},
            },
        },
        "/jobs/{job_id}": {
            "get": {
                "operationId": "getJob",
                "summary": "A job; with follow=steps, its steps too",
                "parameters": [
                    JOB_ID,
                    {
                        "name": "follow",
                        "in": "query",
                        "schema": {
                            "anyOf": [
                                {"type": "string", "enum": ["steps"]},
                                {"type": "string", "pattern": FOLLOW_PATTERN},
                            ]
                        },
                        "description": "steps (in any letter case): embed the job's steps",
                    },
                ],
                "responses": {"200": _reply("the job", "JobReply"), **_faults(400, 403, 404, 503)},
            },
            "put": {
                "operationId": "reportJobProgress",
                "summary": "Report a job's progress (members other than progress are ignored); renews its "
                "lease",
                "parameters": [JOB_ID],
                "requestBody": _body("JobProgress"),
                "responses": {
                    "200": _reply("the job", "JobReply"),
                    **_faults(400, 403, 404, 409, 413, 415, 503, 504),
                },
            },
        },
        "/jobs/{job_id}/heartbeat": {
            "post": {
                "operationId": "heartbeat",
                "summary": "Renew a job's lease: its deadline moves to now plus its timeout",
                "parameters": [JOB_ID],
                "requestBody": _body("HeartbeatAction", required=False),
                "responses": {
                    "200": _reply("renewed", "ActionReply"),
                    **_faults(400, 403, 404, 409, 413, 415, 503, 504, action=True),
                },
            }
        },
        "/jobs/{job_id}/end": {
            "post": {
                "operationId": "endJob",
                "summary": "End a job and its open steps (rule 2)",
                "parameters": [JOB_ID],
                "requestBody": _body("EndAction", required=False),
                "responses": {
                    "200": _reply("ended", "ActionReply"),
                    **_faults(400, 403, 404, 409, 413, 415, 503, 504, action=True),
                },
            }
        },
        "/jobs/{job_id}/clear": {
            "post": {
                "operationId": "clearJob",
                "summary": "Mark a job auto-cleared (rule 6)",
                "parameters": [JOB_ID],
                "requestBody": _body("ClearAction", required=False),
                "responses": {
                    "200": _reply("cleared", "ActionReply"),
                    **_faults(400, 403, 404, 413, 415, 503, 504, action=True),
                },
            }
        },
        "/jobs/{job_id}/steps": {
            "get": {
                "operationId": "listSteps",
                "summary": "A job's steps in tree order",
                "parameters": [JOB_ID, *PAGE],
                "responses": {"200": _reply("a page of steps", "StepList"), **_faults(400, 403, 404, 503)},
            },
            "post": {
                "operationId": "addStep",
                "summary": "Add a step, or a sub-step under parent_step (rule 5)",
                "parameters": [JOB_ID, IDEMPOTENCY_KEY],
                "requestBody": _body("AddStep"),
                "responses": {"201": created_step, **_faults(400, 403, 404, 409, 413, 415, 422, 503, 504)},
            },
        },
        "/jobs/{job_id}/steps/{step_id}": {
            "get": {
                "operationId": "getStep",
                "summary": "A step",
                "parameters": [JOB_ID, STEP_ID],
                "responses": {"200": _reply("the step", "StepReply"), **_faults(403, 404, 503)},
            },
            "put": {
                "operationId": "reportStepProgress",
                "summary": "Report a step's progress (members other than progress are ignored); the job's "
                "last_updated and deadline stay",
                "parameters": [JOB_ID, STEP_ID],
                "requestBody": _body("StepProgress"),
                "responses": {
                    "200": _reply("the step", "StepReply"),
                    **_faults(400, 403, 404, 409, 413, 415, 503, 504),
                },
            },
        },
        "/jobs/{job_id}/steps/{step_id}/end": {
            "post": {
                "operationId": "endStep",
                "summary": "End a step and its open sub-steps (rule 3)",
                "parameters": [JOB_ID, STEP_ID],
                "requestBody": _body("EndAction", required=False),
                "responses": {
                    "200": _reply("ended", "ActionReply"),
                    **_faults(400, 403, 404, 409, 413, 415, 503, 504, action=True),
                },
            }
        },
        "/capabilities": {
            "get": {
                "operationId": "getCapabilities",
                "summary": "Statuses, step types, search terms, limits, cleanup delays",
                "responses": {
                    "200": _reply("what this deployment offers", "Capabilities"),
                    **_faults(403, 503),
                },
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "External Tasks",
            "version": "4.0",
            "description": "Jobs and steps injected by plug-ins; oVirt v4 jobs API compatible. "
            "See docs/api.md and docs/rules.md in its repository. The same operations are served on two "
            "paths: /api for requests signed with SigV4 (IAM), and oVirt's own /ovirt-engine/api for users "
            "signed in with a user name and password, whose token comes from oVirt's SSO endpoint, "
            "POST /ovirt-engine/sso/oauth/token (form-encoded; docs/api.md, Signing in).",
        },
        "servers": [
            {"url": "/api", "description": "IAM: every request signed with SigV4"},
            {"url": "/ovirt-engine/api", "description": "oVirt's path: Authorization: Bearer <token>"},
        ],
        "security": [{"sigv4": []}, {"signedIn": []}],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "sigv4": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "description": "AWS Signature Version 4, service execute-api (API Gateway AWS_IAM)",
                    "x-amazon-apigateway-authtype": "awsSigv4",
                },
                "signedIn": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "On /ovirt-engine/api: the access_token of oVirt's SSO token reply (the "
                    "user pool's ID token), checked by API Gateway's Cognito authorizer",
                },
            },
        },
    }


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    DOCUMENT.parent.mkdir(exist_ok=True)
    DOCUMENT.write_text(render())
    sys.stdout.write(f"wrote {DOCUMENT.relative_to(ROOT)}\n")
