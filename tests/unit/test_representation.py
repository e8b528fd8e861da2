"""Jobs, steps, collections, action replies, faults and capabilities as oVirt v4 XML and JSON.

docs/api.md section pinned: "Representations" (with oVirt's own output for the field-by-field shapes) and, for
collections, "Listing". Model values are built directly; XML output is read back with the standard
library's parser.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree
from xml.etree.ElementTree import Element

import pytest

from external_tasks import limits
from external_tasks.config import CleanupDelays
from external_tasks.http import views
from external_tasks.http.representation import Document, iso_time, to_json, to_xml
from external_tasks.model import Job, Page, Status, Step, StepType

JOB_ID = "1a2b3c4d-0000-4000-8000-00000000a001"
OTHER_JOB_ID = "1a2b3c4d-0000-4000-8000-00000000a002"
STEP_ID = "5c6d0000-0000-4000-8000-00000000b001"
PARENT_ID = "3e4f0000-0000-4000-8000-00000000b000"
OWNER = "arn:aws:iam::123456789012:role/ExternalTasks"
START = 1_709_283_600_001  # 2024-03-01T09:00:00.001Z
UPDATED = 1_709_283_600_999
END = 1_709_283_900_123  # 2024-03-01T09:05:00.123Z

JOB = Job(
    id=JOB_ID,
    description="Back up VM db01",
    owner=OWNER,
    status=Status.STARTED,
    start_time=START,
    last_updated=UPDATED,
    auto_cleared=True,
    correlation_id="backup-42",
)
STEP = Step(
    id=STEP_ID,
    job_id=JOB_ID,
    description="Copy disk 1 of 3",
    type=StepType.EXECUTING,
    path=(0,),
    status=Status.STARTED,
    start_time=START + 1,
)
SUB_STEP = dataclasses.replace(STEP, path=(0, 2), parent_step_id=PARENT_ID, type=StepType.VALIDATING)


def as_json(document: Document) -> Any:
    return json.loads(to_json(document))


def as_xml(document: Document) -> Element:
    return ElementTree.fromstring(to_xml(document).encode("utf-8"))


def child(element: Element, tag: str) -> Element:
    found = element.find(tag)
    assert found is not None, f"<{element.tag}> has no <{tag}>"
    return found


def text(element: Element, tag: str) -> str | None:
    return child(element, tag).text


def links(element: Element) -> list[dict[str, str]]:
    return [dict(link.attrib) for link in element.findall("link")]


# Jobs (docs/api.md: Resources/Job; Representations; oVirt v4 (7.1), 7.2)


def test_a_job_in_json_is_shaped_as_ovirt_v4_writes_it() -> None:
    # Given a started job
    # When it is written as JSON
    data = as_json(views.job(JOB))
    # Then every member is where oVirt v4 (7.2) puts it, with this service's paths
    assert data == {
        "actions": {
            "link": [
                {"href": f"/api/jobs/{JOB_ID}/clear", "rel": "clear"},
                {"href": f"/api/jobs/{JOB_ID}/end", "rel": "end"},
            ]
        },
        "description": "Back up VM db01",
        "auto_cleared": True,
        "correlation_id": "backup-42",
        "external": True,
        "last_updated": UPDATED,
        "start_time": START,
        "status": "started",
        "owner": {"id": OWNER},
        "href": f"/api/jobs/{JOB_ID}",
        "id": JOB_ID,
        "link": [{"href": f"/api/jobs/{JOB_ID}/steps", "rel": "steps"}],
    }


def test_a_json_job_has_native_booleans_and_integer_epoch_millisecond_times() -> None:
    # Given a finished job that is not auto-cleared
    job = dataclasses.replace(JOB, status=Status.FINISHED, end_time=END, auto_cleared=False)
    # When it is written as JSON
    raw = to_json(views.job(job))
    data = json.loads(raw)
    # Then booleans are JSON true/false, not strings or numbers (docs/api.md: "Emit native JSON booleans")
    assert data["external"] is True
    assert data["auto_cleared"] is False
    assert '"external":true' in raw.replace(" ", "")
    # And times are integers of epoch milliseconds
    for name, expected in (("start_time", START), ("last_updated", UPDATED), ("end_time", END)):
        assert type(data[name]) is int
        assert data[name] == expected


def test_a_job_in_xml_has_id_and_href_attributes_and_actions_grouped() -> None:
    # Given a started job
    # When it is written as XML
    root = as_xml(views.job(JOB))
    # Then id and href are attributes of <job>
    assert root.tag == "job"
    assert root.attrib == {"href": f"/api/jobs/{JOB_ID}", "id": JOB_ID}
    # And the actions are <link href rel/> under <actions>
    assert links(child(root, "actions")) == [
        {"href": f"/api/jobs/{JOB_ID}/clear", "rel": "clear"},
        {"href": f"/api/jobs/{JOB_ID}/end", "rel": "end"},
    ]
    # And the steps link is a direct child
    assert links(root) == [{"href": f"/api/jobs/{JOB_ID}/steps", "rel": "steps"}]
    # And fields are child elements with snake_case names
    assert text(root, "description") == "Back up VM db01"
    assert text(root, "status") == "started"
    assert text(root, "correlation_id") == "backup-42"
    assert child(root, "owner").attrib == {"id": OWNER}


def test_xml_booleans_are_lowercase_true_and_false() -> None:
    # Given a job that is not auto-cleared
    job = dataclasses.replace(JOB, auto_cleared=False)
    # When it is written as XML
    root = as_xml(views.job(job))
    # Then booleans read true/false (docs/api.md: "booleans true/false")
    assert text(root, "external") == "true"
    assert text(root, "auto_cleared") == "false"


def test_xml_times_are_iso_8601_with_milliseconds_and_offset() -> None:
    # Given a finished job
    job = dataclasses.replace(JOB, status=Status.FINISHED, end_time=END)
    # When it is written as XML
    root = as_xml(views.job(job))
    # Then times are ISO-8601 with milliseconds and the UTC offset, as oVirt writes them
    assert text(root, "start_time") == "2024-03-01T09:00:00.001+00:00"
    assert text(root, "last_updated") == "2024-03-01T09:00:00.999+00:00"
    assert text(root, "end_time") == "2024-03-01T09:05:00.123+00:00"


def test_every_millisecond_is_written_exactly_in_xml_times() -> None:
    # Given two seconds' worth of consecutive millisecond timestamps, and the epoch itself
    moments = [0, *range(1_764_000_000_000, 1_764_000_002_000)]
    # When each is written as an XML time
    # Then it has the ISO shape and reads back as the same millisecond (no float rounding)
    shape = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")
    for ms in moments:
        written = iso_time(ms)
        assert shape.match(written), written
        parsed = datetime.fromisoformat(written)
        assert int(parsed.timestamp()) * 1000 + parsed.microsecond // 1000 == ms, written
    assert iso_time(0) == "1970-01-01T00:00:00.000+00:00"


def test_a_job_has_no_end_time_until_it_ends() -> None:
    # Given a started job and the same job once finished
    started, finished = JOB, dataclasses.replace(JOB, status=Status.FINISHED, end_time=END)
    # When both are written in both formats
    # Then end_time is absent from the started job and present in the finished one (oVirt v4 (7.1))
    assert "end_time" not in as_json(views.job(started))
    assert as_xml(views.job(started)).find("end_time") is None
    assert as_json(views.job(finished))["end_time"] == END
    assert text(as_xml(views.job(finished)), "end_time") == iso_time(END)
    assert as_json(views.job(finished))["status"] == "finished"


# Steps (docs/api.md: Resources/Step; oVirt v4 (7.3), 7.4)


def test_a_top_level_step_in_json_links_its_job_and_no_parent() -> None:
    # Given the first top-level step of a job
    # When it is written as JSON
    data = as_json(views.step(STEP))
    # Then it carries its number as an integer, a link to its job, its end action, and no parent_step
    assert data == {
        "actions": {"link": [{"href": f"/api/jobs/{JOB_ID}/steps/{STEP_ID}/end", "rel": "end"}]},
        "description": "Copy disk 1 of 3",
        "external": True,
        "number": 0,
        "start_time": START + 1,
        "status": "started",
        "type": "executing",
        "job": {"href": f"/api/jobs/{JOB_ID}", "id": JOB_ID},
        "href": f"/api/jobs/{JOB_ID}/steps/{STEP_ID}",
        "id": STEP_ID,
    }
    assert type(data["number"]) is int
    assert data["external"] is True


def test_a_sub_step_in_json_links_its_parent_step() -> None:
    # Given the third sub-step of a step
    # When it is written as JSON
    data = as_json(views.step(SUB_STEP))
    # Then its number is its place among its siblings and parent_step links the parent
    assert data["number"] == 2
    assert data["type"] == "validating"
    assert data["parent_step"] == {"href": f"/api/jobs/{JOB_ID}/steps/{PARENT_ID}", "id": PARENT_ID}


def test_a_step_in_xml_has_job_and_parent_step_references() -> None:
    # Given a sub-step
    # When it is written as XML
    root = as_xml(views.step(SUB_STEP))
    # Then it is <step href id> with <number>, <job href id/> and <parent_step href id/>
    assert root.tag == "step"
    assert root.attrib == {"href": f"/api/jobs/{JOB_ID}/steps/{STEP_ID}", "id": STEP_ID}
    assert text(root, "number") == "2"
    assert text(root, "external") == "true"
    assert text(root, "type") == "validating"
    assert child(root, "job").attrib == {"href": f"/api/jobs/{JOB_ID}", "id": JOB_ID}
    assert child(root, "parent_step").attrib == {
        "href": f"/api/jobs/{JOB_ID}/steps/{PARENT_ID}",
        "id": PARENT_ID,
    }
    assert links(child(root, "actions")) == [
        {"href": f"/api/jobs/{JOB_ID}/steps/{STEP_ID}/end", "rel": "end"}
    ]


def test_a_top_level_step_in_xml_has_no_parent_step_element() -> None:
    # Given a top-level step
    # When it is written as XML
    root = as_xml(views.step(STEP))
    # Then there is no <parent_step> ("only appear when they are set", oVirt v4 (7.3))
    assert root.find("parent_step") is None
    assert text(root, "number") == "0"


def test_a_step_has_no_end_time_until_it_ends() -> None:
    # Given a started step and the same step once failed
    ended = dataclasses.replace(STEP, status=Status.FAILED, end_time=END)
    # When both are written
    # Then only the ended one has an end_time
    assert "end_time" not in as_json(views.step(STEP))
    assert as_xml(views.step(STEP)).find("end_time") is None
    assert as_json(views.step(ended))["end_time"] == END
    assert text(as_xml(views.step(ended)), "end_time") == "2024-03-01T09:05:00.123+00:00"
    assert text(as_xml(views.step(ended)), "status") == "failed"


# Collections (docs/api.md: Representations; Listing)

SECOND_JOB = dataclasses.replace(JOB, id=OTHER_JOB_ID, description="Back up VM db02")


def test_a_job_list_in_json_is_an_object_with_a_job_array() -> None:
    # Given a page of two jobs with nothing after it
    page = Page((JOB, SECOND_JOB))
    # When it is written as JSON
    data = as_json(views.jobs(page, {"search": None, "max": None}))
    # Then it is {"job": [...]}, in order, without a next link
    assert list(data) == ["job"]
    assert [job["id"] for job in data["job"]] == [JOB_ID, OTHER_JOB_ID]
    assert data["job"][0]["href"] == f"/api/jobs/{JOB_ID}"


def test_a_job_list_in_xml_is_jobs_holding_job_elements() -> None:
    # Given a page of two jobs
    page = Page((JOB, SECOND_JOB))
    # When it is written as XML
    root = as_xml(views.jobs(page, {}))
    # Then it is <jobs><job/><job/></jobs>
    assert root.tag == "jobs"
    assert [(item.tag, item.get("id")) for item in root] == [("job", JOB_ID), ("job", OTHER_JOB_ID)]
    assert text(root[1], "description") == "Back up VM db02"


def test_an_empty_job_list() -> None:
    # Given an empty page
    page: Page[Job] = Page(())
    # When it is written in both formats
    xml = to_xml(views.jobs(page, {}))
    data = as_json(views.jobs(page, {}))
    # Then XML is an empty <jobs/> and JSON holds no jobs and no link
    assert xml.rstrip().endswith("<jobs/>")
    assert len(ElementTree.fromstring(xml.encode())) == 0
    assert data.get("job", []) == []
    assert "link" not in data


def test_a_next_page_link_is_in_json_and_repeats_the_listing_query() -> None:
    # Given a page with more jobs after it, listed with search and max
    page = Page((JOB,), next_token="tok.en/+=")
    document = views.jobs(page, {"search": "status=started", "max": "1", "status": None})
    # When it is written as JSON
    data = as_json(document)
    # Then the collection carries a link with rel next to the same listing, its query and the page token
    assert len(data["link"]) == 1
    link = data["link"][0]
    assert link["rel"] == "next"
    address = urlsplit(link["href"])
    assert address.path == "/api/jobs"
    assert parse_qs(address.query) == {"search": ["status=started"], "max": ["1"], "page": ["tok.en/+="]}
    # And the same address is offered for the Link header, in both formats (docs/rules.md: Listing)
    assert views.next_href(document) == link["href"]


def test_an_xml_collection_holds_nothing_but_its_items_even_with_a_next_page() -> None:
    # Given a page with more jobs after it
    page = Page((JOB, SECOND_JOB), next_token="token")
    # When it is written as XML
    root = as_xml(views.jobs(page, {"max": "2"}))
    # Then every child of <jobs> is a <job> (docs/rules.md: Listing, oVirt clients read every child as a job)
    assert [item.tag for item in root] == ["job", "job"]
    assert "page=token" not in to_xml(views.jobs(page, {"max": "2"}))


def test_a_steps_list_in_both_formats() -> None:
    # Given a page of a job's steps, with more after it
    page = Page((STEP, SUB_STEP), next_token="token")
    document = views.steps(JOB_ID, page, {"max": "2"})
    # When it is written
    data, root = as_json(document), as_xml(document)
    # Then JSON is {"step": [...]} with a next link under the job's steps, XML <steps> of <step> only
    assert [step["id"] for step in data["step"]] == [STEP_ID, STEP_ID]
    assert data["step"][1]["parent_step"]["id"] == PARENT_ID
    assert urlsplit(data["link"][0]["href"]).path == f"/api/jobs/{JOB_ID}/steps"
    assert data["link"][0]["rel"] == "next"
    assert root.tag == "steps"
    assert [item.tag for item in root] == ["step", "step"]


def test_no_next_link_when_the_page_is_the_last() -> None:
    # Given the last page of a listing
    document = views.steps(JOB_ID, Page((STEP,)), {"max": "1"})
    # When it is written
    # Then there is no next link anywhere
    assert "link" not in as_json(document)
    assert views.next_href(document) is None


# follow=steps (docs/api.md: Representations)


def test_follow_steps_embeds_the_steps_in_a_json_job() -> None:
    # Given a job and its steps, read with follow=steps
    # When it is written as JSON
    data = as_json(views.job(JOB, [STEP, SUB_STEP]))
    # Then the job has "steps": {"step": [...]} with each step complete, and keeps its steps link
    assert list(data["steps"]) == ["step"]
    assert [step["id"] for step in data["steps"]["step"]] == [STEP_ID, STEP_ID]
    assert data["steps"]["step"][0]["job"] == {"href": f"/api/jobs/{JOB_ID}", "id": JOB_ID}
    assert data["steps"]["step"][1]["parent_step"]["id"] == PARENT_ID
    assert data["link"] == [{"href": f"/api/jobs/{JOB_ID}/steps", "rel": "steps"}]


def test_follow_steps_embeds_the_steps_in_an_xml_job() -> None:
    # Given a job and its steps, read with follow=steps
    # When it is written as XML
    root = as_xml(views.job(JOB, [STEP, SUB_STEP]))
    # Then <job> holds <steps><step …/>…</steps>
    steps = child(root, "steps")
    assert [(item.tag, item.get("id")) for item in steps] == [("step", STEP_ID), ("step", STEP_ID)]
    assert text(steps[0], "description") == "Copy disk 1 of 3"
    assert child(steps[1], "parent_step").get("id") == PARENT_ID


def test_without_follow_a_job_embeds_no_steps() -> None:
    # Given a job read without follow=steps
    # When it is written
    # Then neither format embeds steps
    assert "steps" not in as_json(views.job(JOB))
    assert as_xml(views.job(JOB)).find("steps") is None


# Action replies (docs/api.md: Representations, "Action replies"; oVirt v4 (7.5))


def test_an_end_job_reply_echoes_the_input_and_links_the_job() -> None:
    # Given an end job request that sent succeeded=false and force=true
    document = views.action(JOB_ID, {"succeeded": False, "force": True})
    # When the reply is written in both formats
    data, root = as_json(document), as_xml(document)
    # Then it echoes both flags, links the job and says complete
    assert data == {
        "force": True,
        "succeeded": False,
        "job": {"href": f"/api/jobs/{JOB_ID}", "id": JOB_ID},
        "status": "complete",
    }
    assert data["force"] is True
    assert data["succeeded"] is False
    assert root.tag == "action"
    assert text(root, "force") == "true"
    assert text(root, "succeeded") == "false"
    assert child(root, "job").attrib == {"href": f"/api/jobs/{JOB_ID}", "id": JOB_ID}
    assert text(root, "status") == "complete"


def test_an_end_step_reply_has_no_job_link() -> None:
    # Given an end step request that sent succeeded=true
    document = views.action(None, {"succeeded": True})
    # When the reply is written
    # Then it echoes succeeded and says complete, without a job link (oVirt v4 (7.5))
    assert as_json(document) == {"succeeded": True, "status": "complete"}
    root = as_xml(document)
    assert root.find("job") is None
    assert text(root, "status") == "complete"


def test_a_clear_reply_echoes_nothing_it_was_not_sent() -> None:
    # Given a clear request with an empty body
    document = views.action(JOB_ID, {})
    # When the reply is written
    # Then it only links the job and says complete
    assert as_json(document) == {"job": {"href": f"/api/jobs/{JOB_ID}", "id": JOB_ID}, "status": "complete"}
    assert [element.tag for element in as_xml(document)] == ["job", "status"]


# Faults (docs/api.md: Representations, "Errors follow Accept")


def test_a_fault_on_an_add_is_a_bare_fault() -> None:
    # Given an incomplete add step
    document = views.fault("Incomplete parameters", "Step [type] required for add", action=False)
    # When it is written
    # Then JSON is {reason, detail} and XML <fault><reason/><detail/></fault>
    assert as_json(document) == {"reason": "Incomplete parameters", "detail": "Step [type] required for add"}
    root = as_xml(document)
    assert root.tag == "fault"
    assert text(root, "reason") == "Incomplete parameters"
    assert text(root, "detail") == "Step [type] required for add"


def test_a_fault_on_an_action_is_wrapped_in_a_failed_action() -> None:
    # Given a failure on the clear action
    document = views.fault("Not Found", "[Cannot Clear External Job. Job not found.]", action=True)
    # When it is written
    data, root = as_json(document), as_xml(document)
    # Then the fault sits in an <action> whose status is failed (oVirt v4 (7.5))
    assert data == {
        "fault": {"reason": "Not Found", "detail": "[Cannot Clear External Job. Job not found.]"},
        "status": "failed",
    }
    assert root.tag == "action"
    assert text(child(root, "fault"), "reason") == "Not Found"
    assert text(child(root, "fault"), "detail") == "[Cannot Clear External Job. Job not found.]"
    assert text(root, "status") == "failed"


# Text in XML (docs/api.md: Limits, "returned exactly as sent"; Representations, XML)

AWKWARD = "Copy \"db01\" <disk 1> & <disk 2> ]]> 'quoted'"


def test_markup_characters_in_a_description_are_escaped_in_xml() -> None:
    # Given a job whose description contains <, &, " and ]]>
    job = dataclasses.replace(JOB, description=AWKWARD)
    # When it is written as XML
    xml = to_xml(views.job(job))
    # Then the document parses and the description reads back exactly
    assert text(ElementTree.fromstring(xml.encode()), "description") == AWKWARD
    assert "<disk" not in xml


def test_markup_characters_in_a_fault_detail_are_escaped_in_xml() -> None:
    # Given a fault that quotes a client's value
    detail = "Job [description] 'a<b & \"c\"' is invalid"
    # When it is written as XML, bare and wrapped
    # Then both parse and keep the detail exactly
    assert text(as_xml(views.fault("Invalid input", detail, action=False)), "detail") == detail
    assert text(child(as_xml(views.fault("Invalid input", detail, action=True)), "fault"), "detail") == detail


@pytest.mark.parametrize(
    "description",
    [
        "Back up \U0001f4be db01 \U0001f468\u200d\U0001f469\u200d\U0001f467",
        "\u05d2\u05d9\u05d1\u05d5\u05d9 \u05de\u05db\u05d5\u05e0\u05d4",
        "cafe\u0301 / caf\u00e9",
        "one\ttwo\nthree",
    ],
)
def test_any_text_reads_back_exactly_from_both_formats(description: str) -> None:
    # Given a job whose description is emoji, right-to-left text, decomposed accents, or tabs and newlines
    job = dataclasses.replace(JOB, description=description)
    # When it is written in both formats and read back
    # Then the description is exactly what was stored
    assert as_json(views.job(job))["description"] == description
    assert text(as_xml(views.job(job)), "description") == description
    # And JSON writes the characters themselves, not \u escapes
    assert json.dumps(description, ensure_ascii=False) in to_json(views.job(job))


def test_a_carriage_return_in_a_description_survives_xml() -> None:
    # Given a description with a CR LF line break (CR is allowed: docs/api.md, Limits)
    job = dataclasses.replace(JOB, description="line one\r\nline two\rline three")
    # When it is written as XML and read by an XML parser, which normalises literal CRs to LF
    root = as_xml(views.job(job))
    # Then the description is still exactly as sent (docs/api.md: "stored and returned exactly as sent")
    assert text(root, "description") == "line one\r\nline two\rline three"


# Capabilities (docs/api.md: Operations, "capabilities: statuses, step types, limits, API version")


def test_capabilities_list_statuses_step_types_and_limits_in_json() -> None:
    # Given cleanup delays set to 5 and 30 minutes
    document = views.capabilities(CleanupDelays(succeeded_minutes=5, failed_minutes=30), ["correlation_id"])
    # When capabilities are written as JSON
    data = as_json(document)
    # Then they list the five statuses, the four terminal ones, the six step types and the limits of
    # docs/api.md
    assert data["statuses"] == {"status": ["started", "finished", "failed", "aborted", "unknown"]}
    assert data["terminal_statuses"] == {"status": ["finished", "failed", "aborted", "unknown"]}
    assert data["step_types"] == {
        "step_type": [
            "validating",
            "executing",
            "finalizing",
            "rebalancing_volume",
            "removing_bricks",
            "unknown",
        ]
    }
    assert data["limits"]["max_body_bytes"] == 65_536
    assert data["limits"]["max_nesting_depth"] == 32
    assert data["limits"]["max_description_length"] == 4_000
    assert data["limits"]["max_correlation_id_length"] == 50
    assert data["limits"]["default_page_size"] == 1_000  # Listing: every item, up to what fits
    assert data["limits"]["max_page_size"] == 1_000
    assert data["limits"]["max_steps_per_job"] == limits.MAX_STEPS_PER_JOB
    assert data["limits"]["max_followed_steps"] == 1_000  # Representations: follow=steps
    assert data["limits"]["max_reply_bytes"] == 6_291_556  # what Lambda delivers
    assert data["cleanup"] == {"succeeded_job_minutes": 5, "failed_job_minutes": 30}
    assert data["auto_cleared_default"] is True
    assert data["api_version"]
    assert data["href"] == "/api/capabilities"


def test_capabilities_in_xml() -> None:
    # Given the default cleanup delays
    document = views.capabilities(CleanupDelays(), ["correlation_id", "status", "owner"])
    # When capabilities are written as XML
    root = as_xml(document)
    # Then each list is an element of repeated items, and limits are child elements
    assert root.tag == "capabilities"
    assert [item.text for item in child(root, "statuses")] == [str(status) for status in Status]
    assert all(item.tag == "status" for item in child(root, "statuses"))
    assert [item.text for item in child(root, "step_types")] == [str(kind) for kind in StepType]
    assert [item.text for item in child(root, "search_terms")] == ["correlation_id", "status", "owner"]
    assert text(child(root, "limits"), "max_body_bytes") == "65536"
    assert text(child(root, "cleanup"), "succeeded_job_minutes") == "10"
    assert text(child(root, "cleanup"), "failed_job_minutes") == "60"
    assert text(root, "auto_cleared_default") == "true"


# Every document is well-formed XML


DOCUMENTS = {
    "job": views.job(JOB),
    "job-with-steps": views.job(JOB, [STEP, SUB_STEP]),
    "step": views.step(SUB_STEP),
    "jobs": views.jobs(Page((JOB,), next_token="t"), {"search": "a&b"}),
    "empty-steps": views.steps(JOB_ID, Page(()), {}),
    "action": views.action(JOB_ID, {"force": True}),
    "fault": views.fault("Conflict", "<&>", action=True),
    "capabilities": views.capabilities(CleanupDelays(), ["correlation_id"]),
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_reply_is_a_well_formed_utf8_xml_document(name: str) -> None:
    # Given any document the service replies with
    document = DOCUMENTS[name]
    # When it is written as XML
    xml = to_xml(document)
    # Then it declares UTF-8, parses, and its root element is the document's
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"')
    assert ElementTree.fromstring(xml.encode("utf-8")).tag == document.tag
    # And the same document is valid JSON
    json.loads(to_json(document))
