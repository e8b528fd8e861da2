"""Request bodies validated (external_tasks.requests): add job, add step, end and clear, and their errors.

docs/api.md sections pinned: "Resources" (Job and Step fields), "Operations" (bodies, the oVirt 3.x shapes,
enum
case), "Representations" (native values and oVirt's strings accepted; faults naming the field) and
"Input limits" (lengths count code points, unknown fields ignored).
"""

from __future__ import annotations

from typing import Any

import pytest

from external_tasks.errors import Incomplete, Invalid
from external_tasks.http import bodies
from external_tasks.model import Status, StepType
from external_tasks.requests import AddJob, AddStep, ClearAction, EndAction

PARENT_ID = "3e4f0000-0000-4000-8000-00000000b000"
STEP_TYPES = ["validating", "executing", "finalizing", "rebalancing_volume", "removing_bricks", "unknown"]


def refused(model: type[AddJob | AddStep | EndAction], data: dict[str, Any]) -> Invalid:
    """The error a body is refused with; fails the test when the body is accepted."""
    with pytest.raises(Invalid) as error:
        model.parse(data)
    return error.value


# Add job (docs/api.md: Resources/Job description, auto_cleared; Operations "add job")


def test_a_job_description_is_trimmed() -> None:
    # Given a description with surrounding white space
    # When the add-job body is read
    job = AddJob.parse({"description": "  \tBack up VM db01 \r\n"})
    # Then the description is trimmed (docs/api.md: "trimmed of surrounding white space")
    assert job.description == "Back up VM db01"


def test_inner_white_space_of_a_description_is_kept() -> None:
    # Given a description with white space inside it
    # When it is read
    # Then only the surrounding white space goes
    assert AddJob.parse({"description": " Back  up\tVM\ndb01 "}).description == "Back  up\tVM\ndb01"


@pytest.mark.parametrize("description", ["", " ", "\t\r\n ", "\u3000"])
def test_a_blank_job_description_is_invalid(description: str) -> None:
    # Given a description that is empty or only white space
    # When the body is read
    error = refused(AddJob, {"description": description})
    # Then it is invalid (not incomplete: the field was sent), naming the field
    assert type(error) is Invalid
    assert "[description]" in error.detail


def test_a_missing_job_description_is_incomplete_as_ovirt_words_it() -> None:
    # Given an add-job body without a description
    # When it is read
    error = refused(AddJob, {"auto_cleared": True})
    # Then it is oVirt's "Incomplete parameters" with its detail (OVIRT-WIRE 7.5)
    assert isinstance(error, Incomplete)
    assert error.detail == "Job [description] required for add"


@pytest.mark.parametrize("description", [42, True, None, ["Back up"], {"text": "Back up"}])
def test_a_job_description_that_is_not_text_is_invalid(description: Any) -> None:
    # Given a description that is a number, boolean, null, list or object
    # When the body is read
    error = refused(AddJob, {"description": description})
    # Then it is invalid, naming the field
    assert "[description]" in error.detail


def test_a_job_description_of_4000_characters_is_accepted_and_4001_refused() -> None:
    # Given descriptions at and just over the limit
    # When they are read
    # Then 4000 is accepted, 4001 is invalid and says so (docs/api.md: "1..4000 chars")
    assert len(AddJob.parse({"description": "x" * 4000}).description) == 4000
    error = refused(AddJob, {"description": "x" * 4001})
    assert "[description]" in error.detail
    assert "4000" in error.detail


def test_description_length_counts_code_points_not_bytes() -> None:
    # Given 4000 emoji: 16,000 bytes of UTF-8, 8000 UTF-16 units, 4000 code points
    emoji = "\U0001f4be" * 4000
    # When read
    # Then it is accepted, kept exactly; one more is refused (docs/api.md: Limits, "lengths count code
    # points")
    assert AddJob.parse({"description": emoji}).description == emoji
    refused(AddJob, {"description": emoji + "\U0001f4be"})


def test_description_length_counts_combining_marks_as_code_points() -> None:
    # Given "é" written as e + combining acute accent: 2 code points for one visible character
    decomposed = "e\u0301"
    # When 2000 and 2001 of them are read
    # Then 4000 code points are accepted unnormalised, 4002 refused
    assert AddJob.parse({"description": decomposed * 2000}).description == decomposed * 2000
    refused(AddJob, {"description": decomposed * 2001})


