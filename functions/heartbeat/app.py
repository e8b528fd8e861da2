"""POST /jobs/{job_id}/heartbeat: the job's owner renews its lease (its deadline moves to now + timeout)."""

from external_tasks import progress
from external_tasks.http import Reply, Request, endpoint, views
from external_tasks.requests import HeartbeatAction


@endpoint(action=True)
def handler(request: Request) -> Reply:
    request.body(HeartbeatAction, "action")
    progress.heartbeat(request.caller, request.job_id)
    return Reply.ok(views.action(request.job_id, {}))
