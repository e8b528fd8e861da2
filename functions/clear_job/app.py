"""POST /jobs/{job_id}/clear: the job is auto-cleared, gone once ended and its delay passed (rule 6)."""

from external_tasks import jobs
from external_tasks.http import Reply, Request, endpoint, views
from external_tasks.requests import ClearAction


@endpoint(action=True)
def handler(request: Request) -> Reply:
    request.body(ClearAction, "action")
    jobs.clear_job(request.caller, request.job_id)
    return Reply.ok(views.action(request.job_id, {}))
