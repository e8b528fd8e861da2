"""One neutral tree per reply, written out as oVirt v4 writes XML or JSON (docs/api.md: Representations).

Views build the tree once; the two writers differ only where oVirt's formats do: XML puts ``id``/``href`` in
attributes, writes times as ISO-8601 and holds nothing but items in collections; JSON writes times as epoch
milliseconds, collections as ``{"<item>": [...]}`` and native booleans and integers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Link:
    rel: str
    href: str


@dataclass(frozen=True, slots=True)
class Ref:
    """A link to another resource: ``<job href id/>`` / ``{"href", "id"}``."""

    id: str
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Timestamp:
    ms: int


@dataclass(frozen=True, slots=True)
class Entity:
    fields: tuple[tuple[str, Value], ...]
    id: str | None = None
    href: str | None = None
    links: tuple[Link, ...] = ()
    actions: tuple[Link, ...] = ()


@dataclass(frozen=True, slots=True)
class Collection:
    item_tag: str  # "job": XML <job> elements, JSON {"job": [...]}
    items: tuple[Value, ...]
    links: tuple[Link, ...] = ()  # JSON only: XML collections hold nothing but their items


type Value = str | int | float | bool | Timestamp | Ref | Entity | Collection


@dataclass(frozen=True, slots=True)
class Document:
    tag: str  # the XML root element
    root: Entity | Collection


# JSON


def to_json(document: Document) -> str:
    return json.dumps(_json_value(document.root), ensure_ascii=False, separators=(",", ":"))


def _json_links(links: tuple[Link, ...]) -> list[dict[str, str]]:
    return [{"href": link.href, "rel": link.rel} for link in links]


def _json_value(value: Value) -> Any:
    match value:
        case Entity():
            data: dict[str, Any] = {}
            if value.actions:
                data["actions"] = {"link": _json_links(value.actions)}
            for name, field in value.fields:
                data[name] = _json_value(field)
            if value.href is not None:
                data["href"] = value.href
            if value.id is not None:
                data["id"] = value.id
            if value.links:
                data["link"] = _json_links(value.links)
            return data
        case Collection():
            data = {value.item_tag: [_json_value(item) for item in value.items]}
            if value.links:
                data["link"] = _json_links(value.links)
            return data
        case Ref():
            return {"href": value.href, "id": value.id} if value.href is not None else {"id": value.id}
        case Timestamp():
            return value.ms
        case _:
            return value


# XML


def to_xml(document: Document) -> str:
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n']
    _write_xml(parts, document.tag, document.root)
    return "".join(parts)


# Characters no XML document may contain. Stored text never holds them (they are refused on input); a fault
# quoting a client's query parameter might, and must still parse.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escape(text: str) -> str:
    """Character data; a CR is written as a reference, or XML parsers would turn it into a LF."""
    return (
        _NOT_XML.sub("\ufffd", text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\r", "&#13;")
    )


def _escape_attribute(text: str) -> str:
    """An attribute value; parsers normalise literal line breaks and tabs in attributes to spaces."""
    return _escape(text).replace("\n", "&#10;").replace("\t", "&#9;")


def iso_time(ms: int) -> str:
    """``2024-03-01T10:05:00.123+00:00``: ISO-8601 with milliseconds and offset, as oVirt writes it."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


def _attributes(href: str | None, ident: str | None) -> str:
    text = ""
    if href is not None:
        text += f' href="{_escape_attribute(href)}"'
    if ident is not None:
        text += f' id="{_escape_attribute(ident)}"'
    return text


def _write_links(parts: list[str], links: tuple[Link, ...]) -> None:
    for link in links:
        parts.append(f'<link href="{_escape_attribute(link.href)}" rel="{_escape_attribute(link.rel)}"/>')


def _write_xml(parts: list[str], tag: str, value: Value) -> None:
    match value:
        case Entity():
            parts.append(f"<{tag}{_attributes(value.href, value.id)}>")
            if value.actions:
                parts.append("<actions>")
                _write_links(parts, value.actions)
                parts.append("</actions>")
            for name, field in value.fields:
                _write_xml(parts, name, field)
            _write_links(parts, value.links)
            parts.append(f"</{tag}>")
        case Collection():
            if not value.items:
                parts.append(f"<{tag}/>")
                return
            parts.append(f"<{tag}>")
            for item in value.items:
                _write_xml(parts, value.item_tag, item)
            parts.append(f"</{tag}>")
        case Ref():
            parts.append(f"<{tag}{_attributes(value.href, value.id)}/>")
        case Timestamp():
            parts.append(f"<{tag}>{iso_time(value.ms)}</{tag}>")
        case bool():
            parts.append(f"<{tag}>{'true' if value else 'false'}</{tag}>")
        case int() | float():
            parts.append(f"<{tag}>{value}</{tag}>")
        case str():
            parts.append(f"<{tag}>{_escape(value)}</{tag}>")
