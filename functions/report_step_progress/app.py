"""PUT /jobs/{job_id}/steps/{step_id}: the job's owner reports a step's progress (only ``progress`` is read).
The step alone is written: the job's last_updated and deadline stay."""

from external_tasks import progress
from external_tasks.http import Reply, Request, endpoint, views
from external_tasks.requests import StepProgress


@endpoint()
def handler(request: Request) -> Reply:
    body = request.body(StepProgress, "step")
    step = progress.report_step_progress(request.caller, request.job_id, request.step_id, body.progress)
    return Reply.ok(views.step(step))
