"""GET /jobs/{job_id}/steps: the job's steps in tree order, a page at a time."""

from external_tasks import jobs
from external_tasks.http import Reply, Request, endpoint, views


@endpoint()
def handler(request: Request) -> Reply:
    page = jobs.list_steps(request.job_id, request.page_size, request.page)
    return Reply.ok(views.steps(request.job_id, page, request.parameters("max")))