def test_the_length_limit_applies_after_trimming() -> None:
    # Given 4000 characters surrounded by white space
    # When read
    # Then it is accepted: the stored description is 4000 characters
    assert len(AddJob.parse({"description": "   " + "x" * 4000 + "\n"}).description) == 4000


def test_auto_cleared_defaults_to_true() -> None:
    # Given an add-job body without auto_cleared
    # When it is read
    # Then the job will be auto-cleared (docs/api.md: "default true", a fix of oVirt's false)
    assert AddJob.parse({"description": "Back up"}).auto_cleared is True


@pytest.mark.parametrize(
    ("given", "expected"),
    [(True, True), (False, False), ("true", True), ("false", False), ("FALSE", False), ("True", True)],
)
def test_auto_cleared_accepts_native_booleans_and_ovirt_strings(given: Any, expected: bool) -> None:
    # Given auto_cleared as a JSON boolean or as the string oVirt and XML send
    # When it is read
    # Then it is that boolean (docs/api.md: Representations, "accept both native values and the strings")
    assert AddJob.parse({"description": "Back up", "auto_cleared": given}).auto_cleared is expected


@pytest.mark.parametrize("given", ["yes", "no", 1, 0, "1", "", "t", [True]])
def test_auto_cleared_refuses_anything_but_true_or_false(given: Any) -> None:
    # Given a value oVirt's BooleanParser would not accept (OVIRT-WIRE: only the literals true/false)
    # When it is read
    error = refused(AddJob, {"description": "Back up", "auto_cleared": given})
    # Then it is invalid, naming the field
    assert "[auto_cleared]" in error.detail


def test_an_xml_add_job_body_reads_like_the_json_one() -> None:
    # Given the add-job body of OVIRT-WIRE 7.5 in XML, where every value is text
    data = bodies.decode(
        b"<job><description> Backup VM db01 </description><auto_cleared>false</auto_cleared></job>",
        "application/xml",
        "job",
    )
    # When it is read
    job = AddJob.parse(data)
    # Then the values are as in JSON
    assert (job.description, job.auto_cleared) == ("Backup VM db01", False)


# Add step (docs/api.md: Resources/Step type, parent_step; Operations "add step")


@pytest.mark.parametrize("given", [*STEP_TYPES, "EXECUTING", "Rebalancing_Volume", " finalizing "])
def test_a_step_type_is_accepted_in_any_letter_case(given: str) -> None:
    # Given a step type in any case (docs/api.md: "Enum values are accepted in any letter case")
    # When the add-step body is read
    step = AddStep.parse({"description": "Copy disk", "type": given})
    # Then it is that type
    assert step.type is StepType(given.strip().lower())


def test_an_unknown_step_type_is_invalid_and_lists_the_types() -> None:
    # Given a type this API does not know
    # When the body is read
    error = refused(AddStep, {"description": "Copy disk", "type": "copying"})
    # Then it is invalid, names the field and the value, and lists every type a client may use
    assert type(error) is Invalid
    assert "[type]" in error.detail
    assert "copying" in error.detail
    for step_type in STEP_TYPES:
        assert step_type in error.detail


@pytest.mark.parametrize("given", [1, True, ["executing"], {"name": "executing"}])
def test_a_step_type_that_is_not_text_is_invalid(given: Any) -> None:
    # Given a type that is not a string
    # When the body is read
    # Then it is invalid, naming the field
    assert "[type]" in refused(AddStep, {"description": "Copy disk", "type": given}).detail


def test_a_missing_step_type_is_incomplete_as_ovirt_words_it() -> None:
    # Given an add-step body without a type
    # When it is read
    error = refused(AddStep, {"description": "Copy disk"})
    # Then it is oVirt's incomplete-parameters detail (OVIRT-WIRE 7.5)
    assert isinstance(error, Incomplete)
    assert error.detail == "Step [type] required for add"


def test_a_missing_step_description_is_incomplete() -> None:
    # Given an add-step body without a description
    # When it is read
    error = refused(AddStep, {"type": "executing"})
    # Then it is incomplete, naming the description
    assert isinstance(error, Incomplete)
    assert error.detail == "Step [description] required for add"


