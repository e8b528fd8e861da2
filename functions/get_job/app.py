"""GET /jobs/{job_id}: one job, with its steps when ``follow=steps``."""

from external_tasks import jobs
from external_tasks.http import Reply, Request, endpoint, views


@endpoint()
def handler(request: Request) -> Reply:
    if request.follow_steps:
        job, steps = jobs.get_job_with_steps(request.job_id)
        return Reply.ok(views.job(job, steps))
    return Reply.ok(views.job(jobs.get_job(request.job_id)))
