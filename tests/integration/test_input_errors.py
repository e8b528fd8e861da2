"""Bad input gets a 4xx oVirt fault that names the problem, and nothing is written (docs/api.md: Limits)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import stored_items
from tests.support.api import Api
from xtasks_local.template import Route, Template

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE job [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<job><description>&lol2;</description></job>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE job [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<job><description>&secret;</description></job>"""
PLAIN_DTD = b"""<?xml version="1.0"?><!DOCTYPE job><job><description>x</description></job>"""


def _post_job(api: Api, body: bytes, content_type: str) -> Any:
    return api.request("POST", "/jobs", body=body, headers=[("Content-Type", content_type)])


@pytest.mark.parametrize(
    ("body", "content_type", "status", "names"),
    [
        (b'{"auto_cleared": true}', "application/json", 400, "[description] required"),
        (b"<job><auto_cleared>true</auto_cleared></job>", "application/xml", 400, "[description] required"),
        (b'{"description": "   "}', "application/json", 400, "blank"),
        (b"<job><description>  </description></job>", "application/xml", 400, "blank"),
        (b'{"description": 42}', "application/json", 400, "must be text"),
        (b'{"description": "x", "auto_cleared": "maybe"}', "application/json", 400, "auto_cleared"),
        (b'{"description": "x"', "application/json", 400, "malformed JSON"),
        (b"[1, 2]", "application/json", 400, "must be an object"),
        (b"<job><description>x</description>", "application/xml", 400, "malformed XML"),
        (b"<step><description>x</description></step>", "application/xml", 400, "<job>"),
        (BILLION_LAUGHS, "application/xml", 400, "DTD"),
        (EXTERNAL_ENTITY, "application/xml", 400, "DTD"),
        (PLAIN_DTD, "application/xml", 400, "DTD"),
        (b'{"description": "bad \\u0007 bell"}', "application/json", 400, "U+0007"),
        (b'{"description": "\xff\xfe"}', "application/json", 400, "UTF-8"),
        (b'{"description": "x", "extra": ' + b"[" * 40 + b"]" * 40 + b"}", "application/json", 400, "deeper"),
        (b'{"description": "x"}', "text/plain", 415, "text/plain"),
        (b'{"description": "x"}', "application/json; charset=latin-1", 415, "charset"),
    ],
)
def test_a_bad_job_body_is_refused_by_name_and_nothing_is_written(
    api: Api, table: Any, body: bytes, content_type: str, status: int, names: str
) -> None:
    """Input limits, answered in the format the client accepts (the api fixture runs JSON, then XML)."""
    reply = _post_job(api, body, content_type)
    assert reply.status == status, reply.body
    assert names in reply.fault["detail"]
    assert reply.fault["reason"]
    assert stored_items(table) == []


def test_a_body_over_64_kib_is_413_on_every_post_route(api: Api, table: Any) -> None:
    """Input limits: more than 65,536 bytes is 413, answered rather than reset."""
    job_id = api.new_job()
    step_id = api.new_step(job_id)
    before = stored_items(table)
    oversized = json.dumps({"description": "x" * 65_536}).encode()
    for path in ("/jobs", f"/jobs/{job_id}/end", f"/jobs/{job_id}/clear", f"/jobs/{job_id}/steps",
                 f"/jobs/{job_id}/steps/{step_id}/end"):  # fmt: skip
        reply = api.request("POST", path, body=oversized, headers=[("Content-Type", "application/json")])
        assert reply.status == 413, path
        assert "65536" in reply.fault["detail"]
    assert stored_items(table) == before


POST_ROUTES = [route for route in Template().routes if route.method == "POST"]
ROOTS = {"/jobs": "job", "/jobs/{job_id}/steps": "step"}  # the end and clear actions read an <action>


def _declaring(encoding: str) -> Any:
    """A UTF-8 body, with text outside ASCII, whose XML declaration names ``encoding``."""
    return lambda root: (
        f'<?xml version="1.0" encoding="{encoding}"?><{root}><description>café</description>'
        f"<type>executing</type></{root}>"
    ).encode()


def _in(codec: str, content_type: str) -> Any:
    """A body written in ``codec`` (UTF-16 and UTF-32 codecs start with a byte order mark)."""
    if content_type == "application/json":
        return lambda root: '{"description": "café", "type": "executing"}'.encode(codec)
    return lambda root: f"<{root}><description>café</description><type>executing</type></{root}>".encode(
        codec
    )


