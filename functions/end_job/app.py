"""POST /jobs/{job_id}/end: the job ends, and with it every step still started (rule 2)."""

from external_tasks import jobs, rules
from external_tasks.http import Reply, Request, endpoint, views
from external_tasks.requests import EndAction


@endpoint(action=True)
def handler(request: Request) -> Reply:
    body = request.body(EndAction, "action")
    outcome = rules.outcome_of(body.succeeded, body.status)
    jobs.end_job(request.caller, request.job_id, outcome, body.force)
    return Reply.ok(views.action(request.job_id, body.echo()))
