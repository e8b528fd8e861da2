"""openapi/openapi.json is exactly as strict as the service: every value the document allows, the service
accepts, and every value the service accepts, the document allows (external_tasks.patterns).

docs/api.md sections pinned: "Input limits" (text, white space, nesting) and "Representations" (enum values
in any
letter case, oVirt's strings for booleans). The document is read with jsonschema-rs, as Schemathesis reads
it (tests/http/test_fuzz.py); each schema is compared with the code on values made to sit on either side
of each rule.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import Any

import jsonschema_rs
import pytest

from external_tasks import paging, patterns
from external_tasks.errors import Invalid
from external_tasks.http import bodies
from external_tasks.http.request import Request
from external_tasks.requests import AddJob, AddStep, Body, ClearAction, EndAction, JobProgress, StepProgress
from external_tasks.rules import outcome_of
from external_tasks.search import status_named
from tools import openapi

# Characters that sit on the edges of the rules: white space Python strips and the control characters among
# it, other control characters, the Kelvin sign (which lowers to "k"), letters, digits and punctuation.
EDGES = [
    "\t", "\n", "\r", " ", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u1680", "\u2000", "\u200a",
    "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\ufeff", "\u200b", "\x00", "\x01", "\x7f", "\x9f",
    "\ufffe", "\uffff", "\u212a", "\u0130", "\u017f", "é", "💾", "k", "K", "a", "0", "1", "9", "-", "+",
    ",", '"', "=", "_", ".",
]  # fmt: skip


@cache
def document() -> dict[str, Any]:
    return openapi.document()


def validator(schema: dict[str, Any]) -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator({**schema, "components": document()["components"]})


def component(name: str) -> jsonschema_rs.Draft202012Validator:
    return validator({"$ref": f"#/components/schemas/{name}"})


def parameter(path: str, method: str, name: str) -> jsonschema_rs.Draft202012Validator:
    found = [p for p in document()["paths"][path][method]["parameters"] if p["name"] == name]
    return validator(found[0]["schema"])


def around(words: list[str]) -> Iterator[str]:
    """Each word, and each with an edge character before, after or inside it, and two around it."""
    rng = random.Random(10)  # noqa: S311 - the same texts every run
    for word in words:
        yield word
        for char in EDGES:
            yield char + word
            yield word + char
            yield word[: len(word) // 2] + char + word[len(word) // 2 :]
            yield char + word + rng.choice(EDGES)
    for _ in range(3_000):
        yield "".join(rng.choice([*EDGES, *words]) for _ in range(rng.randint(0, 4)))


def accepts(check: Callable[[], object]) -> bool:
    try:
        check()
    except Invalid:
        return False
    return True


def body_accepted(model: type[Body], root: str, data: dict[str, Any]) -> bool:
    """Whether a JSON body with ``data`` passes http.bodies and the model, as a handler reads it."""

    def read() -> None:
        body = model.parse(bodies.decode(json.dumps(data).encode(), "application/json", root))
        if isinstance(body, EndAction):
            outcome_of(body.succeeded, body.status)

    return accepts(read)


def assert_agree(
    values: Iterable[Any], document_allows: Callable[[Any], bool], service_accepts: Callable[[Any], bool]
) -> None:
    """The document allows each of ``values`` if, and only if, the service accepts it."""
    disagreeing = [value for value in values if document_allows(value) != service_accepts(value)]
    assert disagreeing == []


# Characters


EVERY_CHARACTER = "".join(chr(code) for code in range(0x110000))


def test_the_white_space_patterns_are_what_python_strips() -> None:
    # Given every code point
    # Then WHITESPACE matches what str.strip() takes off, BODY_WHITESPACE that less the forbidden characters
    stripped = [c for c in EVERY_CHARACTER if c.isspace()]
    assert re.findall(patterns.WHITESPACE, EVERY_CHARACTER) == stripped
    forbidden = set(re.findall(patterns.FORBIDDEN, EVERY_CHARACTER))
    assert re.findall(patterns.BODY_WHITESPACE, EVERY_CHARACTER) == [
        c for c in stripped if c not in forbidden
    ]


def test_a_text_character_is_any_but_the_forbidden_ones_and_surrogates_are_no_characters() -> None:
    # Given every code point
    # Then the service refuses control characters but TAB, LF and CR, surrogates, U+FFFE and U+FFFF
    refused = "".join(bodies._FORBIDDEN_CHARACTERS.findall(EVERY_CHARACTER))
    controls = "".join(chr(code) for code in [*range(0x20), *range(0x7F, 0xA0)] if chr(code) not in "\t\n\r")
    surrogates = "".join(chr(code) for code in range(0xD800, 0xE000))
    assert refused == controls + surrogates + "\ufffe\uffff"
    # And a text character in the document is any other, or a surrogate, which no document string holds
    assert "".join(re.findall(patterns.TEXT_CHARACTER, EVERY_CHARACTER)) == "".join(
        c for c in EVERY_CHARACTER if c not in refused or c in surrogates
    )


def test_any_case_knows_every_character_that_lowers_to_an_ascii_letter() -> None:
    # Given every character that str.lower() turns into one ASCII letter
    for code in range(0x110000):
        lowered = chr(code).lower()
        if len(lowered) == 1 and lowered.isascii() and lowered.isalpha():
            # Then the letter's pattern matches it
            assert re.fullmatch(patterns.any_case(lowered), chr(code)), hex(code)


# Bodies (docs/api.md: Limits, Representations)


DESCRIPTIONS = [
    *around(["x", "Back up VM db01", "a b"]),
    "x" * 4_000, "x" * 4_001, " " + "x" * 4_000 + "\u3000", "\xa0" + "x" * 3_999 + "é", "x" * 3_999 + "\x85",
    "x" + " " * 3_998 + "x", "x" + " " * 3_999 + "x", "💾" * 4_000, "💾" * 4_001,
]  # fmt: skip
BODIES: list[tuple[type[Body], str, dict[str, Any]]] = [
    (AddJob, "job", {"description": "x"}),
    (AddStep, "step", {"description": "x", "type": "executing"}),
    (EndAction, "action", {}),
    (ClearAction, "action", {}),
]


@pytest.mark.parametrize(("model", "root", "fields"), BODIES[:2], ids=["AddJob", "AddStep"])
def test_descriptions_the_document_allows_are_those_the_service_accepts(
    model: type[Body], root: str, fields: dict[str, Any]
) -> None:
    # Given descriptions on either side of each rule: blank, control characters, white space, 4,000 characters
    valid = component(model.__name__)
    # Then the document and the service agree on every one
    assert_agree(
        DESCRIPTIONS,
        lambda text: valid.is_valid({**fields, "description": text}),
        lambda text: body_accepted(model, root, {**fields, "description": text}),
    )


def test_flags_the_document_allows_are_those_the_service_accepts() -> None:
    # Given true and false as JSON and as oVirt's strings, in any case, with white space, and other values
    values: list[Any] = [True, False, None, 0, 1, [], {}, *around(["true", "false", "TRUE", "False", "yes"])]
    valid = component("AddJob")
    # Then the document and the service agree on every one
    assert_agree(
        values,
        lambda value: valid.is_valid({"description": "x", "auto_cleared": value}),
        lambda value: body_accepted(AddJob, "job", {"description": "x", "auto_cleared": value}),
    )


def test_end_flags_and_statuses_the_document_allows_are_those_the_service_accepts() -> None:
    # Given end bodies with flags, 3.x statuses (plain or as a state), and every status in any case
    values: list[dict[str, Any]] = [
        {"status": None},
        {"status": {}},
        {"status": {"state": None}},
        {"status": 1},
    ]
    for word in around(["finished", "FAILED", "aborted", "unknown", "UN\u212aNOWN", "started", "done"]):
        values += [
            {"status": word},
            {"status": {"state": word, "x": 1}},
            {"succeeded": word},
            {"force": word},
        ]
    valid = component("EndAction")
    # Then the document and the service agree on every one
    assert_agree(values, valid.is_valid, lambda value: body_accepted(EndAction, "action", value))


def test_step_types_and_parents_the_document_allows_are_those_the_service_accepts() -> None:
    # Given step types in any case, with white space, and parent ids in any form
    parent = "3e4f0000-1111-4222-8333-444455556666"
    values: list[dict[str, Any]] = [{"parent_step": None}, {"parent_step": {}}, {"parent_step": parent}]
    values += [{"type": word} for word in around(["executing", "Rebalancing_Volume", "unknown", "run"])]
    values += [{"parent_step": {"id": word}} for word in around([parent, parent.upper(), parent[:-1]])]
    valid = component("AddStep")
    # Then the document and the service agree on every one
    assert_agree(
        values,
        lambda value: valid.is_valid({"description": "Copy", "type": "executing", **value}),
        lambda value: body_accepted(AddStep, "step", {"description": "Copy", "type": "executing", **value}),
    )


UNREAD_MEMBERS: list[dict[str, Any]] = [
    member
    for char in EDGES
    for member in (
        {char: 1},
        {"x": char},
        {"x": [1, [char]]},
        {"x": {"y": {char: None}}},
        {"x": {"y": [char]}},
    )
]


@pytest.mark.parametrize(("model", "root", "fields"), BODIES, ids=[model.__name__ for model, _, _ in BODIES])
def test_members_the_service_does_not_read_may_hold_any_text_but_control_characters(
    model: type[Body], root: str, fields: dict[str, Any]
) -> None:
    # Given bodies with unknown members whose names and values (texts, arrays, objects) hold each edge
    valid = component(model.__name__)
    # Then the document and the service agree on every one
    assert_agree(
        UNREAD_MEMBERS,
        lambda member: valid.is_valid({**member, **fields}),
        lambda member: body_accepted(model, root, {**member, **fields}),
    )


# Query parameters (docs/api.md: Limits, Listing, Representations)


def request(**query: str) -> Request:
    return Request({"queryStringParameters": query})


def test_max_values_the_document_allows_are_those_the_service_accepts() -> None:
    # Given every number to 10,999 as written, with leading zeros, and with edge characters around
    values = [str(n) for n in range(11_000)] + [f"0{n}" for n in range(1_100)] + list(around(["7", "1000"]))
    valid = parameter("/jobs", "get", "max")
    # Then the document and the service agree on every one
    assert_agree(values, valid.is_valid, lambda value: accepts(lambda: request(max=value).page_size))


def test_follow_values_the_document_allows_are_those_the_service_accepts() -> None:
    # Given "steps" in any case, repeated, with white space and other characters
    values = around(["steps", "STEPS", "steps,steps", "steps, Steps", "step", "steps,"])
    valid = parameter("/jobs/{job_id}", "get", "follow")
    # Then the document and the service agree on every one
    assert_agree(values, valid.is_valid, lambda value: accepts(lambda: request(follow=value).follow_steps))


def test_status_values_the_document_allows_are_those_the_service_accepts() -> None:
    # Given every status in any case, with white space and other characters
    values = around(["started", "FINISHED", "Failed", "aborted", "unknown", "UN\u212aNOWN", "run"])
    valid = parameter("/jobs", "get", "status")
    # Then the document and the service agree on every one
    assert_agree(values, valid.is_valid, lambda value: accepts(lambda: status_named(value, "status")))


def test_every_page_token_the_service_makes_is_one_the_document_allows() -> None:
    # Given tokens of both listings with cursors of every shape
    cursors: list[list[str | int]] = [
        [],
        [1],
        [1_764_000_000_000, "1a2b3c4d-0000-4000-8000-000000000001"],
        [9_999] * 10,
    ]
    listings = ["jobs?[null,null,null]", "jobs/1a2b3c4d-0000-4000-8000-000000000001/steps"]
    tokens = [paging.encode(cursor, listing, b"key") for cursor in cursors for listing in listings]
    valid = parameter("/jobs", "get", "page")
    # Then the document allows each, and nothing shaped otherwise
    assert all(valid.is_valid(token) for token in tokens)
    assert not any(
        valid.is_valid(text) for text in ["", ".", "abc", f"{tokens[0]}.x", tokens[0][:-1], "a b.c"]
    )


def _numbers(low: int, high: int) -> list[Any]:
    """Whole numbers around and inside ``low``..``high``, as JSON numbers and as strings, with leading zeros,
    white space and other characters around them, and values of other types."""
    edges = [low - 1, low, low + 1, high - 1, high, high + 1, 0, -1, 10 * high, 10**30]
    values: list[Any] = [*edges, *(str(n) for n in range(max(0, low - 200), min(high + 200, low + 2_000)))]
    values += [str(n) for n in range(max(0, high - 2_000), high + 200)]
    values += [f"00{n}" for n in edges if n >= 0] + [
        f"+{low}",
        f"{low}.0",
        float(low),
        f"{low}e0",
        True,
        None,
    ]
    values += [[], {}, *around([str(low), str(high)])]
    return values


def test_timeouts_the_document_allows_are_those_the_service_accepts() -> None:
    valid = component("AddJob")
    assert_agree(
        _numbers(60, 604_800),
        lambda value: valid.is_valid({"description": "x", "timeout": value}),
        lambda value: body_accepted(AddJob, "job", {"description": "x", "timeout": value}),
    )


@pytest.mark.parametrize(("model", "root"), [(JobProgress, "job"), (StepProgress, "step")])
def test_progress_values_the_document_allows_are_those_the_service_accepts(
    model: type[Body], root: str
) -> None:
    valid = component(model.__name__)
    assert_agree(
        _numbers(0, 100),
        lambda value: valid.is_valid({"progress": value}),
        lambda value: body_accepted(model, root, {"progress": value}),
    )
