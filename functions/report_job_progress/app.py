"""PUT /jobs/{job_id}: the job's owner reports its progress (only ``progress`` is read); a heartbeat too."""

from external_tasks import progress
from external_tasks.http import Reply, Request, endpoint, views
from external_tasks.requests import JobProgress


@endpoint()
def handler(request: Request) -> Reply:
    body = request.body(JobProgress, "job")
    return Reply.ok(views.job(progress.report_job_progress(request.caller, request.job_id, body.progress)))
