"""Request bodies (pydantic), validated from the plain data that http.bodies makes of JSON or XML.

Values arrive as JSON natives or as the strings oVirt and XML send (``"true"``); enum values in any letter
case. Fields this API does not read are ignored, as oVirt clients send more.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from external_tasks import executions, limits, patterns
from external_tasks.errors import Incomplete, Invalid, shown
from external_tasks.model import Status, StepType, is_id


def _description(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("text", "must be text")
    text = value.strip()
    if not text:
        raise PydanticCustomError("blank", "must not be blank")
    if len(text) > limits.MAX_DESCRIPTION_LENGTH:
        raise PydanticCustomError(
            "too_long",
            "is {length} characters long, more than the {most} allowed",
            {"length": len(text), "most": limits.MAX_DESCRIPTION_LENGTH},
        )
    return text


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise PydanticCustomError("flag", "must be true or false, not {value}", {"value": shown(value)})


def _enum[E: (Status, StepType)](kind: type[E], noun: str) -> BeforeValidator:
    def parse(value: Any) -> E | None:
        if value is None:
            return None
        if isinstance(value, str):
            try:
                return kind(value.strip().lower())
            except ValueError:
                pass
        raise PydanticCustomError(
            "enum",
            "{value} is not a {noun}: use one of {allowed}",
            {"value": shown(value), "noun": noun, "allowed": ", ".join(kind)},
        )

    return BeforeValidator(parse)


def _uuid(value: Any) -> str:
    if not isinstance(value, str) or not is_id(value.strip()):
        raise PydanticCustomError("uuid", "{value} is not a step id (a UUID)", {"value": shown(value)})
    return value.strip().lower()


def _whole_number(low: int, high: int, unit: str) -> BeforeValidator:
    """An integer from ``low`` to ``high``: a JSON integer, or its digits as oVirt and XML send them."""

    def parse(value: Any) -> int:
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, float) and value.is_integer():  # 40.0: an integer, as JSON Schema counts
            number = int(value)
        elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            digits = value.strip().lstrip("0") or "0"
            number = int(digits) if len(digits) <= len(str(high)) else high + 1
        if number is None or not low <= number <= high:
            raise PydanticCustomError(
                "range",
                "must be a whole number of {unit} from {low} to {high}, not {value}",
                {"unit": unit, "low": low, "high": high, "value": shown(value)},
            )
        return number

    return BeforeValidator(parse)


def _number_schema(low: int, high: int, digits: str) -> dict[str, Any]:
    """``digits``: a pattern of the numbers from ``low`` to ``high`` written without leading zeros."""
    return {
        "anyOf": [
            {"type": "integer", "minimum": low, "maximum": high},
            {"type": "string", "pattern": patterns.padded(f"0*(?:{digits})", _SPACE)},
        ]
    }


def _legacy_status(value: Any) -> Any:
    """oVirt 3.x sends ``<status><state>finished</state></status>`` or ``<status>finished</status>``."""
    if isinstance(value, dict):
        if "state" not in value:
            raise PydanticCustomError("state", "must name its state")
        return value["state"]
    return value


# The JSON schemas say exactly what the validators accept (openapi/openapi.json is generated from them; tests
# hold each to its validator): white space is what str.strip() takes off, less the control characters a body
# may not hold; letter case is what str.lower() ignores.
_SPACE = patterns.BODY_WHITESPACE


def _choice_schema(values: list[str]) -> dict[str, Any]:
    return {
        "description": "in any letter case",
        "anyOf": [
            {"type": "string", "enum": values},
            {"type": "string", "pattern": patterns.padded(patterns.one_of(values), _SPACE)},
        ],
    }


_TERMINAL = _choice_schema([str(s) for s in Status if s.is_terminal])
type Description = Annotated[
    str,
    BeforeValidator(_description),
    WithJsonSchema(
        {
            "type": "string",
            "description": f"1 to {limits.MAX_DESCRIPTION_LENGTH} characters once white space around it is "
            "taken off",
            "pattern": patterns.padded(
                f"{patterns.BODY_VISIBLE}(?:{patterns.TEXT_CHARACTER}"
                f"{{0,{limits.MAX_DESCRIPTION_LENGTH - 2}}}{patterns.BODY_VISIBLE})?",
                _SPACE,
            ),
        }
    ),
]
type Flag = Annotated[
    bool,
    BeforeValidator(_flag),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": ["boolean", "null"]},
                {"type": "string", "pattern": patterns.padded(patterns.one_of(["true", "false"]), _SPACE)},
            ]
        }
    ),
]
type StepId = Annotated[
    str,
    BeforeValidator(_uuid),
    WithJsonSchema(
        {
            "type": "string",
            "description": "a step's id (a UUID)",
            "pattern": patterns.padded(patterns.UUID, _SPACE),
        }
    ),
]


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    entity: ClassVar[str]  # how oVirt names the body in "Incomplete parameters" faults
    verb: ClassVar[str]

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Self:
        """The body, or an Invalid / Incomplete error naming the first field that is wrong.

        A member that is null counts as absent (oVirt's own documents leave nulls out, as Jackson's NON_NULL
        writes them), so its default applies.
        """
        try:
            return cls.model_validate({name: value for name, value in data.items() if value is not None})
        except ValidationError as error:
            problem = error.errors(include_url=False)[0]
            field = ".".join(str(part) for part in problem["loc"])
            if problem["type"] == "missing":
                raise Incomplete(f"{cls.entity} [{field}] required for {cls.verb}") from None
            raise Invalid(f"{cls.entity} [{field}] {_message(problem)}") from None


def _message(problem: Any) -> str:
    if problem["type"] in ("model_type", "dict_type"):
        return 'must be an object, such as {"id": "…"}'
    message: str = problem["msg"]
    return message[0].lower() + message[1:]


type Timeout = Annotated[
    int,
    _whole_number(limits.MIN_JOB_TIMEOUT_SECONDS, limits.MAX_JOB_TIMEOUT_SECONDS, "seconds"),
    WithJsonSchema(
        {
            "description": "the job's lease in seconds: it ends unknown unless a write renews it in time",
            **_number_schema(
                limits.MIN_JOB_TIMEOUT_SECONDS,
                limits.MAX_JOB_TIMEOUT_SECONDS,
                # 60-99, 100-99999, 100000-599999, 600000-603999, 604000-604799, 604800
                "[6-9][0-9]|[1-9][0-9]{2,4}|[1-5][0-9]{5}|60[0-3][0-9]{3}|604[0-7][0-9]{2}|604800",
            ),
        }
    ),
]
type Progress = Annotated[
    int,
    _whole_number(0, limits.MAX_PROGRESS, "percent"),
    WithJsonSchema(
        {"description": "percent done", **_number_schema(0, limits.MAX_PROGRESS, "[0-9]|[1-9][0-9]|100")}
    ),
]


class AddJob(Body):
    entity, verb = "Job", "add"

    description: Description
    auto_cleared: Flag = True
    timeout: Timeout | None = None


class JobProgress(Body):
    entity, verb = "Job", "update"

    progress: Progress


class StepProgress(Body):
    entity, verb = "Step", "update"

    progress: Progress


class HeartbeatAction(Body):
    entity, verb = "Action", "heartbeat"


class ParentStep(Body):
    entity, verb = "Step", "add"

    id: StepId


def _execution_arn(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else None
    if text is None or executions.kind_of(text) is None:
        accepted = "; ".join(f"{kind}: {pattern}" for kind, pattern in executions.ARN_PATTERNS.items())
        raise PydanticCustomError(
            "execution_arn",
            "{value} is not the ARN of an execution this service monitors; it accepts (GET /capabilities) "
            "{accepted}",
            {"value": shown(value, 120), "accepted": accepted},
        )
    return text


def _state_machine_arn(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else None
    if text is None or not executions.is_state_machine(text):
        raise PydanticCustomError(
            "state_machine_arn",
            "{value} is not a state machine's ARN ({pattern})",
            {"value": shown(value, 120), "pattern": executions.STATE_MACHINE_PATTERN},
        )
    return text


def _nullable_text(pattern: str, description: str) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "description": description, "pattern": patterns.padded(pattern, _SPACE)},
                {"type": "null"},
            ]
        }
    )


_EXECUTION_ARNS = "(?:" + "|".join(executions.ARN_PATTERNS.values()) + ")"


class ExecutionRequest(BaseModel):
    """``execution`` of add step: bind the step to a running execution (``arn``), or start one
    (``state_machine`` with its ``input``)."""

    model_config = ConfigDict(
        extra="ignore",
        frozen=True,
        json_schema_extra={
            "oneOf": [
                {"properties": {"arn": {"type": "string"}}, "required": ["arn"]},
                {"properties": {"state_machine": {"type": "string"}}, "required": ["state_machine"]},
            ]
        },
    )

    arn: Annotated[
        str | None,
        BeforeValidator(lambda value: None if value is None else _execution_arn(value)),
        _nullable_text(_EXECUTION_ARNS, "a Step Functions execution, CodeBuild build, Batch job or ECS task"),
    ] = None
    state_machine: Annotated[
        str | None,
        BeforeValidator(lambda value: None if value is None else _state_machine_arn(value)),
        _nullable_text(executions.STATE_MACHINE_PATTERN, "a state machine to start (MonitoredStateMachines)"),
    ] = None
    input: dict[str, Any] | None = Field(
        default=None, description="the started execution's input (ignored with arn); in XML, one element each"
    )

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.arn is None) == (self.state_machine is None):
            raise PydanticCustomError("execution", "must hold either arn (bind) or state_machine (start)")
        return self


class AddStep(Body):
    entity, verb = "Step", "add"

    description: Description
    type: Annotated[StepType, _enum(StepType, "step type"), WithJsonSchema(_choice_schema(list(StepType)))]
    parent_step: ParentStep | None = None
    execution: ExecutionRequest | None = None


class EndAction(Body):
    entity, verb = "Action", "end"

    succeeded: Flag | None = None
    force: Flag = False
    # Pydantic runs "before" validators last to first: the 3.x shape is unwrapped, then the status parsed.
    status: Annotated[
        Status | None,
        _enum(Status, "status"),
        BeforeValidator(_legacy_status),
        WithJsonSchema(
            {
                "description": "oVirt 3.x: the terminal status to end with, instead of succeeded; null: none",
                "oneOf": [
                    {"type": "null"},
                    _TERMINAL,
                    {
                        "type": "object",
                        "properties": {"state": {"anyOf": [_TERMINAL, {"type": "null"}]}},
                        "required": ["state"],
                    },
                ],
            }
        ),
    ] = None

    def echo(self) -> dict[str, bool]:
        """The flags the client sent, for the action reply."""
        return {name: getattr(self, name) for name in ("force", "succeeded") if name in self.model_fields_set}


class ClearAction(Body):
    entity, verb = "Action", "clear"
