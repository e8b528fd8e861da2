"""What a reply takes in Lambda's 6 MB is bounded by limits.reply_bytes_bound (external_tasks.limits).

docs/api.md sections pinned: "Listing" (a list holds every item up to what fits in one reply) and
"Representations"
(follow=steps). The bound must hold for the reply as Lambda's runtime writes it: the handler's result as JSON,
ensure_ascii=False in the Python 3.12+ runtimes, ensure_ascii=True in earlier ones; both are measured here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from external_tasks import limits
from external_tasks.http import Reply, Request, endpoint, views
from external_tasks.model import Job, Page, Status, Step, StepType
from xtasks_local.events import Identity, proxy_event

JOB_ID = "1a2b3c4d-0000-4000-8000-00000000a001"
OWNER = "arn:aws:iam::123456789012:role/" + "a" * 500 + "/" + "R" * 64  # a role with the longest path
MOMENT = 1_764_000_000_000
# Every kind of character a text can hold, and the control characters faults alone may quote: plain ASCII,
# those each format escapes, TAB/CR/LF, Latin, the rest of the Basic Multilingual Plane, emoji.
CHARACTERS = [
    "x",
    "'",
    '"',
    "\\",
    "&",
    "<",
    ">",
    "\t",
    "\r",
    "\n",
    "\x01",
    "é",
    "€",
    "\u2028",
    "\ufffd",
    "💾",
]
FRAME = limits.LAMBDA_REPLY_BYTES - limits.MAX_REPLY_BYTES  # what a reply has besides its jobs and steps


def a_job(description: str) -> Job:
    """A job with every member a reply can show, each as long as it gets."""
    return Job(
        id=JOB_ID,
        description=description,
        owner=OWNER,
        status=Status.FINISHED,
        start_time=MOMENT,
        last_updated=MOMENT + 2,
        auto_cleared=False,
        correlation_id="c" * limits.MAX_CORRELATION_ID_LENGTH,
        end_time=MOMENT + 1,
    )


def a_step(number: int, description: str) -> Step:
    """A finished sub-step at the deepest level, with every member a reply can show."""
    return Step(
        id=f"5c6d0000-0000-4000-8000-{number:012d}",
        job_id=JOB_ID,
        description=description,
        type=StepType.REBALANCING_VOLUME,
        path=(9_999,) * limits.MAX_STEP_DEPTH,
        status=Status.FINISHED,
        start_time=MOMENT,
        end_time=MOMENT + 1,
        parent_step_id="3e4f0000-0000-4000-8000-00000000b000",
        ancestors=("3e4f0000-0000-4000-8000-00000000b000",),
    )


def delivered_bytes(document: Any, *, xml: bool, ensure_ascii: bool, query: dict[str, str]) -> int:
    """The size of the reply Lambda's runtime sends: the handler's result, written as JSON."""

    @endpoint()
    def handle(request: Request) -> Reply:
        return Reply.ok(document)

    event = proxy_event(
        method="GET",
        resource="/jobs",
        path="/jobs",
        headers=[("Accept", "application/xml" if xml else "application/json"), ("Host", "h" * 253 + ":65535"),
                 ("Correlation-Id", "k" * 200)],
        query=list(query.items()),
        identity=Identity(OWNER),
    )  # fmt: skip
    result = handle(event, None)
    assert result["statusCode"] == 200
    return len(json.dumps(result, ensure_ascii=ensure_ascii).encode())


@pytest.mark.parametrize("ensure_ascii", [False, True], ids=["python3.13-runtime", "older-runtimes"])
@pytest.mark.parametrize("xml", [False, True], ids=["json", "xml"])
@pytest.mark.parametrize("character", CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_no_character_takes_more_than_its_bound(character: str, xml: bool, ensure_ascii: bool) -> None:
    # Given a job and three steps whose descriptions are 4,000 of one character, and the same without text
    def sent(text: str) -> int:
        document = views.job(a_job(text), [a_step(number, text) for number in range(3)])
        return delivered_bytes(document, xml=xml, ensure_ascii=ensure_ascii, query={"follow": "steps"})

    text = character * limits.MAX_DESCRIPTION_LENGTH
    # When both are sent with follow=steps
    added = sent(text) - sent("")
    # Then the text adds no more than the bound counts for it, over the fixed part of an item
    assert added <= 4 * (limits.reply_bytes_bound([text]) - limits.reply_bytes_bound([]))


def test_a_job_with_its_steps_takes_less_than_its_bound() -> None:
    # Given a job with three steps of 4,000 emoji each, their worst case
    text = "\U0001f4be" * limits.MAX_DESCRIPTION_LENGTH
    job, steps = a_job(text), [a_step(number, text) for number in range(3)]
    bound = limits.reply_bytes_bound([job.description, job.owner, job.correlation_id])
    bound += sum(limits.reply_bytes_bound([step.description]) for step in steps)
    for xml in (False, True):
        for ensure_ascii in (False, True):
            # When it is sent with follow=steps
            document = views.job(job, steps)
            sent = delivered_bytes(document, xml=xml, ensure_ascii=ensure_ascii, query={"follow": "steps"})
            # Then it takes no more than the frame and the bounds of the job and each step
            assert sent <= FRAME + bound


@pytest.mark.parametrize("ensure_ascii", [False, True], ids=["python3.13-runtime", "older-runtimes"])
@pytest.mark.parametrize("xml", [False, True], ids=["json", "xml"])
def test_a_page_with_the_longest_next_link_never_takes_more_than_its_bound(
    xml: bool, ensure_ascii: bool
) -> None:
    # Given a page of jobs and steps continued by a page token, its query the longest one allowed
    query = {"search": "\U0001f4be" * 1_024, "status": "s" * 1_000, "max": "1000"}
    token = "t" * 500
    job_page = views.jobs(Page((a_job("\U0001f4be" * 4_000),), token), query)
    step_page = views.steps(JOB_ID, Page((a_step(1, "\U0001f4be" * 4_000),), token), query)
    for document, texts in ((job_page, [a_job("\U0001f4be" * 4_000).description, OWNER, "c" * 50]),
                            (step_page, ["\U0001f4be" * 4_000])):  # fmt: skip
        # When it is sent, with its Link header
        sent = delivered_bytes(document, xml=xml, ensure_ascii=ensure_ascii, query=query)
        # Then it takes no more than the frame and its item's bound
        assert sent <= FRAME + limits.reply_bytes_bound(texts)


def test_an_item_without_text_takes_less_than_its_fixed_part() -> None:
    # Given the bound of an item without any text, and one step with an empty description
    step = a_step(1, "")
    # When one step more is sent, in either format and runtime
    for xml in (False, True):
        for ensure_ascii in (False, True):
            one, two = (
                delivered_bytes(
                    views.job(a_job(""), [step] * count), xml=xml, ensure_ascii=ensure_ascii, query={}
                )
                for count in (1, 2)
            )
            # Then it adds less than the fixed part the bound counts
            assert two - one <= limits.reply_bytes_bound([""])
