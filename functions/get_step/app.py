"""GET /jobs/{job_id}/steps/{step_id}: one step, its status as its job and ancestors make it."""

from external_tasks import jobs
from external_tasks.http import Reply, Request, endpoint, views


@endpoint()
def handler(request: Request) -> Reply:
    return Reply.ok(views.step(jobs.get_step(request.job_id, request.step_id)))
