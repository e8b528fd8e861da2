"""POST /jobs: a plug-in starts a job."""

from external_tasks import jobs
from external_tasks.http import Reply, Request, endpoint, views
from external_tasks.requests import AddJob


@endpoint()
def handler(request: Request) -> Reply:
    body = request.body(AddJob, "job")
    job = jobs.add_job(
        request.caller,
        body.description,
        body.auto_cleared,
        request.correlation_id,
        idempotency_key=request.idempotency_key,
        timeout=body.timeout,
    )
    return Reply.created(views.job(job), views.job_href(job.id))
