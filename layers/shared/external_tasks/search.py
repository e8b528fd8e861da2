"""The ``search`` query of job listings: oVirt's ``correlation_id=X``, plus ``status=`` and ``owner=``,
combined with ``and`` (SPEC: Listing)."""

from __future__ import annotations

import re

from external_tasks import limits
from external_tasks.errors import Invalid, shown
from external_tasks.model import JobQuery, Status
from external_tasks.rules import owner_of

SEARCH_TERMS = ("correlation_id", "status", "owner")
MAX_SEARCH_LENGTH = 1_024
_MAX_OWNER_BYTES = 1_024  # an IAM ARN is far shorter; DynamoDB keys may not exceed 2,048 bytes
# oVirt's SDK encodes spaces in the query as "+", which API Gateway passes on as it is: "+" separates too.
_SPACE = " +\t\r\n"
_AND = re.compile(r"[\s+]+and[\s+]+", re.IGNORECASE)
_TERM = re.compile(r'(?P<name>\w+)[\s+]*=[\s+]*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s"]+))')
CORRELATION_ID = re.compile(rf"[{limits.CORRELATION_ID_CHARACTERS}]{{1,{limits.MAX_CORRELATION_ID_LENGTH}}}")


def status_named(value: str, field: str) -> Status:
    try:
        return Status(value.strip().lower())
    except ValueError:
        raise Invalid(f"{field} {shown(value)} is not a status: use one of {', '.join(Status)}") from None


def _terms(search: str) -> dict[str, str]:
    if len(search) > MAX_SEARCH_LENGTH:
        raise Invalid(f"search is {len(search)} characters long, more than the {MAX_SEARCH_LENGTH} allowed")
    terms: dict[str, str] = {}
    for part in _AND.split(search.strip(_SPACE)) if search.strip(_SPACE) else []:
        match = _TERM.fullmatch(part.strip(_SPACE))
        if match is None:
            raise Invalid(f"search term {shown(part)} is not name=value (names: {', '.join(SEARCH_TERMS)})")
        name = match["name"].lower()
        if name not in SEARCH_TERMS:
            raise Invalid(f"search cannot filter on {shown(match['name'])}: use {', '.join(SEARCH_TERMS)}")
        if name in terms:
            raise Invalid(f"search names {name} more than once")
        terms[name] = match["quoted"] if match["quoted"] is not None else match["bare"]
    return terms


def parse(search: str | None, status: str | None = None) -> JobQuery:
    """The listing's filters from ``search`` and the ``status`` shortcut parameter."""
    terms = _terms(search or "")
    correlation_id, owner = terms.get("correlation_id"), terms.get("owner")
    if correlation_id is not None and not CORRELATION_ID.fullmatch(correlation_id):
        raise Invalid(
            f"search correlation_id {shown(correlation_id)} can match no job: correlation ids are 1 to "
            f"{limits.MAX_CORRELATION_ID_LENGTH} letters, digits, '_' or '-'"
        )
    if owner is not None and (not owner.startswith("arn:") or len(owner.encode()) > _MAX_OWNER_BYTES):
        raise Invalid(f"search owner {shown(owner)} is not an IAM principal ARN")
    wanted = status_named(terms["status"], "search status") if "status" in terms else None
    if status is not None:
        shortcut = status_named(status, "status")
        if wanted is not None and wanted is not shortcut:
            raise Invalid(f"status={shown(status)} contradicts search status={shown(terms['status'])}")
        wanted = shortcut
    return JobQuery(correlation_id=correlation_id, status=wanted, owner=owner_of(owner) if owner else None)
