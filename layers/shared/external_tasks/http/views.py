"""What clients see of jobs, steps, action replies, faults and capabilities (docs/api.md: Representations)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import urlencode

from external_tasks import executions, leases, limits
from external_tasks.config import CleanupDelays
from external_tasks.executions import ExecutionKind
from external_tasks.http.representation import Collection, Document, Entity, Link, Ref, Timestamp, Value
from external_tasks.model import Job, Page, Status, Step, StepType

API_VERSION = "4.0"
PRODUCT_NAME = "External Tasks"
# Every href names the API root the request came in on (/api or /ovirt-engine/api): http.endpoint sets it
# for the time a request takes, from the request itself (Request.api_root).
_api_root: ContextVar[str] = ContextVar("api_root", default="/api")


@contextmanager
def rooted_at(api_root: str) -> Iterator[None]:
    """Hrefs made inside the block start with ``api_root``."""
    token = _api_root.set(api_root)
    try:
        yield
    finally:
        _api_root.reset(token)


def jobs_href() -> str:
    return f"{_api_root.get()}/jobs"


def job_href(job_id: str) -> str:
    return f"{jobs_href()}/{job_id}"


def steps_href(job_id: str) -> str:
    return f"{job_href(job_id)}/steps"


def step_href(job_id: str, step_id: str) -> str:
    return f"{steps_href(job_id)}/{step_id}"


def _job(job: Job, steps: Sequence[Step] | None = None) -> Entity:
    href = job_href(job.id)
    fields: list[tuple[str, Value]] = [
        ("description", job.description),
        ("auto_cleared", job.auto_cleared),
        ("correlation_id", job.correlation_id),
    ]
    if job.deadline is not None and job.status is Status.STARTED:
        fields.append(("deadline", Timestamp(job.deadline)))
    if job.end_time is not None:
        fields.append(("end_time", Timestamp(job.end_time)))
    fields += [("external", True), ("last_updated", Timestamp(job.last_updated))]
    progress = leases.finished_progress(job.progress, job.status)
    if progress is not None:
        fields.append(("progress", progress))
    fields += [("start_time", Timestamp(job.start_time)), ("status", str(job.status))]
    if job.timeout is not None:
        fields.append(("timeout", job.timeout))
    fields.append(("owner", Ref(job.owner)))
    if steps is not None:
        fields.append(("steps", Collection("step", tuple(_step(step) for step in steps))))
    return Entity(
        fields=tuple(fields),
        id=job.id,
        href=href,
        links=(Link("steps", steps_href(job.id)),),
        actions=(Link("clear", f"{href}/clear"), Link("end", f"{href}/end")),
    )


def _step(step: Step) -> Entity:
    href = step_href(step.job_id, step.id)
    fields: list[tuple[str, Value]] = [("description", step.description)]
    if step.end_time is not None:
        fields.append(("end_time", Timestamp(step.end_time)))
    fields += [("external", True), ("number", step.number)]
    progress = leases.finished_progress(step.progress, step.status)
    if progress is not None:
        fields.append(("progress", progress))
    fields += [
        ("start_time", Timestamp(step.start_time)),
        ("status", str(step.status)),
        ("type", str(step.type)),
        ("job", Ref(step.job_id, job_href(step.job_id))),
    ]
    if step.parent_step_id is not None:
        fields.append(("parent_step", Ref(step.parent_step_id, step_href(step.job_id, step.parent_step_id))))
    if step.execution is not None:
        fields.append(("execution", _execution(step.execution)))
    return Entity(fields=tuple(fields), id=step.id, href=href, actions=(Link("end", f"{href}/end"),))


def _execution(arn: str) -> Entity:
    fields: list[tuple[str, Value]] = [("arn", arn)]
    kind = executions.kind_of(arn)
    if kind is not None:
        fields.append(("kind", str(kind)))
    console = executions.console_url(arn)
    if console is not None:
        fields.append(("console_url", console))
    return Entity(fields=tuple(fields))


def _monitored_commands(state_machines: Sequence[str]) -> Collection:
    return Collection(
        "monitored_command",
        tuple(
            Entity(
                fields=(
                    ("kind", str(kind)),
                    ("arn_pattern", f"^{pattern}$"),
                    (
                        "state_machines",
                        Collection(
                            "state_machine", tuple(state_machines) if kind is ExecutionKind.STATES else ()
                        ),
                    ),
                )
            )
            for kind, pattern in executions.ARN_PATTERNS.items()
        ),
    )


def job(job: Job, steps: Sequence[Step] | None = None) -> Document:
    return Document("job", _job(job, steps))


def step(step: Step) -> Document:
    return Document("step", _step(step))


def _next(href: str, query: Mapping[str, str | None], token: str | None) -> tuple[Link, ...]:
    if token is None:
        return ()
    parameters = {name: value for name, value in query.items() if value is not None}
    return (Link("next", f"{href}?{urlencode({**parameters, 'page': token})}"),)


def next_href(document: Document) -> str | None:
    """The next page's address, for the ``Link`` header."""
    links = document.root.links
    return next((link.href for link in links if link.rel == "next"), None)