def test_a_blank_step_description_is_invalid() -> None:
    # Given a step description of white space only
    # When it is read
    error = refused(AddStep, {"description": "   ", "type": "executing"})
    # Then it is invalid, naming the field
    assert type(error) is Invalid
    assert "[description]" in error.detail


def test_a_top_level_step_has_no_parent() -> None:
    # Given an add-step body without parent_step
    # When it is read
    # Then the step has no parent (docs/api.md: parent_step "absent for a top-level step")
    assert AddStep.parse({"description": "Copy disk", "type": "executing"}).parent_step is None


def test_a_parent_step_id_is_a_uuid_normalised_to_lower_case() -> None:
    # Given a parent step id in upper case, with surrounding white space
    data = {"description": "Copy disk", "type": "executing", "parent_step": {"id": f" {PARENT_ID.upper()} "}}
    # When it is read
    step = AddStep.parse(data)
    # Then it is the same id as the lower-case one
    assert step.parent_step is not None
    assert step.parent_step.id == PARENT_ID


@pytest.mark.parametrize("given", ["nope", "", "42", PARENT_ID.replace("-", ""), PARENT_ID + "0", 42, None])
def test_a_parent_step_id_that_is_not_a_uuid_is_invalid(given: Any) -> None:
    # Given a parent step id that is not a UUID
    # When the body is read
    error = refused(AddStep, {"description": "Copy disk", "type": "executing", "parent_step": {"id": given}})
    # Then it is invalid, naming parent_step.id
    assert type(error) is Invalid
    assert "[parent_step.id]" in error.detail


def test_a_parent_step_without_an_id_is_incomplete() -> None:
    # Given parent_step sent without its id
    # When the body is read
    error = refused(AddStep, {"description": "Copy disk", "type": "executing", "parent_step": {"name": "x"}})
    # Then it is incomplete, naming parent_step.id
    assert isinstance(error, Incomplete)
    assert error.detail == "Step [parent_step.id] required for add"


@pytest.mark.parametrize("given", [PARENT_ID, 42, [PARENT_ID]])
def test_a_parent_step_that_is_not_an_object_is_invalid_with_a_hint(given: Any) -> None:
    # Given parent_step as a bare id or another non-object
    # When the body is read
    error = refused(AddStep, {"description": "Copy disk", "type": "executing", "parent_step": given})
    # Then it is invalid, naming the field and showing the expected shape
    assert "[parent_step]" in error.detail
    assert '{"id"' in error.detail


def test_an_xml_add_step_body_reads_like_the_json_one() -> None:
    # Given the add-step body of OVIRT-WIRE 7.5 in XML
    xml = (
        "<step><description>Copy disk</description><type>Executing</type>"
        f'<parent_step id="{PARENT_ID}"/></step>'
    )
    # When it is read
    step = AddStep.parse(bodies.decode(xml.encode(), "application/xml", "step"))
    # Then it is the same step as from JSON
    assert step == AddStep.parse(
        {"description": "Copy disk", "type": "executing", "parent_step": {"id": PARENT_ID}}
    )


@pytest.mark.parametrize("status", [{"state": "finished"}, {"state": "bogus"}, "failed", "nonsense", {}])
def test_a_3x_status_on_add_step_is_ignored(status: Any) -> None:
    # Given an oVirt 3.x add-step body with a status (docs/api.md: Operations, "a status.state that is
    # ignored")
    data = {"description": "Copy disk", "type": "executing", "status": status}
    # When it is read
    step = AddStep.parse(data)
    # Then it is accepted as if the status were not there (a new step is always started)
    assert step == AddStep.parse({"description": "Copy disk", "type": "executing"})


# End and clear (docs/api.md: Operations "end job/step", rules 2 and 3, the 3.x shapes)


def test_an_empty_end_body_asks_for_the_defaults() -> None:
    # Given an end request with an empty body
    # When it is read
    action = EndAction.parse({})
    # Then nothing is set: succeeded defaults later to true, force is false
    assert (action.succeeded, action.force, action.status) == (None, False, None)


@pytest.mark.parametrize(
    ("data", "succeeded", "force"),
    [
        ({"succeeded": False, "force": True}, False, True),
        ({"succeeded": "true"}, True, False),
        ({"succeeded": "FALSE", "force": "TRUE"}, False, True),
        ({"force": "false"}, None, False),
    ],
)
def test_end_reads_succeeded_and_force(data: dict[str, Any], succeeded: bool | None, force: bool) -> None:
    # Given an oVirt v4 end body with native or string booleans
    # When it is read
    action = EndAction.parse(data)
    # Then the flags are as sent
    assert (action.succeeded, action.force) == (succeeded, force)


