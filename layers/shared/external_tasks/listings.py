"""Listing jobs and steps a page at a time (docs/rules.md: Listing).

A page holds ``limit`` items whenever that many exist and fit in one reply, and carries a page token when,
and only when, more follow. The token says where the next page starts and is bound to its listing (paging.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence

from external_tasks import clock, limits, paging, rules
from external_tasks.config import page_token_key
from external_tasks.errors import Invalid
from external_tasks.model import Job, JobQuery, Page, Path, Step, is_id
from external_tasks.rules import Chain
from external_tasks.store import JobPosition, JobStore, job_store

_REFUSED = "page token is not valid for this listing: pass the page value of the previous reply"
_MAX_PATH_NUMBER = 10**4  # a path's numbers are stored with four digits


def _fitting[T](found: Sequence[T], texts: Callable[[T], Sequence[str]], room: int) -> int:
    """How many of ``found``, from the first, fit in ``room`` bytes of a reply."""
    total = 0
    for count, item in enumerate(found):
        total += limits.reply_bytes_bound(texts(item))
        if total > room:
            return count
    return len(found)


def job_bytes(job: Job) -> int:
    """The most ``job`` can take in a reply (limits.reply_bytes_bound)."""
    return limits.reply_bytes_bound(_job_texts(job))


def _job_texts(job: Job) -> Sequence[str]:
    return (job.description, job.owner, job.correlation_id)


def jobs_fitting(jobs: Sequence[Job]) -> int:
    return _fitting(jobs, _job_texts, limits.MAX_REPLY_BYTES)


def steps_fitting(steps: Sequence[Step], room: int | None = None) -> int:
    """How many of ``steps`` fit in one reply, or in ``room`` bytes of it (what a job leaves)."""
    return _fitting(steps, lambda step: (step.description,), limits.MAX_REPLY_BYTES if room is None else room)


def page_of_jobs(query: JobQuery, limit: int, page: str | None) -> Page[Job]:
    listing = "jobs?" + json.dumps([query.correlation_id, query.status, query.owner])
    after = None
    if page is not None:
        match paging.decode(page, listing, page_token_key()):
            case [int(start_time), str(job_id)] if start_time >= 0 and is_id(job_id):
                after = JobPosition(start_time, job_id)
            case _:
                raise Invalid(_REFUSED)
    jobs, more = job_store().list_jobs(query, limit, after, clock.now_ms())
    fitting = jobs_fitting(jobs)
    if fitting < len(jobs):
        jobs, more = jobs[:fitting], True
    token = None
    if more and jobs:
        token = paging.encode([jobs[-1].start_time, jobs[-1].id], listing, page_token_key())
    return Page(tuple(jobs), token)


def page_of_steps(job_id: str, limit: int, page: str | None) -> Page[Step]:
    listing = f"jobs/{job_id}/steps"
    after: Path | None = None
    if page is not None:
        match paging.decode(page, listing, page_token_key()):
            case [*numbers] if 1 <= len(numbers) <= limits.MAX_STEP_DEPTH and all(
                type(number) is int and 0 <= number < _MAX_PATH_NUMBER for number in numbers
            ):
                after = tuple(int(number) for number in numbers)
            case _:
                raise Invalid(_REFUSED)
    store = job_store()
    stored, steps, more = store.list_steps(job_id, limit, after)
    job = rules.visible_job(stored, job_id, clock.now_ms())
    fitting = steps_fitting(steps)
    if fitting < len(steps):
        steps, more = steps[:fitting], True
    chain = with_chain(store, job_id, steps, {step.id: step for step in steps})
    token = paging.encode(list(steps[-1].path), listing, page_token_key()) if more and steps else None
    return Page(tuple(rules.effective_step(job, step, chain) for step in steps), token)


def with_chain(store: JobStore, job_id: str, steps: Collection[Step], known: Chain | None = None) -> Chain:
    """``known`` and the ancestors of the still-started ``steps`` it lacks, read from the store: what
    ``rules.effective_step`` needs to tell which of them have ended with an ancestor."""
    chain = dict(known or {})
    missing = {
        ancestor
        for step in steps
        if not step.status.is_terminal
        for ancestor in step.ancestors
        if ancestor not in chain
    }
    if missing:
        chain.update(store.get_steps(job_id, missing))
    return chain