def jobs(page: Page[Job], query: Mapping[str, str | None]) -> Document:
    """``query``: the listing's own parameters, repeated in the next page's address."""
    items = tuple(_job(job) for job in page.items)
    return Document("jobs", Collection("job", items, _next(jobs_href(), query, page.next_token)))


def steps(job_id: str, page: Page[Step], query: Mapping[str, str | None]) -> Document:
    items = tuple(_step(step) for step in page.items)
    return Document("steps", Collection("step", items, _next(steps_href(job_id), query, page.next_token)))


def action(job_id: str | None, echo: Mapping[str, bool]) -> Document:
    """The reply to end and clear: the input echoed, ``status`` complete."""
    fields: list[tuple[str, Value]] = sorted(echo.items())
    if job_id is not None:
        fields.append(("job", Ref(job_id, job_href(job_id))))
    fields.append(("status", "complete"))
    return Document("action", Entity(fields=tuple(fields)))


def fault(reason: str, detail: str, *, action: bool) -> Document:
    """``<fault>``; on action endpoints wrapped in an ``<action>`` whose status is failed."""
    body = Entity(fields=(("reason", reason), ("detail", detail)))
    if action:
        return Document("action", Entity(fields=(("fault", body), ("status", "failed"))))
    return Document("fault", body)


def capabilities(
    cleanup: CleanupDelays, search_terms: Sequence[str], state_machines: Sequence[str] = ()
) -> Document:
    """``state_machines``: those add step may start (MonitoredStateMachines)."""
    return Document(
        "capabilities",
        Entity(
            fields=(
                ("api_version", API_VERSION),
                ("statuses", Collection("status", tuple(str(s) for s in Status))),
                ("terminal_statuses", Collection("status", tuple(str(s) for s in Status if s.is_terminal))),
                ("step_types", Collection("step_type", tuple(str(t) for t in StepType))),
                ("search_terms", Collection("search_term", tuple(search_terms))),
                ("auto_cleared_default", True),
                (
                    "cleanup",
                    Entity(
                        fields=(
                            ("succeeded_job_minutes", cleanup.succeeded_minutes),
                            ("failed_job_minutes", cleanup.failed_minutes),
                        )
                    ),
                ),
                (
                    "limits",
                    Entity(
                        fields=(
                            ("max_body_bytes", limits.MAX_BODY_BYTES),
                            ("max_nesting_depth", limits.MAX_NESTING_DEPTH),
                            ("max_description_length", limits.MAX_DESCRIPTION_LENGTH),
                            ("max_correlation_id_length", limits.MAX_CORRELATION_ID_LENGTH),
                            ("default_page_size", limits.DEFAULT_PAGE_SIZE),
                            ("max_page_size", limits.MAX_PAGE_SIZE),
                            ("max_steps_per_job", limits.MAX_STEPS_PER_JOB),
                            ("max_step_depth", limits.MAX_STEP_DEPTH),
                            ("max_followed_steps", limits.MAX_FOLLOWED_STEPS),
                            ("max_reply_bytes", limits.LAMBDA_REPLY_BYTES),
                        )
                    ),
                ),
                ("monitored_commands", _monitored_commands(state_machines)),
            ),
            href=f"{_api_root.get()}/capabilities",
        ),
    )


def api(now: int) -> Document:
    """oVirt's API root: links to what it serves, and what it is (``product_info``)."""
    root = _api_root.get()
    major, minor = (int(part) for part in API_VERSION.split("."))
    version = Entity(
        fields=(
            ("build", 0),
            ("full_version", f"{API_VERSION}.0"),
            ("major", major),
            ("minor", minor),
            ("revision", 0),
        )
    )
    product = Entity(fields=(("name", PRODUCT_NAME), ("vendor", PRODUCT_NAME), ("version", version)))
    return Document(
        "api",
        Entity(
            fields=(("product_info", product), ("time", Timestamp(now))),
            links=(Link("capabilities", f"{root}/capabilities"), Link("jobs", jobs_href())),
        ),
    )
