"""Writes schemas/events/*.json: a JSON Schema of the detail of each change event's detail-type
(docs/events.md), generated from models that reuse the API's own reply models (tools/openapi.py), so that an
event's job or step is described exactly as GET describes it. ``make openapi`` runs it; tests hold the
committed files to it, and the events actually published to the files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from external_tasks.change_events import REMOVED, DetailType
from external_tasks.model import Status
from tools.openapi import JobReply, StepReply

ROOT = Path(__file__).resolve().parents[1]
DIRECTORY = ROOT / "schemas" / "events"
_UUID: dict[str, Any] = {"format": "uuid"}


class _Detail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(description="the same for every delivery of the same change")
    job_id: str = Field(json_schema_extra=_UUID)
    owner: str | None = Field(description="the job's owner (an IAM principal ARN); null only for a step "
                              "change published after its job was cleared away")  # fmt: skip
    correlation_id: str | None = Field(description="the job's correlation id; null as owner is")


class JobStatusChange(_Detail):
    """A job was added (previous_status null), ended, timed out, or removed after clean-up (removed)."""

    status: Status | Literal["removed"]
    previous_status: Status | None
    job: JobReply = Field(description="the job as GET /jobs/{job_id} shows it (before its removal)")


class StepStatusChange(_Detail):
    """A step was added (previous_status null) or ended."""

    step_id: str = Field(json_schema_extra=_UUID)
    status: Status
    previous_status: Status | None
    step: StepReply = Field(description="the step as stored: a step its job's end closed shows no change")


class JobProgress(_Detail):
    """A job's progress changed."""

    progress: int = Field(ge=0, le=100)
    previous_progress: int | None = Field(ge=0, le=100)
    status: Status
    previous_status: Status | None
    job: JobReply


class StepProgress(_Detail):
    """A step's progress changed."""

    step_id: str = Field(json_schema_extra=_UUID)
    progress: int = Field(ge=0, le=100)
    previous_progress: int | None = Field(ge=0, le=100)
    status: Status
    previous_status: Status | None
    step: StepReply


MODELS: dict[DetailType, type[_Detail]] = {
    DetailType.JOB_STATUS: JobStatusChange,
    DetailType.STEP_STATUS: StepStatusChange,
    DetailType.JOB_PROGRESS: JobProgress,
    DetailType.STEP_PROGRESS: StepProgress,
}
assert REMOVED == "removed"


def file_name(detail_type: DetailType) -> str:
    return detail_type.lower().replace(" ", "-") + ".json"


def schema(detail_type: DetailType) -> dict[str, Any]:
    generated = MODELS[detail_type].model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **generated,
        "title": f"{detail_type}: the detail of the event (source external-tasks)",
    }


def render(detail_type: DetailType) -> str:
    return json.dumps(schema(detail_type), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    for kind in DetailType:
        (DIRECTORY / file_name(kind)).write_text(render(kind))
        sys.stdout.write(f"wrote {(DIRECTORY / file_name(kind)).relative_to(ROOT)}\n")