# Each kind of body that is not UTF-8, or says it is not: the body for a route's root element, its
# Content-Type, and what the fault names.
NOT_UTF8 = {
    "xml-declares-an-unknown-encoding": (_declaring("foo"), "application/xml", "'foo'"),
    "xml-declares-utf-16": (_declaring("UTF-16"), "application/xml", "'UTF-16'"),
    "xml-declares-utf-32": (_declaring("UTF-32"), "application/xml", "'UTF-32'"),
    "xml-declares-base64": (_declaring("base64"), "application/xml", "'base64'"),
    "xml-declares-rot13": (_declaring("rot13"), "application/xml", "'rot13'"),
    "xml-declares-zlib": (_declaring("zlib"), "application/xml", "'zlib'"),
    "xml-declares-iso-8859-1": (_declaring("ISO-8859-1"), "application/xml", "'ISO-8859-1'"),
    "xml-declares-iso-8859-1-untyped": (_declaring("ISO-8859-1"), "", "'ISO-8859-1'"),
    "xml-in-utf-16": (_in("utf-16", "application/xml"), "application/xml", "UTF-16"),
    "xml-in-utf-32": (_in("utf-32", "application/xml"), "application/xml", "UTF-32"),
    "json-in-utf-16": (_in("utf-16", "application/json"), "application/json", "UTF-16"),
    "json-in-utf-16-untyped": (_in("utf-16", "application/json"), "", "UTF-16"),
    "json-in-utf-16-without-a-mark": (_in("utf-16-le", "application/json"), "application/json", "UTF-16"),
    "json-in-utf-32": (_in("utf-32", "application/json"), "application/json", "UTF-32"),
}


@pytest.mark.parametrize("route", POST_ROUTES, ids=lambda route: route.function)
def test_a_body_that_is_not_utf8_or_declares_another_encoding_is_400_on_every_post_route(
    json_api: Api, table: Any, route: Route
) -> None:
    """Input limits: text must be UTF-8. A body declaring another encoding is refused before it is read, on
    every POST route, naming the problem; nothing is written, nothing stored garbled."""
    # Given a job and a step, both started
    job_id = json_api.new_job()
    step_id = json_api.new_step(job_id)
    before = stored_items(table)
    path = route.path.format(job_id=job_id, step_id=step_id)
    for kind, (make_body, content_type, names) in NOT_UTF8.items():
        headers = [("Content-Type", content_type)] if content_type else []
        # When a body that is not UTF-8, or says it is not, is posted to the route
        reply = json_api.request(
            "POST", path, body=make_body(ROOTS.get(route.path, "action")), headers=headers
        )
        # Then it is a 400 naming the encoding, never a 500
        assert reply.status == 400, (kind, reply.body)
        assert names in reply.fault["detail"], kind
        assert "UTF-8" in reply.fault["detail"], kind
    # And nothing was written
    assert stored_items(table) == before


def test_an_xml_body_declared_utf8_in_any_spelling_is_stored_exactly(api: Api) -> None:
    """Input limits: text outside ASCII is stored and returned exactly as sent, whichever name of UTF-8 the
    XML declaration uses."""
    for encoding in ("UTF-8", "utf-8", "utf8"):
        # Given an add-job body declaring UTF-8
        body = f'<?xml version="1.0" encoding="{encoding}"?><job><description>café 💾</description></job>'
        # When it is posted
        reply = api.request(
            "POST", "/jobs", body=body.encode(), headers=[("Content-Type", "application/xml")]
        )
        # Then the job holds the text as sent
        assert reply.status == 201, (encoding, reply.body)
        assert api.get_job(reply.data["id"]).data["description"] == "café 💾"


def test_a_body_of_exactly_64_kib_is_accepted(json_api: Api) -> None:
    """Input limits: up to 65,536 bytes are accepted."""
    body = json.dumps({"description": "Back up", "padding": ""}).encode()
    body = body.replace(b'"padding": ""', b'"padding": "' + b"p" * (65_536 - len(body)) + b'"')
    assert len(body) == 65_536
    reply = json_api.request("POST", "/jobs", body=body, headers=[("Content-Type", "application/json")])
    assert reply.status == 201


def test_a_bad_step_body_is_refused_by_name_and_nothing_is_written(api: Api, table: Any) -> None:
    """Add step: type is required and must be one of the step types."""
    job_id = api.new_job()
    before = stored_items(table)
    missing = api.request("POST", f"/jobs/{job_id}/steps", body={"description": "Copy"})
    assert missing.status == 400
    assert missing.fault["reason"] == "Incomplete parameters"
    assert missing.fault["detail"] == "Step [type] required for add"
    unknown = api.add_step(job_id, type="teleporting")
    assert unknown.status == 400
    assert "teleporting" in unknown.fault["detail"]
    assert "executing" in unknown.fault["detail"]
    bad_parent = api.add_step(job_id, parent="not-a-uuid")
    assert bad_parent.status == 400
    assert "parent_step" in bad_parent.fault["detail"]
    assert stored_items(table) == before


