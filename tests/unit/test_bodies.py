"""Request bodies read as plain data, and everything docs/rules.md's "Input limits" refuse, refused
(http.bodies).

docs/api.md sections pinned: "Representations" (request bodies chosen by Content-Type, XML as oVirt v4 writes
it) and
"Input limits" (nesting, UTF-8, control characters, exact text).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from external_tasks.errors import Invalid, UnsupportedMediaType
from external_tasks.http.bodies import decode

JSON_TYPE = "application/json"
XML_TYPE = "application/xml"
PARENT_ID = "3e4f0000-1111-4222-8333-444455556666"


def json_body(data: Any) -> bytes:
    return json.dumps(data).encode()


def json_nested_in_ignored_field(depth: int, *, containers: str) -> bytes:
    """An add-job body whose deepest container is at ``depth`` (the body's own object is level 1), inside a
    field this API ignores. ``containers``: "arrays" or "objects"."""
    inner = depth - 1
    nested = (
        "[" * inner + "]" * inner
        if containers == "arrays"
        else '{"a":' * (inner - 1) + "{}" + "}" * (inner - 1)
    )
    return f'{{"description":"Back up VM db01","ignored":{nested}}}'.encode()


def xml_nested_in_ignored_field(depth: int) -> bytes:
    """An add-job body whose deepest element is at ``depth`` (``<job>`` is level 1), in an ignored field."""
    inner = depth - 2
    return (
        "<job><description>Back up VM db01</description><ignored>"
        + "<a>" * inner
        + "</a>" * inner
        + "</ignored></job>"
    ).encode()


# JSON bodies (docs/api.md: Representations)


def test_a_json_object_becomes_its_data() -> None:
    # Given an add-step body as an oVirt v4 plug-in sends it
    body = json_body({"description": "Copy disk", "type": "executing", "parent_step": {"id": PARENT_ID}})
    # When it is read
    data = decode(body, JSON_TYPE, "step")
    # Then the data is the object as sent
    assert data == {"description": "Copy disk", "type": "executing", "parent_step": {"id": PARENT_ID}}


@pytest.mark.parametrize("body", [b"[]", b'["description"]', b'"Back up"', b"42", b"true", b"null"])
def test_a_json_body_that_is_not_an_object_is_refused(body: bytes) -> None:
    # Given a well-formed JSON body that is not an object
    # When it is read
    # Then it is invalid input (docs/api.md: Representations, 400 malformed or invalid input)
    with pytest.raises(Invalid, match="object"):
        decode(body, JSON_TYPE, "job")


@pytest.mark.parametrize("body", [b'{"description": ', b"{description: 'x'}", b'{"a": 1,}', b"{"])
def test_malformed_json_is_refused_naming_json(body: bytes) -> None:
    # Given a body that is not JSON at all
    # When it is read
    # Then the client is told it is malformed JSON (docs/api.md: Representations, 400 malformed input)
    with pytest.raises(Invalid, match="malformed JSON"):
        decode(body, JSON_TYPE, "job")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_refused(constant: str) -> None:
    # Given a body using Python's JSON extensions, which are not JSON
    body = f'{{"description": "Back up", "ignored": {constant}}}'.encode()
    # When it is read
    # Then it is refused as malformed (docs/api.md: Representations, 400 malformed input)
    with pytest.raises(Invalid):
        decode(body, JSON_TYPE, "job")


def test_a_json_number_with_thousands_of_digits_is_refused_as_invalid_input() -> None:
    # Given a number longer than Python will convert, in an ignored field
    body = b'{"description": "Back up", "ignored": ' + b"9" * 5000 + b"}"
    # When it is read
    # Then it is a 400, not an unhandled ValueError (docs/api.md: Representations, never a 500 for client
    # input)
    with pytest.raises(Invalid):
        decode(body, JSON_TYPE, "job")


def test_an_empty_body_is_an_empty_object() -> None:
    # Given an end or clear request with no body, or only white space (docs/api.md: Operations, clear with
    # `{}`)
    # When it is read, whatever its content type claims
    # Then it is an empty object
    assert decode(b"", None, "action") == {}
    assert decode(b" \r\n\t", XML_TYPE, "action") == {}


# Nesting (docs/api.md: Limits, "Nesting deeper than 32 levels ... anywhere in the body ...: 400")


@pytest.mark.parametrize("containers", ["arrays", "objects"])
def test_json_nested_32_levels_inside_an_ignored_field_is_accepted(containers: str) -> None:
    # Given a JSON body nested exactly 32 levels deep, counting the body's own object
    body = json_nested_in_ignored_field(32, containers=containers)
    # When it is read
    data = decode(body, JSON_TYPE, "job")
    # Then it is accepted
    assert data["description"] == "Back up VM db01"


@pytest.mark.parametrize("containers", ["arrays", "objects"])
def test_json_nested_33_levels_inside_an_ignored_field_is_refused(containers: str) -> None:
    # Given a JSON body nested 33 levels deep, the excess in a field the API does not read
    body = json_nested_in_ignored_field(33, containers=containers)
    # When it is read
    # Then it is refused even so
    with pytest.raises(Invalid, match="32"):
        decode(body, JSON_TYPE, "job")


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 60_000,
        b"[" * 60_000 + b"]" * 60_000,
        b'{"a":' * 60_000,
        b'{"description": "x", "a": ' + b"[" * 60_000,
    ],
    ids=["unclosed-arrays", "closed-arrays", "unclosed-objects", "inside-a-field"],
)
def test_extremely_deep_json_is_refused_as_invalid_input_not_a_crash(body: bytes) -> None:
    # Given JSON nested far beyond Python's recursion limit
    # When it is read
    # Then it is a 400 for nesting, not a RecursionError (which would be a 500)
    with pytest.raises(Invalid):
        decode(body, None, "job")


def test_xml_nested_32_levels_inside_an_ignored_field_is_accepted() -> None:
    # Given an XML body whose elements nest exactly 32 levels, <job> included
    body = xml_nested_in_ignored_field(32)
    # When it is read
    data = decode(body, XML_TYPE, "job")
    # Then it is accepted
    assert data["description"] == "Back up VM db01"


def test_xml_nested_33_levels_inside_an_ignored_field_is_refused() -> None:
    # Given an XML body whose elements nest 33 levels, the excess in an ignored element
    body = xml_nested_in_ignored_field(33)
    # When it is read
    # Then it is refused
    with pytest.raises(Invalid, match="32"):
        decode(body, XML_TYPE, "job")


def test_extremely_deep_xml_is_refused_as_invalid_input() -> None:
    # Given XML elements nested 60,000 deep
    body = b"<job>" + b"<a>" * 60_000 + b"</a>" * 60_000 + b"</job>"
    # When it is read
    # Then it is refused with a 400
    with pytest.raises(Invalid):
        decode(body, XML_TYPE, "job")


# XML bodies: hostile documents (docs/api.md: Representations, Input limits; 400 for malformed or invalid
# input)


def test_xml_with_a_doctype_is_refused() -> None:
    # Given an XML body that declares a document type
    body = b'<?xml version="1.0"?><!DOCTYPE job [<!ELEMENT job ANY>]><job><description>x</description></job>'
    # When it is read
    # Then it is refused
    with pytest.raises(Invalid):
        decode(body, XML_TYPE, "job")


def test_an_internal_entity_is_refused_never_expanded() -> None:
    # Given a body whose description is an internal entity
    body = b'<!DOCTYPE job [<!ENTITY name "EXPANDED">]><job><description>&name;</description></job>'
    # When it is read
    # Then it is refused: no data with the entity's text ever comes out
    with pytest.raises(Invalid) as refused:
        decode(body, XML_TYPE, "job")
    assert "EXPANDED" not in refused.value.detail


def test_billion_laughs_is_refused_without_expansion() -> None:
    # Given the "billion laughs" document: nested entities that expand to gigabytes
    entities = '<!ENTITY lol0 "lol">'
    for n in range(1, 10):
        references = f"&lol{n - 1};" * 10
        entities += f'<!ENTITY lol{n} "{references}">'
    body = f"<?xml version='1.0'?><!DOCTYPE job [{entities}]><job><description>&lol9;</description></job>"
    # When it is read
    # Then it is refused (and the test finishes, so nothing was expanded)
    with pytest.raises(Invalid):
        decode(body.encode(), XML_TYPE, "job")


def test_an_external_entity_is_refused_and_the_file_never_read() -> None:
    # Given an XXE attempt on /etc/passwd
    body = (
        b'<?xml version="1.0"?><!DOCTYPE job [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        b"<job><description>&secret;</description></job>"
    )
    # When it is read
    # Then it is refused, and nothing of the file appears in the error
    with pytest.raises(Invalid) as refused:
        decode(body, XML_TYPE, "job")
    assert "root:" not in refused.value.detail


def test_an_undefined_entity_is_refused() -> None:
    # Given an entity reference with no declaration
    body = b"<job><description>&nbsp;</description></job>"
    # When it is read
    # Then it is malformed XML
    with pytest.raises(Invalid):
        decode(body, XML_TYPE, "job")


@pytest.mark.parametrize("body", [b"<job><description>x</job>", b"<job", b"just text"])
def test_malformed_xml_is_refused(body: bytes) -> None:
    # Given a body that claims to be XML but is not well formed
    # When it is read
    # Then it is invalid input
    with pytest.raises(Invalid):
        decode(body, XML_TYPE, "job")


def test_the_wrong_xml_root_element_is_refused_naming_the_expected_one() -> None:
    # Given a <step> sent where a <job> is expected
    body = b"<step><description>Copy disk</description><type>executing</type></step>"
    # When it is read as a job
    # Then it is refused, telling the client which element was expected
    with pytest.raises(Invalid, match="<job>"):
        decode(body, XML_TYPE, "job")


# XML bodies: how elements become data (docs/api.md: Representations, "XML as oVirt v4 writes it")


def test_xml_children_become_fields_and_attributes_become_members() -> None:
    # Given an oVirt add-step body (oVirt v4 (7.5))
    body = (
        b"<step><description>Copy disk</description><type>executing</type>"
        + f'<parent_step id="{PARENT_ID}"/></step>'.encode()
    )
    # When it is read
    data = decode(body, XML_TYPE, "step")
    # Then it has the same shape as the JSON body
    assert data == {"description": "Copy disk", "type": "executing", "parent_step": {"id": PARENT_ID}}


def test_an_xml_reference_may_carry_its_id_as_a_child_element() -> None:
    # Given <parent_step><id>…</id></parent_step>, as some clients write references
    body = f"<step><parent_step><id>{PARENT_ID}</id></parent_step></step>".encode()
    # When it is read
    # Then it is the same data as the attribute form
    assert decode(body, XML_TYPE, "step") == {"parent_step": {"id": PARENT_ID}}


def test_an_ovirt_3_status_state_is_read_as_a_nested_object() -> None:
    # Given a 2013-style end action (docs/api.md: Operations, 3.x shapes)
    body = b"<action><status><state>failed</state></status></action>"
    # When it is read
    # Then the state sits inside the status object
    assert decode(body, XML_TYPE, "action") == {"status": {"state": "failed"}}


def test_repeated_xml_children_become_a_list_in_order() -> None:
    # Given an ignored field repeated three times
    body = b"<job><description>x</description><tag>a</tag><tag>b</tag><tag>c</tag></job>"
    # When it is read
    data = decode(body, XML_TYPE, "job")
    # Then all three are kept, in document order
    assert data == {"description": "x", "tag": ["a", "b", "c"]}


def test_xml_namespaces_are_stripped_from_elements_and_attributes() -> None:
    # Given a body whose root, children and attributes are namespaced
    body = (
        b'<o:step xmlns:o="http://www.ovirt.org/api" xmlns="urn:default"><o:description>Copy</o:description>'
        + f'<type>executing</type><parent_step o:id="{PARENT_ID}"/></o:step>'.encode()
    )
    # When it is read
    data = decode(body, XML_TYPE, "step")
    # Then names are the local names
    assert data == {"description": "Copy", "type": "executing", "parent_step": {"id": PARENT_ID}}


def test_an_empty_xml_action_is_an_empty_object() -> None:
    # Given `<action/>`, how oVirt clients clear a job (oVirt v4 (7.5))
    # When it is read
    # Then it is an empty object
    assert decode(b'<?xml version="1.0" encoding="UTF-8"?>\n<action/>', XML_TYPE, "action") == {}


# Text (docs/api.md: Limits, "Text must be valid UTF-8 ... Control characters ... refused with 400")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"description": "caf\xe9"}', JSON_TYPE),
        (b"<job><description>caf\xe9</description></job>", XML_TYPE),
        (b'{"description": "\xed\xa0\x80"}', JSON_TYPE),  # an encoded surrogate, U+D800
        (b'{"description": "\xc0\xaf"}', JSON_TYPE),  # an overlong encoding of "/"
    ],
    ids=["json-latin-1", "xml-latin-1", "encoded-surrogate", "overlong"],
)
def test_invalid_utf8_is_refused(body: bytes, content_type: str) -> None:
    # Given a body that is not valid UTF-8
    # When it is read
    # Then it is refused with a 400
    with pytest.raises(Invalid, match="UTF-8"):
        decode(body, content_type, "job")


# Encodings (docs/api.md: Limits, "Text must be valid UTF-8"): bodies are UTF-8, whatever they declare


OTHER_ENCODINGS = ["foo", "UTF-16", "utf-32", "base64", "rot13", "zlib", "ISO-8859-1", "latin-1", "US-ASCII",
                   "utf_8", "u8", "cp65001", "utf-8-sig", ""]  # fmt: skip


@pytest.mark.parametrize("encoding", OTHER_ENCODINGS)
@pytest.mark.parametrize("quote", ['"', "'"], ids=["double-quoted", "single-quoted"])
def test_an_xml_declaration_naming_another_encoding_is_refused_by_name(encoding: str, quote: str) -> None:
    # Given a UTF-8 body whose XML declaration names an encoding other than UTF-8: unknown, multi-byte,
    # not a text codec, single-byte, or one of Python's other aliases of UTF-8 that XML readers do not know
    declaration = f"<?xml version={quote}1.0{quote} encoding={quote}{encoding}{quote}?>"
    body = f"{declaration}<job><description>café</description></job>".encode()
    # When it is read
    # Then it is refused before parsing, naming the encoding declared
    with pytest.raises(Invalid, match="XML declaration names the encoding") as refused:
        decode(body, XML_TYPE, "job")
    assert repr(encoding) in refused.value.detail
    assert "UTF-8" in refused.value.detail


def test_an_xml_declaration_naming_another_encoding_is_refused_after_a_byte_order_mark() -> None:
    # Given a UTF-8 byte order mark, then a declaration of ISO-8859-1, and no Content-Type
    body = b'\xef\xbb\xbf<?xml version="1.0" encoding="ISO-8859-1"?><job><description>x</description></job>'
    # When it is read
    # Then it is refused all the same
    with pytest.raises(Invalid, match="ISO-8859-1"):
        decode(body, None, "job")


@pytest.mark.parametrize("encoding", ["UTF-8", "utf-8", "Utf-8", "utf8", "UTF8"])
def test_an_xml_declaration_of_utf8_in_any_case_reads_the_text_as_utf8(encoding: str) -> None:
    # Given a body with non-ASCII text, declared UTF-8 in any case or as utf8 (as Content-Type's charset may)
    declaration = f'<?xml version="1.0" encoding="{encoding}" standalone="yes"?>'
    body = f"{declaration}<job><description>café 💾</description></job>"
    # When it is read
    data = decode(body.encode(), XML_TYPE, "job")
    # Then the text is exactly as sent (expat alone would misread "utf8" as a one-byte encoding)
    assert data == {"description": "café 💾"}


def test_an_encoding_named_outside_the_declaration_is_only_text() -> None:
    # Given "encoding=" in the text of an element, not in an XML declaration
    body = b'<job><description>encoding="latin-1"</description></job>'
    # When it is read
    # Then it is the description
    assert decode(body, XML_TYPE, "job") == {"description": 'encoding="latin-1"'}


@pytest.mark.parametrize("content_type", [XML_TYPE, JSON_TYPE, None], ids=["xml", "json", "sniffed"])
def test_a_utf8_byte_order_mark_is_ignored(content_type: str | None) -> None:
    # Given a UTF-8 body starting with a byte order mark, which JSON (RFC 8259) and XML let a reader ignore
    text = "<job><description>x</description></job>" if content_type != JSON_TYPE else '{"description": "x"}'
    body = b"\xef\xbb\xbf" + text.encode()
    # When it is read, with or without Content-Type
    # Then it is the body without the mark
    assert decode(body, content_type, "job") == {"description": "x"}


@pytest.mark.parametrize(
    ("codec", "named"),
    [("utf-16", "UTF-16"), ("utf-16-be", "UTF-16"), ("utf-32", "UTF-32"), ("utf-32-be", "UTF-32"),
     ("utf-16-le", "UTF-16 or UTF-32"), ("utf-32-le", "UTF-16 or UTF-32")],
)  # fmt: skip
@pytest.mark.parametrize("content_type", [JSON_TYPE, XML_TYPE, None], ids=["json", "xml", "sniffed"])
def test_a_utf16_or_utf32_body_is_refused_by_name(codec: str, named: str, content_type: str | None) -> None:
    # Given a body in UTF-16 or UTF-32, with a byte order mark (utf-16, utf-32) or without one
    mark = {"utf-16-be": "\ufeff", "utf-32-be": "\ufeff"}.get(codec, "")
    text = '{"description": "x"}' if content_type == JSON_TYPE else "<job><description>x</description></job>"
    body = (mark + text).encode(codec)
    # When it is read
    # Then it is refused, naming the encoding and asking for UTF-8
    with pytest.raises(Invalid, match=f"{named}.*send UTF-8"):
        decode(body, content_type, "job")


FORBIDDEN_CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9f"]


@pytest.mark.parametrize("control", FORBIDDEN_CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_a_control_character_escaped_in_a_json_description_is_refused(control: str) -> None:
    # Given a description carrying a control character as a \u escape
    body = b'{"description": "Back up' + f"\\u{ord(control):04x}".encode() + b'"}'
    # When it is read
    # Then it is refused, naming the character
    with pytest.raises(Invalid, match=f"U\\+{ord(control):04X}"):
        decode(body, JSON_TYPE, "job")


@pytest.mark.parametrize("control", ["\x7f", "\x85", "\x9f"], ids=lambda c: f"U+{ord(c):04X}")
def test_a_raw_c1_control_in_json_is_refused(control: str) -> None:
    # Given a DEL or C1 control sent as its UTF-8 bytes, which JSON itself allows inside strings
    body = f'{{"description": "Back{control}up"}}'.encode()
    # When it is read
    # Then it is refused
    with pytest.raises(Invalid):
        decode(body, JSON_TYPE, "job")


@pytest.mark.parametrize(
    "body",
    [b'{"description": "x", "ignored": {"note": "\\u0085"}}', b'{"description": "x", "\\u0001": 1}'],
    ids=["ignored-value", "member-name"],
)
def test_a_control_character_anywhere_in_a_json_body_is_refused(body: bytes) -> None:
    # Given a control character in an ignored field or in a member name
    # When it is read
    # Then it is refused all the same
    with pytest.raises(Invalid):
        decode(body, JSON_TYPE, "job")


def test_tab_cr_and_lf_are_kept_in_json() -> None:
    # Given a description with the three allowed control characters
    body = json_body({"description": "one\ttwo\r\nthree\n"})
    # When it is read
    # Then they are kept exactly
    assert decode(body, JSON_TYPE, "job") == {"description": "one\ttwo\r\nthree\n"}


@pytest.mark.parametrize(
    "description",
    ["Back\u0085up", "Back&#x85;up", "Back\x7fup", "Back&#x9F;up", "Back\x80up"],
    ids=["raw-NEL", "NEL-reference", "raw-DEL", "APC-reference", "raw-PAD"],
)
def test_a_c1_control_in_xml_is_refused_although_xml_allows_it(description: str) -> None:
    # Given an XML description with a DEL or C1 control, which XML 1.0 itself accepts
    body = f"<job><description>{description}</description></job>".encode()
    # When it is read
    # Then it is refused
    with pytest.raises(Invalid):
        decode(body, XML_TYPE, "job")


def test_a_c1_control_in_an_xml_attribute_is_refused() -> None:
    # Given a C1 control in an attribute value
    body = '<step><parent_step id="x\u0085"/></step>'.encode()
    # When it is read
    # Then it is refused
    with pytest.raises(Invalid):
        decode(body, XML_TYPE, "step")


def test_a_c1_control_between_xml_elements_is_refused() -> None:
    # Given a C1 control in text between two elements, which the reader otherwise discards
    body = "<job><description>Back up</description>\u0085<auto_cleared>true</auto_cleared></job>".encode()
    # When it is read
    # Then it is refused: the body contains a control character (docs/api.md: Limits)
    with pytest.raises(Invalid):
        decode(body, XML_TYPE, "job")


@pytest.mark.parametrize("reference", ["&#x1;", "&#0;", "&#x1F;"])
def test_a_c0_control_in_xml_is_refused(reference: str) -> None:
    # Given a C0 control written as a character reference
    body = f"<job><description>a{reference}b</description></job>".encode()
    # When it is read
    # Then it is refused
    with pytest.raises(Invalid):
        decode(body, XML_TYPE, "job")


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\ude00\\ud83d"], ids=["high", "low", "reversed"])
def test_a_lone_surrogate_escape_in_json_is_refused(escape: str) -> None:
    # Given a \u escape of a surrogate that does not pair into a character
    body = f'{{"description": "a{escape}b"}}'.encode()
    # When it is read
    # Then it is refused (docs/api.md: Limits, "no encoded surrogates")
    with pytest.raises(Invalid):
        decode(body, JSON_TYPE, "job")


def test_a_surrogate_pair_escape_in_json_is_the_character_it_encodes() -> None:
    # Given an emoji sent as a \u surrogate pair
    body = b'{"description": "\\ud83d\\ude00"}'
    # When it is read
    # Then it is the emoji
    assert decode(body, JSON_TYPE, "job") == {"description": "\U0001f600"}


EXACT_TEXTS = [
    "Back up \U0001f4be db01 \U0001f468\u200d\U0001f469\u200d\U0001f467",  # emoji, a ZWJ sequence
    "\u05d2\u05d9\u05d1\u05d5\u05d9 \u05de\u05db\u05d5\u05e0\u05d4 db01",  # Hebrew, right to left
    "\u202bembedded\u202c \u0646\u0633\u062e \u0627\u062d\u062a\u064a\u0627\u0637\u064a",  # RLE, Arabic
    "cafe\u0301 and caf\u00e9",  # decomposed and composed: no normalisation
]


@pytest.mark.parametrize("text", EXACT_TEXTS)
def test_emoji_and_right_to_left_text_are_kept_exactly_in_json(text: str) -> None:
    # Given a description in any script (docs/api.md: Limits, "exactly as sent, without normalisation")
    body = json.dumps({"description": text}, ensure_ascii=False).encode()
    # When it is read
    # Then every code point is kept
    assert decode(body, JSON_TYPE, "job")["description"] == text


@pytest.mark.parametrize("text", EXACT_TEXTS)
def test_emoji_and_right_to_left_text_are_kept_exactly_in_xml(text: str) -> None:
    # Given the same descriptions in XML
    body = f"<job><description>{text}</description></job>".encode()
    # When it is read
    # Then every code point is kept
    assert decode(body, XML_TYPE, "job")["description"] == text


# Content types (docs/api.md: Representations, "request bodies by Content-Type"; 415 unsupported content type)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "APPLICATION/JSON",
        "application/vnd.ovirt+json",
        "application/json; charset=utf-8",
        'application/json;charset="UTF-8"',
        "application/json; charset=utf8",
    ],
)
def test_json_content_types_are_read_as_json(content_type: str) -> None:
    # Given a JSON body labelled as JSON in any of its spellings
    # When it is read
    # Then it is read as JSON
    assert decode(b'{"description": "x"}', content_type, "job") == {"description": "x"}


@pytest.mark.parametrize(
    "content_type",
    ["application/xml", "text/xml", "application/vnd.ovirt+xml", "application/xml; charset=UTF-8"],
)
def test_xml_content_types_are_read_as_xml(content_type: str) -> None:
    # Given an XML body labelled as XML in any of its spellings
    # When it is read
    # Then it is read as XML
    assert decode(b"<job><description>x</description></job>", content_type, "job") == {"description": "x"}


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=latin-1", "application/xml; charset=ISO-8859-1", "text/xml; charset=utf-16"],
)
def test_a_charset_other_than_utf8_is_an_unsupported_media_type(content_type: str) -> None:
    # Given a body declared in another character set
    # When it is read
    # Then the answer is 415, not a misread body
    with pytest.raises(UnsupportedMediaType):
        decode(b'{"description": "x"}', content_type, "job")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_a_content_type_neither_json_nor_xml_is_an_unsupported_media_type(content_type: str) -> None:
    # Given a non-empty body of another media type
    # When it is read
    # Then the answer is 415
    with pytest.raises(UnsupportedMediaType):
        decode(b"description=x", content_type, "job")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<job><description>x</description></job>", {"description": "x"}),
        (b"\n  <job><description>x</description></job>", {"description": "x"}),
        (b'{"description": "x"}', {"description": "x"}),
        (b'  \n{"description": "x"}', {"description": "x"}),
    ],
    ids=["xml", "xml-after-white-space", "json", "json-after-white-space"],
)
def test_without_a_content_type_the_body_tells_xml_from_json(body: bytes, expected: dict[str, Any]) -> None:
    # Given a body with no Content-Type, as curl users send
    # When it is read
    # Then a body starting with "<" is XML, anything else JSON
    assert decode(body, None, "job") == expected
    assert decode(body, "  ", "job") == expected
