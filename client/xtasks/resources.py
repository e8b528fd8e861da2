"""Jobs and steps as the API returns them (its JSON representation), typed. A reply that is not one raises
UnexpectedReply."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from xtasks.enums import Status, StepType
from xtasks.errors import UnexpectedReply


@contextmanager
def _reading(kind: str) -> Iterator[None]:
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
        raise UnexpectedReply(
            f"the reply is not a {kind} as External Tasks writes one ({type(error).__name__}: {error})"
        ) from None


def _time(value: Any) -> datetime | None:
    return None if value is None else _moment(value)


def _moment(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    job_id: str
    description: str
    type: StepType
    number: int
    status: Status
    start_time: datetime
    end_time: datetime | None = None
    parent_step_id: str | None = None
    progress: int | None = None
    execution: str | None = None  # the ARN of the AWS execution that ends it

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Step:
        with _reading("step"):
            return cls._from_json(data)

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> Step:
        parent = data.get("parent_step")
        start = _moment(data["start_time"])
        return cls(
            id=data["id"],
            job_id=data["job"]["id"],
            description=data["description"],
            type=StepType(str(data["type"]).lower()),
            number=int(data["number"]),
            status=Status(str(data["status"]).lower()),
            start_time=start,
            end_time=_time(data.get("end_time")),
            parent_step_id=parent["id"] if parent else None,
            progress=int(data["progress"]) if "progress" in data else None,
            execution=data["execution"]["arn"] if "execution" in data else None,
        )


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    description: str
    status: Status
    owner: str
    start_time: datetime
    last_updated: datetime
    auto_cleared: bool
    correlation_id: str
    end_time: datetime | None = None
    steps: tuple[Step, ...] | None = None  # with follow=steps
    progress: int | None = None  # percent done, once reported
    timeout: int | None = None  # its lease in seconds: it ends unknown unless renewed within it
    deadline: datetime | None = None  # while started, with a timeout: when it ends unless renewed

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Job:
        with _reading("job"):
            return cls._from_json(data)

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> Job:
        start, updated = _moment(data["start_time"]), _moment(data["last_updated"])
        embedded = data.get("steps")
        return cls(
            id=data["id"],
            description=data["description"],
            status=Status(str(data["status"]).lower()),
            owner=data.get("owner", {}).get("id", ""),
            start_time=start,
            last_updated=updated,
            auto_cleared=_flag(data.get("auto_cleared")),
            correlation_id=data.get("correlation_id", ""),
            end_time=_time(data.get("end_time")),
            steps=None if embedded is None else tuple(Step.from_json(s) for s in embedded.get("step", [])),
            progress=int(data["progress"]) if "progress" in data else None,
            timeout=int(data["timeout"]) if "timeout" in data else None,
            deadline=_time(data.get("deadline")),
        )
