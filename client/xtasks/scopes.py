"""Jobs and steps that live as long as a ``with`` block: finished when it ends, failed when it raises."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Self

from xtasks import errors
from xtasks.enums import StepType

if TYPE_CHECKING:
    from xtasks.client import Client
    from xtasks.resources import Job, Step


def _finish(end: Callable[[bool], None], error: BaseException | None) -> None:
    """End a job or step by how its block ended. When the block raised and the job or step had already
    ended otherwise (a failed step fails its job), the block's own error is the one that matters."""
    try:
        end(error is None)
    except errors.Conflict:
        if error is None:
            raise


class StepScope:
    """A step for the length of a ``with`` block (``job.step(...)``, or ``step.step(...)`` for a sub-step)."""

    def __init__(
        self, client: Client, job_id: str, parent_id: str | None, description: str, kind: StepType | str
    ) -> None:
        self.client, self.job_id, self.parent_id = client, job_id, parent_id
        self.description, self.kind = description, kind
        self.id = ""
        self.step_data: Step | None = None

    def __enter__(self) -> Self:
        self.step_data = self.client.add_step(
            self.job_id, self.description, self.kind, parent_step=self.parent_id
        )
        self.id = self.step_data.id
        return self

    def step(self, description: str, type: StepType | str = StepType.EXECUTING) -> StepScope:
        return StepScope(self.client, self.job_id, self.id, description, type)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        _finish(lambda succeeded: self.client.end_step(self.job_id, self.id, succeeded=succeeded), error)


class JobScope:
    """A job for the length of a ``with`` block (``client.job(...)``)."""

    def __init__(self, client: Client, description: str, auto_cleared: bool) -> None:
        self.client, self.description, self.auto_cleared = client, description, auto_cleared
        self.id = ""
        self.job: Job | None = None

    def __enter__(self) -> Self:
        self.job = self.client.add_job(self.description, auto_cleared=self.auto_cleared)
        self.id = self.job.id
        return self

    def step(self, description: str, type: StepType | str = StepType.EXECUTING) -> StepScope:
        return StepScope(self.client, self.id, None, description, type)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        _finish(lambda succeeded: self.client.end_job(self.id, succeeded=succeeded), error)