def test_unknown_fields_are_ignored(api: Api) -> None:
    """Representations: oVirt clients send more than this API reads."""
    reply = api.add_job("Back up", comment="from the SDK", status="finished", id="forged")
    assert reply.status == 201
    assert reply.data["status"] == "started"
    assert reply.data["id"] != "forged"


def test_a_3x_status_on_add_step_is_ignored(api: Api) -> None:
    """Operations: older plug-ins send status.state on add step; a new step is always started."""
    job_id = api.new_job()
    reply = api.add_step(job_id, status={"state": "finished"})
    assert reply.status == 201
    assert reply.data["status"] == "started"


def test_enum_values_are_accepted_in_any_case_and_emitted_lowercase(api: Api) -> None:
    """Operations: enum values in any letter case."""
    job_id = api.new_job()
    reply = api.add_step(job_id, type="ReBalancing_Volume")
    assert reply.status == 201
    assert reply.data["type"] == "rebalancing_volume"


def test_oVirt_string_values_are_accepted(json_api: Api) -> None:  # noqa: N802
    """Representations: accept both native values and the strings oVirt emitted."""
    reply = json_api.add_job("Back up", auto_cleared="false")
    assert reply.status == 201
    assert reply.data["auto_cleared"] is False


def test_text_is_stored_and_returned_exactly_as_sent(api: Api) -> None:
    """Input limits: emoji and right-to-left text are kept, without normalisation; trimmed only outside."""
    description = "  Sauvegarde 💾 de la VM «db01» — גיבוי  "
    reply = api.add_job(description)
    assert reply.status == 201
    assert api.get_job(reply.data["id"]).data["description"] == description.strip()


def test_descriptions_count_code_points(json_api: Api) -> None:
    """Job.description: 1..4000 characters, counted as code points."""
    assert json_api.add_job("🚀" * 4000).status == 201
    too_long = json_api.add_job("🚀" * 4001)
    assert too_long.status == 400
    assert "4001" in too_long.fault["detail"]


@pytest.mark.parametrize("value", ["0", "1001", "-1", "ten", "2.5", "9" * 5000])
def test_max_outside_1_to_1000_is_400(json_api: Api, value: str) -> None:
    """Input limits: max is an integer from 1 to 1000."""
    reply = json_api.list_jobs(max=value)
    assert reply.status == 400
    assert "max" in reply.fault["detail"]


def test_a_fault_follows_accept_like_everything_else(json_api: Api) -> None:
    """Representations: oVirt clients only recognise an XML fault, so XML is given when asked for."""
    reply = json_api.request(
        "POST", "/jobs", body=b"{}", headers=[("Content-Type", "application/json")], format="xml"
    )
    assert reply.status == 400
    assert reply.header("Content-Type") == "application/xml; charset=utf-8"
    assert reply.body.startswith("<?xml")
    assert "<fault><reason>Incomplete parameters</reason>" in reply.body


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Correlation-Id", "abc\r\nSet-Cookie: stolen=1"),
        ("Correlation-Id", "x" * 10_000),
        ("Host", "evil.example.com\r\nX-Injected: 1"),
        ("Host", "evil.example.com/path?q=1"),
        ("X-Forwarded-Proto", "javascript"),
        ("Accept", "application/xml;q=abc, */*;;;q=\x00"),
        ("Content-Type", 'application/json; charset="utf-8"; boundary=\r\n'),
        ("Idempotency-Key", "key\r\nX-Injected: 1"),
    ],
)
def test_crafted_header_values_never_reach_the_replys_headers(json_api: Api, name: str, value: str) -> None:
    """Input limits: header values crafted to break logs or replies are sanitised or refused, never echoed."""
    reply = json_api.request(
        "POST",
        "/jobs",
        body=b'{"description": "x"}',
        headers=[("Content-Type", "application/json"), (name, value)],
    )
    assert reply.status in (201, 400)
    for header_name, header_value in reply.headers.items():
        assert "\r" not in header_value, header_name
        assert "\n" not in header_value, header_name
        assert ":" not in header_value or header_name in ("Location", "Content-Type"), header_name
    assert {name.lower() for name in reply.headers} <= {"correlation-id", "content-type", "location"}
    assert len(reply.header("Correlation-Id") or "") <= 50
    location = reply.header("Location")
    assert location is None or location.startswith(("https://xtasks.example.com/", "/api/"))
