"""Tables on a narrow terminal (issue 10): ids are never wrapped nor cut, so that they can be copied whole;
the least needed columns give way first."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from xtasks import Job, Status, Step, StepType
from xtasks.render import action_details, jobs_table, steps_table

JOB_ID = "0e5c0a52-3f6b-4a8e-9d0b-6b5c2f3d4e5f"
STEP_ID = "7d1f3c2a-9b8e-4f6d-a5c4-3b2a1f0e9d8c"
PARENT_ID = "11111111-2222-4333-8444-555555555555"
START = datetime(2025, 11, 30, 4, 6, 7, tzinfo=UTC)


def _job() -> Job:
    return Job(
        id=JOB_ID, description="Back up VM db01, a description long enough to wrap", status=Status.FINISHED,
        owner="arn:aws:iam::123456789012:role/ExternalTasksWriter", start_time=START, last_updated=START,
        auto_cleared=True, correlation_id="", end_time=START,
    )  # fmt: skip


def _step() -> Step:
    return Step(
        id=STEP_ID, job_id=JOB_ID, description="Copy disk", type=StepType.EXECUTING, number=0,
        status=Status.STARTED, start_time=START, parent_step_id=PARENT_ID,
    )  # fmt: skip


def _printed(renderable: object, width: int) -> list[str]:
    console = Console(width=width, record=True, force_terminal=False)
    console.print(renderable)
    return console.export_text().splitlines()


def test_job_ids_stay_whole_in_a_table_60_columns_wide() -> None:
    # Given a terminal 60 columns wide, when a job is listed, then its id is on one line, whole
    lines = _printed(jobs_table([_job()], now=START), 60)
    assert any(JOB_ID in line for line in lines)
    assert all(len(line) <= 60 for line in lines)
    # and the columns that did not fit gave way
    assert "owner" not in lines[1] + lines[2]


def test_step_ids_stay_whole_in_a_table_60_columns_wide() -> None:
    lines = _printed(steps_table([_step()], now=START), 60)
    assert any(STEP_ID in line for line in lines)
    assert all(len(line) <= 60 for line in lines)


def test_a_wide_terminal_shows_every_column() -> None:
    text = "\n".join(_printed(steps_table([_step()], now=START), 200))
    for column in ("id", "number", "status", "type", "description", "took", "parent"):
        assert column in text
    assert PARENT_ID in text


def test_an_action_reply_is_shown_with_its_job() -> None:
    reply = {
        "force": False,
        "succeeded": True,
        "job": {"id": JOB_ID, "href": "/api/jobs/x"},
        "status": "complete",
    }
    text = "\n".join(_printed(action_details(reply), 60))
    assert "status" in text
    assert "complete" in text
    assert JOB_ID in text
