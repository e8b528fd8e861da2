"""GET /jobs: jobs newest first, narrowed by ``search`` or ``status``, a page at a time."""

from external_tasks import jobs, search
from external_tasks.http import Reply, Request, endpoint, views


@endpoint()
def handler(request: Request) -> Reply:
    query = search.parse(request.query.get("search"), request.query.get("status"))
    page = jobs.list_jobs(query, request.page_size, request.page)
    return Reply.ok(views.jobs(page, request.parameters("search", "status", "max")))
