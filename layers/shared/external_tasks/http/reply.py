"""What a handler returns: a status, a document to render in the negotiated format, extra headers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from external_tasks.http.representation import Document


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    document: Document | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def ok(cls, document: Document) -> Reply:
        return cls(200, document)

    @classmethod
    def created(cls, document: Document, location: str) -> Reply:
        return cls(201, document, {"Location": location})
