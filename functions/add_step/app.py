"""POST /jobs/{job_id}/steps: a step, or a sub-step under ``parent_step``, numbered after its siblings; with
``execution``, bound to an AWS execution that ends it."""

from external_tasks import jobs
from external_tasks.http import Reply, Request, endpoint, views
from external_tasks.requests import AddStep


@endpoint()
def handler(request: Request) -> Reply:
    body = request.body(AddStep, "step")
    parent = body.parent_step.id if body.parent_step is not None else None
    if body.execution is not None:
        from external_tasks import monitoring

        step = monitoring.add_step(
            request.caller,
            request.job_id,
            body.description,
            body.type,
            parent,
            execution=body.execution,
            idempotency_key=request.idempotency_key,
        )
    else:
        step = jobs.add_step(
            request.caller,
            request.job_id,
            body.description,
            body.type,
            parent,
            idempotency_key=request.idempotency_key,
        )
    return Reply.created(views.step(step), views.step_href(step.job_id, step.id))