@pytest.mark.parametrize("field", ["succeeded", "force"])
def test_an_end_flag_that_is_not_true_or_false_is_invalid(field: str) -> None:
    # Given a flag sent as "yes"
    # When it is read
    error = refused(EndAction, {field: "yes"})
    # Then it is invalid, naming the flag
    assert f"[{field}]" in error.detail


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ({"state": "failed"}, Status.FAILED),
        ({"state": "FINISHED"}, Status.FINISHED),
        ({"state": "aborted"}, Status.ABORTED),
        ("aborted", Status.ABORTED),
        ("Unknown", Status.UNKNOWN),
    ],
)
def test_end_accepts_the_3x_status_shapes(status: Any, expected: Status) -> None:
    # Given a 2013-style end body: status.state, or a bare status, in any case
    # When it is read
    action = EndAction.parse({"status": status})
    # Then the status names the outcome
    assert action.status is expected


def test_an_xml_3x_end_body_names_its_status() -> None:
    # Given <action><status><state>failed</state></status></action>, as oVirt 3.x plug-ins send it
    data = bodies.decode(
        b"<action><status><state>failed</state></status></action>", "application/xml", "action"
    )
    # When it is read
    # Then the outcome is failed
    assert EndAction.parse(data).status is Status.FAILED


def test_a_3x_status_without_a_state_is_invalid() -> None:
    # Given status as an object without its state
    # When it is read
    error = refused(EndAction, {"status": {"name": "failed"}})
    # Then it is invalid, naming the field
    assert "[status]" in error.detail


def test_an_unknown_3x_status_is_invalid_and_lists_the_statuses() -> None:
    # Given a status that does not exist
    # When it is read
    error = refused(EndAction, {"status": {"state": "done"}})
    # Then it is invalid and lists what a client may send
    assert "[status]" in error.detail
    assert "done" in error.detail
    for status in ("finished", "failed", "aborted", "unknown"):
        assert status in error.detail


def test_unknown_fields_are_ignored() -> None:
    # Given bodies with fields this API does not read (docs/api.md: Limits, "Unknown fields ... are ignored")
    extra = {"async": "true", "grace_period": {"expiry": "10"}, "reason": "done", "link": [{"rel": "x"}]}
    # When they are read
    # Then they are accepted as if the fields were not there
    assert AddJob.parse({"description": "Back up", **extra}) == AddJob.parse({"description": "Back up"})
    assert AddStep.parse(
        {"description": "Copy", "type": "executing", "external_type": "x", **extra}
    ) == AddStep.parse({"description": "Copy", "type": "executing"})
    assert EndAction.parse({"succeeded": True, **extra}).echo() == {"succeeded": True}
    assert ClearAction.parse(extra) == ClearAction.parse({})


@pytest.mark.parametrize(
    ("data", "echo"),
    [
        ({}, {}),
        ({"force": True}, {"force": True}),
        ({"succeeded": "false"}, {"succeeded": False}),
        ({"succeeded": True, "force": "false"}, {"force": False, "succeeded": True}),
        ({"status": {"state": "failed"}}, {}),
        ({"status": "aborted", "force": True, "comment": "x"}, {"force": True}),
    ],
)
def test_the_end_reply_echoes_only_the_flags_sent(data: dict[str, Any], echo: dict[str, bool]) -> None:
    # Given an end body (docs/api.md: Representations, action replies "echoing the input")
    # When its echo is taken
    # Then it holds exactly the flags the client sent, as booleans
    assert EndAction.parse(data).echo() == echo


def test_the_end_reply_never_echoes_a_null_flag() -> None:
    # Given an end body with "succeeded": null, as some JSON clients send for "not set"
    try:
        action = EndAction.parse({"succeeded": None})
    except Invalid:
        return  # refusing null is one acceptable answer
    # When it is accepted instead, and its echo taken
    echo = action.echo()
    # Then the echo holds only booleans: the reply never carries a null member (OVIRT-WIRE, Jackson NON_NULL)
    assert all(isinstance(value, bool) for value in echo.values()), echo
