"""POST /jobs/{job_id}/steps/{step_id}/end: the step ends with its open sub-steps; failing fails the job."""

from external_tasks import jobs, rules
from external_tasks.http import Reply, Request, endpoint, views
from external_tasks.requests import EndAction


@endpoint(action=True)
def handler(request: Request) -> Reply:
    body = request.body(EndAction, "action")
    outcome = rules.outcome_of(body.succeeded, body.status)
    jobs.end_step(request.caller, request.job_id, request.step_id, outcome, body.force)
    return Reply.ok(views.action(None, body.echo()))
