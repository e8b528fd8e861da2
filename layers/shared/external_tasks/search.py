"""The ``search`` query of job listings: oVirt's ``correlation_id=X``, plus ``status=`` and ``owner=``,
combined with ``and`` (SPEC: Listing)."""

from __future__ import annotations

import re

from external_tasks.errors import Invalid
from external_tasks.model import JobQuery, Status
from external_tasks.rules import owner_of

SEARCH_TERMS = ("correlation_id", "status", "owner")
# oVirt's SDK encodes spaces in the query as "+", which API Gateway passes on as it is: "+" separates too.
_AND = re.compile(r"[\s+]+and[\s+]+", re.IGNORECASE)
_TERM = re.compile(r'^[\s+]*(?P<name>\w+)[\s+]*=[\s+]*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s"]+?))[\s+]*$')
_MAX_VALUE_LENGTH = 1_024


def status_named(value: str, field: str) -> Status:
    try:
        return Status(value.strip().lower())
    except ValueError:
        raise Invalid(f"{field} '{value}' is not a status: use one of {', '.join(Status)}") from None


def parse(search: str | None, status: str | None = None) -> JobQuery:
    """The listing's filters from ``search`` and the ``status`` shortcut parameter."""
    terms: dict[str, str] = {}
    for part in _AND.split(search.strip(" +")) if search and search.strip(" +") else []:
        match = _TERM.match(part)
        if match is None:
            raise Invalid(
                f"search term '{part}' is not of the form name=value (names: {', '.join(SEARCH_TERMS)})"
            )
        name = match["name"].lower()
        if name not in SEARCH_TERMS:
            raise Invalid(f"search cannot filter on '{match['name']}': use {', '.join(SEARCH_TERMS)}")
        if name in terms:
            raise Invalid(f"search names {name} more than once")
        value = match["quoted"] if match["quoted"] is not None else match["bare"]
        if not value or len(value) > _MAX_VALUE_LENGTH:
            raise Invalid(f"search value of {name} must be 1 to {_MAX_VALUE_LENGTH} characters")
        terms[name] = value
    wanted = status_named(terms["status"], "search status") if "status" in terms else None
    if status is not None:
        shortcut = status_named(status, "status")
        if wanted is not None and wanted is not shortcut:
            raise Invalid(f"status={status} contradicts search status={terms['status']}")
        wanted = shortcut
    return JobQuery(
        correlation_id=terms.get("correlation_id"),
        status=wanted,
        owner=owner_of(terms["owner"]) if "owner" in terms else None,
    )
