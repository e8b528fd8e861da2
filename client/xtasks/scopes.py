"""Jobs and steps that live as long as a ``with`` block: finished when it ends, failed when it raises. A job
with a timeout is kept alive by heartbeats from a background thread while its block runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from xtasks import errors
from xtasks.enums import StepType

if TYPE_CHECKING:
    from xtasks.client import Client
    from xtasks.resources import Job, Step

# Heartbeats go out this many times per timeout, so that a few lost ones (retried by the client as well)
# cannot let the lease lapse.
HEARTBEATS_PER_TIMEOUT = 4


def _finish(end: Callable[[bool], None], error: BaseException | None) -> None:
    """End a job or step by how its block ended. When the block raised and the job or step had already
    ended otherwise (a failed step fails its job), the block's own error is the one that matters."""
    try:
        end(error is None)
    except errors.Conflict:
        if error is None:
            raise


class Heartbeats(threading.Thread):
    """Renews a job's lease every ``interval`` seconds until stopped or the job has ended. A daemon thread:
    it never keeps the process alive, and if the process dies, the heartbeats stop and the job times out."""

    def __init__(self, client: Client, job_id: str, interval: float) -> None:
        super().__init__(name=f"xtasks-heartbeats-{job_id}", daemon=True)
        self.client, self.job_id, self.interval = client, job_id, interval
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.client.heartbeat(self.job_id)
            except (errors.Conflict, errors.NotFound, errors.Forbidden):
                return  # ended, gone or not ours: nothing left to keep alive
            except errors.XtasksError:
                continue  # unreachable or unavailable after the client's retries: try again next time

    def stop(self) -> None:
        self._stopping.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join()


def heartbeats(client: Client, job: Job) -> Heartbeats | None:
    """Started heartbeats for the job, or None when it has no timeout (it never lapses)."""
    if job.timeout is None:
        return None
    beating = Heartbeats(client, job.id, job.timeout / HEARTBEATS_PER_TIMEOUT)
    beating.start()
    return beating


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

    def progress(self, percent: int) -> None:
        """Report the step's progress, 0 to 100."""
        self.step_data = self.client.report_step_progress(self.job_id, self.id, percent)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.execution and error is None:
            return  # its execution ends it
        _finish(lambda succeeded: self.client.end_step(self.job_id, self.id, succeeded=succeeded), error)


class JobScope:
    """A job for the length of a ``with`` block (``client.job(...)``)."""

    def __init__(
        self, client: Client, description: str, auto_cleared: bool, timeout: int | None = None
    ) -> None:
        self.client, self.description, self.auto_cleared = client, description, auto_cleared
        self.timeout = timeout
        self.id = ""
        self.job: Job | None = None
        self._heartbeats: Heartbeats | None = None

    def __enter__(self) -> Self:
        self.job = self.client.add_job(self.description, auto_cleared=self.auto_cleared, timeout=self.timeout)
        self.id = self.job.id
        self._heartbeats = heartbeats(self.client, self.job)
        return self

    def step(
        self, description: str, type: StepType | str = StepType.EXECUTING, **execution: Any
    ) -> StepScope:
        """A step; ``execution=ARN`` binds it to an AWS execution, ``state_machine=ARN`` (and ``input=``)
        starts one for it (Client.add_step)."""
        return StepScope(self.client, self.id, None, description, type, **execution)

    def progress(self, percent: int) -> None:
        """Report the job's progress, 0 to 100 (this renews its lease too)."""
        self.job = self.client.report_job_progress(self.id, percent)

    def heartbeat(self) -> None:
        """Renew the job's lease now (the block does so in the background when the job has a timeout)."""
        self.client.heartbeat(self.id)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._heartbeats is not None:
            self._heartbeats.stop()
        _finish(lambda succeeded: self.client.end_job(self.id, succeeded=succeeded), error)
