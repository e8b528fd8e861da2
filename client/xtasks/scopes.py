"""Jobs and steps that live as long as a ``with`` block: finished when it ends, failed when it raises."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

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
    """A step for the length of a ``with`` block (``job.step(...)``, or ``step.step(...)`` for a sub-step).

    A step bound to an AWS execution (``execution=ARN``, or ``state_machine=ARN`` to start one) is ended by
    its execution: the block's normal end leaves it to it; a block that raises fails it.
    """

    def __init__(
        self,
        client: Client,
        job_id: str,
        parent_id: str | None,
        description: str,
        kind: StepType | str,
        **execution: Any,
    ) -> None:
        self.client, self.job_id, self.parent_id = client, job_id, parent_id
        self.description, self.kind = description, kind
        self.execution = {name: value for name, value in execution.items() if value is not None}
        self.id = ""
        self.step_data: Step | None = None

    def __enter__(self) -> Self:
        self.step_data = self.client.add_step(
            self.job_id, self.description, self.kind, parent_step=self.parent_id, **self.execution
        )
        self.id = self.step_data.id
        return self

    def step(
        self, description: str, type: StepType | str = StepType.EXECUTING, **execution: Any
    ) -> StepScope:
        """A sub-step; ``execution=``, ``state_machine=``, ``input=`` as for Client.add_step."""
        return StepScope(self.client, self.job_id, self.id, description, type, **execution)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.execution and error is None:
            return  # its execution ends it
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

    def step(
        self, description: str, type: StepType | str = StepType.EXECUTING, **execution: Any
    ) -> StepScope:
        """A step; ``execution=ARN`` binds it to an AWS execution, ``state_machine=ARN`` (and ``input=``)
        starts one for it (Client.add_step)."""
        return StepScope(self.client, self.id, None, description, type, **execution)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        _finish(lambda succeeded: self.client.end_job(self.id, succeeded=succeeded), error)
