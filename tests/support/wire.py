"""Both wire formats read into one shape (the JSON one), so that a test asserts once for JSON and XML.

XML is parsed with the standard library's parser, as oVirt's own SDK does; times become epoch milliseconds,
booleans and numbers native values. Tests that pin a format's exact spelling look at the raw body instead.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

BOOLEANS = {"auto_cleared", "external", "succeeded", "force", "auto_cleared_default"}
INTEGERS = {"number", "progress", "timeout"}
TIMES = {"start_time", "end_time", "last_updated", "deadline"}
COLLECTIONS = {"jobs": "job", "steps": "step"}


def xml_body(root: str, data: dict[str, Any]) -> bytes:
    """A request body in XML: ``{"parent_step": {"id": x}}`` becomes ``<parent_step id="x"/>``."""
    element = ElementTree.Element(root)
    _fill(element, data)
    body: bytes = ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)
    return body


def _fill(element: ElementTree.Element, data: dict[str, Any]) -> None:
    for name, value in data.items():
        child = ElementTree.SubElement(element, name)
        if isinstance(value, dict):
            if set(value) == {"id"}:
                child.set("id", value["id"])
            else:
                _fill(child, value)
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        else:
            child.text = str(value)


def parse(body: str, xml: bool) -> Any:
    if not body:
        return None
    if not xml:
        return json.loads(body)
    return _element(ElementTree.fromstring(body.encode()))


def _scalar(name: str, text: str) -> Any:
    if name in BOOLEANS:
        assert text in ("true", "false"), f"{name}: {text!r} is not an XML boolean"
        return text == "true"
    if name in INTEGERS:
        return int(text)
    if name in TIMES:
        return int(datetime.fromisoformat(text).timestamp() * 1000 + 0.5)
    return text


def _element(element: ElementTree.Element) -> Any:
    tag = element.tag
    children = list(element)
    if tag in COLLECTIONS and all(child.tag == COLLECTIONS[tag] for child in children):
        return {COLLECTIONS[tag]: [_element(child) for child in children]}
    if not children and not element.attrib:
        return _scalar(tag, element.text or "")
    data: dict[str, Any] = dict(element.attrib)
    links: list[dict[str, str]] = []
    for child in children:
        if child.tag == "link":
            links.append(dict(child.attrib))
        elif child.tag == "actions":
            data["actions"] = {"link": [dict(link.attrib) for link in child]}
        else:
            data[child.tag] = _element(child)
    if links:
        data["link"] = links
    return data
