"""Request bodies as plain data: a JSON object, or an XML document turned into the same shape.

``<step><description>x</description><parent_step id="p"/></step>`` becomes
``{"description": "x", "parent_step": {"id": "p"}}``, so one pydantic model validates both formats.
Everything docs/api.md's limits refuse is refused here, before any model sees the data.

Bodies are UTF-8 (docs/api.md: Limits). A UTF-8 byte order mark is ignored, as JSON (RFC 8259) and XML allow;
a UTF-16 or UTF-32 body is refused. An XML declaration may name the encoding ``UTF-8``, or ``utf8`` as
Content-Type's charset may, in any letter case; any other name (Python's other aliases of UTF-8 included,
which other XML readers do not know) is refused before parsing, and the parser reads the decoded text, so a
declaration can never make it read the bytes another way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from external_tasks import limits, patterns
from external_tasks.errors import Invalid, UnsupportedMediaType, shown

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

JSON, XML = "json", "xml"
# Control characters (docs/api.md: Limits), surrogates, and U+FFFE/U+FFFF, which no XML document can carry.
_FORBIDDEN_CHARACTERS = re.compile(patterns.FORBIDDEN)
# The names of UTF-8 accepted in a Content-Type charset or an XML declaration, in any letter case.
_UTF8_NAMES = ("utf-8", "utf8")
_BYTE_ORDER_MARK = "\ufeff"
# The encoding an XML declaration names: ``<?xml version="1.0" encoding="…"?>`` at the start of the body.
_XML_DECLARED_ENCODING = re.compile(
    r"\A\ufeff?\s*<\?xml\s[^>]*?\bencoding\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.IGNORECASE
)
# Byte order marks and NUL patterns of the encodings a client might send instead of UTF-8 (RFC 8259 §8.1's
# detection); the UTF-32 marks first, as UTF-32LE's begins with UTF-16LE's.
_OTHER_UNICODE_ENCODINGS = (
    ("UTF-32", (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")),
    ("UTF-16", (b"\xfe\xff", b"\xff\xfe")),
)


def media_type(content_type: str | None, body: bytes) -> str:
    """JSON or XML from ``Content-Type``; without one, from the body's first character."""
    if not content_type or not content_type.strip():
        return XML if body.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<") else JSON
    mime, _, parameters = content_type.partition(";")
    mime = mime.strip().lower()
    charset = re.search(r"charset\s*=\s*\"?([^\";\s]+)", parameters, re.IGNORECASE)
    if charset and charset[1].lower() not in _UTF8_NAMES:
        raise UnsupportedMediaType(f"charset {charset[1]} is not supported: send UTF-8")
    if mime in ("application/json", "text/json") or (
        mime.startswith("application/") and mime.endswith("+json")
    ):
        return JSON
    if mime in ("application/xml", "text/xml") or (mime.startswith("application/") and mime.endswith("+xml")):
        return XML
    raise UnsupportedMediaType(
        f"Content-Type {mime} is not supported: send application/json or application/xml"
    )


def decode(body: bytes, content_type: str | None, root: str) -> dict[str, Any]:
    """The body's data; an empty body is an empty object. ``root`` is the XML element expected."""
    if not body.strip():
        return {}
    kind = media_type(content_type, body)
    text = _utf8_text(body)
    _check_characters(text)
    if kind == XML:
        _check_xml_declaration(text)
    data = _from_json(text) if kind == JSON else _from_xml(text, root)
    for string in _strings(data):  # characters that came in as escapes or character references
        _check_characters(string)
    return data


def _utf8_text(body: bytes) -> str:
    """The body as text; a UTF-16 or UTF-32 body (told by its byte order mark, or the NUL bytes its first
    ASCII characters carry) is refused by name, any other that is not UTF-8 by the first byte that is not."""
    for encoding, marks in _OTHER_UNICODE_ENCODINGS:
        if body.startswith(marks):
            raise Invalid(f"body is {encoding} (it starts with a {encoding} byte order mark): send UTF-8")
    if b"\x00" in body[:4]:
        raise Invalid(
            "body is not UTF-8 (it looks like UTF-16 or UTF-32, NUL bytes among its first four): send UTF-8"
        )
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Invalid(f"body is not valid UTF-8 (byte {error.start})") from None


def _check_xml_declaration(text: str) -> None:
    """An XML declaration naming any encoding but UTF-8 is refused: the body would be read otherwise."""
    declared = _XML_DECLARED_ENCODING.match(text)
    if declared is None:
        return
    name = declared[1] if declared[1] is not None else declared[2]
    if name.lower() not in _UTF8_NAMES:
        raise Invalid(
            f"the XML declaration names the encoding {shown(name)}: bodies are UTF-8, so declare "
            'encoding="UTF-8" or no encoding'
        )


def _check_characters(text: str) -> None:
    bad = _FORBIDDEN_CHARACTERS.search(text)
    if bad is not None:
        raise Invalid(f"body contains the character U+{ord(bad[0]):04X}, which is not allowed")


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _from_json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text.removeprefix(_BYTE_ORDER_MARK), parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep() from None
    except ValueError as error:  # JSONDecodeError, and ints over Python's digit limit
        raise Invalid(f"malformed JSON: {error}") from None
    if not isinstance(data, dict):
        raise Invalid("the JSON body must be an object")
    if _json_depth(data) > limits.MAX_NESTING_DEPTH:
        raise _too_deep()
    return data


def _too_deep() -> Invalid:
    return Invalid(f"body nests deeper than {limits.MAX_NESTING_DEPTH} levels")


def _json_depth(data: Any) -> int:
    deepest, pending = 0, [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)
    return deepest


def _strings(data: Any) -> Iterator[str]:
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from value.keys()
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)


def _from_xml(text: str, root: str) -> dict[str, Any]:
    """Parsed from the decoded text, which expat reads as UTF-8 whatever a declaration says."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        element = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise Invalid(f"XML with a DTD, entities or external references is not accepted ({error})") from None
    except ParseError as error:
        raise Invalid(f"malformed XML: {error}") from None
    if _xml_depth(element) > limits.MAX_NESTING_DEPTH:
        raise _too_deep()
    tag = _local_name(element.tag)
    if tag != root:
        raise Invalid(f"expected a <{root}> element, not <{tag}>")
    data = _element_data(element)
    return data if isinstance(data, dict) else {}


def _xml_depth(element: Element) -> int:
    deepest, pending = 0, [(element, 1)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth)
        if depth > limits.MAX_NESTING_DEPTH:
            break
        pending.extend((child, depth + 1) for child in node)
    return deepest


def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def _element_data(element: Element) -> Any:
    """An element with children or attributes (and no text) becomes an object, any other its text."""
    children = list(element)
    text = element.text or ""
    if not children and (not element.attrib or text.strip()):
        return text
    data: dict[str, Any] = {_local_name(name): value for name, value in element.attrib.items()}
    for child in children:
        name, value = _local_name(child.tag), _element_data(child)
        if name in data:
            previous = data[name]
            data[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            data[name] = value
    return data
