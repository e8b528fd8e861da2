"""Request bodies as plain data: a JSON object, or an XML document turned into the same shape.

``<step><description>x</description><parent_step id="p"/></step>`` becomes
``{"description": "x", "parent_step": {"id": "p"}}``, so one pydantic model validates both formats.
Everything SPEC.md's input limits refuse is refused here, before any model sees the data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from external_tasks import limits
from external_tasks.errors import Invalid, UnsupportedMediaType

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

JSON, XML = "json", "xml"
# Control characters (SPEC: Input limits), surrogates, and U+FFFE/U+FFFF, which no XML document can carry.
_FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def media_type(content_type: str | None, body: bytes) -> str:
    """JSON or XML from ``Content-Type``; without one, from the body's first character."""
    if not content_type or not content_type.strip():
        return XML if body.lstrip().startswith(b"<") else JSON
    mime, _, parameters = content_type.partition(";")
    mime = mime.strip().lower()
    charset = re.search(r"charset\s*=\s*\"?([^\";\s]+)", parameters, re.IGNORECASE)
    if charset and charset[1].lower() not in ("utf-8", "utf8"):
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
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Invalid(f"body is not valid UTF-8 (byte {error.start})") from None
    _check_characters(text)
    data = _from_json(text) if kind == JSON else _from_xml(body, root)
    for string in _strings(data):  # characters that came in as escapes or character references
        _check_characters(string)
    return data


def _check_characters(text: str) -> None:
    bad = _FORBIDDEN_CHARACTERS.search(text)
    if bad is not None:
        raise Invalid(f"body contains the character U+{ord(bad[0]):04X}, which is not allowed")


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _from_json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text.removeprefix("\ufeff"), parse_constant=_refuse_constant)
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


def _from_xml(body: bytes, root: str) -> dict[str, Any]:
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        element = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
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
