"""Page tokens (docs/api.md, Input limits and Listing): opaque, tamper-evident, bound to the listing they
came from.

"A token from another listing, another job or another query, or altered in any way, is 400": every refusal
here is ``Invalid``, which the HTTP boundary answers with 400.
"""

from __future__ import annotations

import pytest

from external_tasks import paging
from external_tasks.errors import Invalid
from external_tasks.paging import Cursor

KEY = b"arn:aws:cloudformation:eu-west-1:123456789012:stack/external-tasks/1"
JOBS = "jobs?correlation_id=None&status=started&owner=None"
STEPS = "jobs/6f1c1a52-5b8e-4d0a-9d3e-2b0f6f1d7c11/steps"
JOB_CURSOR: Cursor = ["0b8f3c3e-2f55-4d8e-a7e0-1f1f4b1c2d3e", 1_764_000_000_123]
URL_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


@pytest.mark.parametrize(
    ("cursor", "listing"),
    [
        (JOB_CURSOR, JOBS),
        (["5d0c2f3a-9b7e-4c1d-8e6f-0a1b2c3d4e5f", "0000.0003.0012"], STEPS),
        ([], JOBS),
        (['näme with ünïcode and "quotes"', -1, 0], STEPS),
    ],
)
def test_a_token_leads_back_to_where_the_page_ended(cursor: Cursor, listing: str) -> None:
    """Listing: the continuation token of one page gives the next page's starting point back."""
    # given a token issued for a listing
    token = paging.encode(cursor, listing, KEY)
    # when it comes back with the next request for the same listing
    # then it decodes to the same cursor
    assert paging.decode(token, listing, KEY) == cursor


def test_a_token_can_be_sent_back_in_a_query_string_as_it_is() -> None:
    """Listing: the token travels in `page=` of a Link header; it needs no characters a URL must escape."""
    # when a token is issued, then all of its characters are URL-safe
    assert set(paging.encode(JOB_CURSOR, JOBS, KEY)) <= URL_SAFE


@pytest.mark.parametrize(
    ("issued_for", "sent_to"),
    [
        (JOBS, STEPS),  # another listing
        (STEPS, JOBS),
        (STEPS, "jobs/00000000-0000-4000-8000-000000000000/steps"),  # another job's steps
        (JOBS, "jobs?correlation_id=None&status=failed&owner=None"),  # another query
        (JOBS, "jobs?correlation_id=backup-1&status=started&owner=None"),
    ],
)
def test_a_token_from_another_listing_is_refused(issued_for: str, sent_to: str) -> None:
    """Input limits: a token from another listing, another job or another query is 400."""
    # given a token issued for one listing
    token = paging.encode(JOB_CURSOR, issued_for, KEY)
    # when it is sent with another, then it is refused
    with pytest.raises(Invalid, match="page"):
        paging.decode(token, sent_to, KEY)


def test_a_token_of_another_deployment_is_refused() -> None:
    """Input limits: a token signed with another deployment's key is not a token of this listing."""
    # given a token issued by another deployment for the same listing
    token = paging.encode(JOB_CURSOR, JOBS, b"another stack")
    # when it is sent here, then it is refused
    with pytest.raises(Invalid):
        paging.decode(token, JOBS, KEY)


def test_a_token_with_any_single_character_altered_is_refused() -> None:
    """Input limits: a token "altered in any way" is 400, whichever character was changed."""
    # given a genuine token
    token = paging.encode(JOB_CURSOR, JOBS, KEY)
    for position, original in enumerate(token):
        for replacement in ("A", "b", "0", "-", "_", "."):
            if replacement == original:
                continue
            # when one character is replaced
            altered = token[:position] + replacement + token[position + 1 :]
            # then the token is refused
            with pytest.raises(Invalid):
                paging.decode(altered, JOBS, KEY)


def test_a_token_cut_short_or_extended_is_refused() -> None:
    """Input limits: removing or adding characters is altering the token too."""
    # given a genuine token
    token = paging.encode(JOB_CURSOR, JOBS, KEY)
    payload, _, mac = token.partition(".")
    altered = [
        token[:-1],
        token[1:],
        token + "A",
        "A" + token,
        payload,
        payload + ".",
        "." + mac,
        f"{payload}.{mac}.{mac}",
    ]
    for candidate in altered:
        # when the altered token is sent, then it is refused
        with pytest.raises(Invalid):
            paging.decode(candidate, JOBS, KEY)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        ".",
        "..",
        "not-a-token",
        "abc.def",
        "W10.AAAAAAAAAAAAAAAAAAAAAA",
        "null",
        " ",
        "%2E",
    ],
)
def test_a_made_up_token_is_refused(garbage: str) -> None:
    """Input limits: a page value this service did not issue is 400, never accepted or a crash."""
    # when a made-up page value is sent, then it is refused
    with pytest.raises(Invalid):
        paging.decode(garbage, JOBS, KEY)


@pytest.mark.parametrize(
    "garbage",
    ["é", "abc.é", "é.abc", "W10.AAAAAAAAAAAAAAAAAAAAA\u00e9", "W10.\u202eAAAA", "\U0001f600.\U0001f600"],
    ids=["accent", "accent-after-dot", "accent-before-dot", "accent-ending-mac", "rtl-override", "emoji"],
)
def test_a_token_with_non_ascii_characters_is_refused_not_a_crash(garbage: str) -> None:
    """Input limits and Representations: a page value with any characters at all is 400, never a 500."""
    # when a page value with non-ASCII characters is sent, then it is refused as invalid
    with pytest.raises(Invalid):
        paging.decode(garbage, JOBS, KEY)


def test_an_overlong_token_is_refused() -> None:
    """Input limits: a page value longer than MAX_TOKEN_LENGTH is refused, even one signed with the right key:
    no listing issues such a token (see below), so it is not a continuation of this listing."""
    # given a made-up overlong page value, and an overlong one carrying a genuine signature
    made_up = "A" * (paging.MAX_TOKEN_LENGTH + 1) + "." + "A" * 22
    signed = paging.encode(["x" * paging.MAX_TOKEN_LENGTH], JOBS, KEY)
    assert len(signed) > paging.MAX_TOKEN_LENGTH
    for overlong in (made_up, signed):
        # when it is sent, then it is refused
        with pytest.raises(Invalid):
            paging.decode(overlong, JOBS, KEY)


def test_a_token_issued_for_a_listing_fits_the_token_length_limit() -> None:
    """Listing: the tokens this service issues for its listings are ones it accepts back."""
    # given the longest cursors listings use: a UUID and a step's tree position, a UUID and a time
    step_cursor: Cursor = ["5d0c2f3a-9b7e-4c1d-8e6f-0a1b2c3d4e5f", ".".join(["4999"] * 10)]
    for cursor, listing in ((step_cursor, STEPS), (JOB_CURSOR, JOBS)):
        # when a token is issued, then it is within the limit
        assert len(paging.encode(cursor, listing, KEY)) <= paging.MAX_TOKEN_LENGTH
