"""Jobs and steps as the API returns them (its JSON representation), typed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from xtasks.enums import Status, StepType


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(int(value) / 1000, tz=UTC)


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

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Step:
        parent = data.get("parent_step")
        start = _time(data["start_time"])
        assert start is not None
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

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Job:
        start, updated = _time(data["start_time"]), _time(data["last_updated"])
        assert start is not None
        assert updated is not None
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
        )
