"""The ``search`` query of job listings: oVirt's ``correlation_id=X``, plus ``status=`` and ``owner=``,
combined with ``and`` (docs/rules.md: Listing)."""

from __future__ import annotations

import re
from itertools import permutations

from external_tasks import limits, patterns
from external_tasks.errors import Invalid, shown
from external_tasks.model import JobQuery, Status
from external_tasks.rules import USER_OWNER_PREFIX, owner_of

SEARCH_TERMS = ("correlation_id", "status", "owner")
MAX_SEARCH_LENGTH = 1_024
# oVirt's SDK encodes spaces in the query as "+", which API Gateway passes on as it is: "+" separates too.
_SPACE = " +\t\r\n"
_AND = re.compile(r"[\s+]+and[\s+]+", re.IGNORECASE)
_TERM = re.compile(r'(?P<name>\w+)[\s+]*=[\s+]*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s"]+))')
CORRELATION_ID = re.compile(rf"[{limits.CORRELATION_ID_CHARACTERS}]{{1,{limits.MAX_CORRELATION_ID_LENGTH}}}")
# An owner is an IAM principal's ARN, or a signed-in user (``user/<user name>``): printable ASCII without
# spaces (and no DynamoDB key of it exceeds 2,048 bytes).
_OWNER_START = f"(?:arn:|{re.escape(USER_OWNER_PREFIX)})"
_OWNER = re.compile(f"{_OWNER_START}[!#-~]*")


def status_pattern() -> str:
    """What status_named() accepts, for openapi/openapi.json: a status in any case, white space around it."""
    return patterns.padded(patterns.one_of(Status), patterns.WHITESPACE)


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
    if owner is not None and not _OWNER.fullmatch(owner):
        raise Invalid(f"search owner {shown(owner)} is neither an IAM principal ARN nor user/<user name>")
    wanted = status_named(terms["status"], "search status") if "status" in terms else None
    if status is not None:
        shortcut = status_named(status, "status")
        if wanted is not None and wanted is not shortcut:
            raise Invalid(f"status={shown(status)} contradicts search status={shown(terms['status'])}")
        wanted = shortcut
    return JobQuery(correlation_id=correlation_id, status=wanted, owner=owner_of(owner) if owner else None)


def search_pattern() -> str:
    """The searches parse() accepts, as one regular expression (patterns.py) for openapi/openapi.json; with
    it, at most MAX_SEARCH_LENGTH characters. tests/unit/test_search.py holds the two to each other.

    Terms are ``name = value`` (names in any letter case, each at most once), joined by ``and`` with white
    space or ``+`` around it; the whole may have spaces, ``+``, TAB, CR or LF around it. Where a value could
    hold `` and `` or ``+and+``, parse() would take that for a join: the pattern refuses it there, unless
    only the white space stripped off the end follows.
    """
    space = patterns.whitespace_and("+")
    stripped = "[\\u0009\\u000a\\u000d\\u0020+]"  # _SPACE
    conjunction = patterns.any_case("and")
    no_join = f"(?!\\+{conjunction}(?!{stripped}*$){space})"
    owner = f"{_OWNER_START}(?:{no_join}[!#-~])*"
    correlation_id = CORRELATION_ID.pattern
    status = patterns.one_of(Status)
    values = {
        "correlation_id": f'(?:{correlation_id}|"{correlation_id}")',
        "status": f'(?:{status}|"{patterns.WHITESPACE}*{status}{patterns.WHITESPACE}*")',
        "owner": f'(?:{owner}|"{owner}")',
    }
    terms = {name: f"{patterns.any_case(name)}{space}*={space}*{value}" for name, value in values.items()}
    join = f"{space}+{conjunction}{space}+"
    searches = [
        join.join(terms[name] for name in order)
        for count in range(1, len(SEARCH_TERMS) + 1)
        for order in permutations(SEARCH_TERMS, count)
    ]
    return f"^{stripped}*(?:{'|'.join(searches)})?{stripped}*$"
