"""Progress reports and heartbeats (docs/api.md: Progress, heartbeats and timeouts): each one conditional
write of one item, the job's or the step's, so that its cost never grows with the job.

A job's progress and a heartbeat are written without reading the job first: the write's condition is the
rule (started, and the caller's own unless an administrator), and only when it fails is the job read, to say
why (404, 403 or 409). A step's progress needs its job and ancestors read first, as a step may read as ended
through them (rules.effective_step) and an ended step takes no progress.
"""

from __future__ import annotations

from external_tasks import clock, leases, observability, rules
from external_tasks.config import settings
from external_tasks.errors import Unavailable
from external_tasks.listings import with_chain
from external_tasks.model import Caller, Job, Step
from external_tasks.store import Changed, job_store

# A write that meets a transaction in flight on its item (an add or an end under the job) is sent again.
_ATTEMPTS = 5


def _is_admin(caller: Caller) -> bool:
    return caller.principal in {rules.owner_of(arn) for arn in settings().admin_principals}


def _renew(caller: Caller, job_id: str, action: str, progress: int | None = None) -> Job:
    store = job_store()
    owner = None if _is_admin(caller) else caller.principal
    for _ in range(_ATTEMPTS):
        now = clock.now_ms()
        try:
            return store.renew_job(job_id, now, owner, progress)
        except Changed as changed:
            found = changed.job or store.get_job(job_id)
        job = rules.visible_job(found, job_id, now)
        rules.check_may_change(caller, job, settings().admin_principals, action)
        leases.check_started("Job", job.id, job.status)
    raise Unavailable("Too many concurrent changes to this job; retry shortly")


def report_job_progress(caller: Caller, job_id: str, progress: int) -> Job:
    job = _renew(caller, job_id, "report the progress of", progress)
    observability.count("JobProgressReported")
    return job


def heartbeat(caller: Caller, job_id: str) -> None:
    _renew(caller, job_id, "send heartbeats for")
    observability.count("HeartbeatReceived")


def report_step_progress(caller: Caller, job_id: str, step_id: str, progress: int) -> Step:
    """The step as readers see it after the report. It moves neither the job's last_updated nor its
    deadline: the job's item is not written (docs/rules.md)."""
    store = job_store()
    for _ in range(_ATTEMPTS):
        stored_job, steps = store.get_job_and_steps(job_id, [step_id])
        job = rules.visible_job(stored_job, job_id, clock.now_ms())
        rules.check_may_change(caller, job, settings().admin_principals, "report the progress of steps of")
        step = rules.found_step(steps.get(step_id), job, step_id)
        chain = with_chain(store, job_id, [step], steps)
        leases.check_started("Step", step.id, rules.effective_step(job, step, chain).status)
        try:
            written = store.save_step_progress(job_id, step_id, progress)
        except Changed:
            continue  # ended since read (or a transaction was in flight on it): read and decide again
        observability.count("StepProgressReported")
        return rules.effective_step(job, written, chain)
    raise Unavailable("Too many concurrent changes to this step; retry shortly")
