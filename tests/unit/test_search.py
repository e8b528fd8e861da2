"""The ``search`` and ``status`` parameters of the jobs listing (docs/api.md, Listing).

"search understands at least oVirt's correlation_id=X, plus status=started and owner=ARN; combinations with
and. A status query parameter is a shortcut for the status filter." Anything else is invalid input: 400.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator

import jsonschema_rs
import pytest

from external_tasks import search
from external_tasks.errors import Invalid
from external_tasks.model import JobQuery, Status
from tools import openapi

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/PluginRole"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/PluginRole/i-0abc123"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"


@pytest.mark.parametrize("nothing", [None, "", "   ", "\t"])
def test_an_empty_search_lists_every_job(nothing: str | None) -> None:
    """Listing: without a search (or a blank one) the listing is not narrowed."""
    # when the listing's search is absent or blank, then there is no filter
    assert search.parse(nothing) == JobQuery()


def test_a_correlation_id_search_finds_the_jobs_of_that_request() -> None:
    """Listing: oVirt's `correlation_id=X`."""
    # when searching by correlation id, then only that is filtered on
    assert search.parse("correlation_id=backup-1") == JobQuery(correlation_id="backup-1")


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("spelling", [str.lower, str.upper, str.capitalize])
def test_a_status_search_accepts_any_status_in_any_letter_case(
    status: Status, spelling: Callable[[str], str]
) -> None:
    """Listing `status=` and Operations: "Enum values are accepted in any letter case"."""
    # given a status written in some letter case
    written = spelling(status.value)
    # when searching by it, then the listing is narrowed to that status
    assert search.parse(f"status={written}") == JobQuery(status=status)


def test_a_status_search_for_something_that_is_not_a_status_is_invalid() -> None:
    """Listing: a status filter names one of the five statuses; anything else is 400, listing them."""
    # when searching for an unknown status, then it is invalid and says which statuses there are
    with pytest.raises(Invalid) as refused:
        search.parse("status=running")
    for status in Status:
        assert status.value in refused.value.detail


def test_an_owner_search_finds_the_jobs_of_that_principal() -> None:
    """Listing `owner=ARN`: a principal that is not a session is searched for as it is."""
    # when searching by an IAM user's ARN, then that ARN is the owner filtered on
    assert search.parse(f"owner={USER}") == JobQuery(owner=USER)


def test_an_owner_search_for_a_role_session_finds_the_jobs_of_the_role() -> None:
    """Listing `owner=ARN` with Job.owner: owners are recorded as roles, so a session searches as its role."""
    # when searching by an assumed-role session's ARN, then the role is the owner filtered on
    assert search.parse(f"owner={SESSION}") == JobQuery(owner=ROLE)


@pytest.mark.parametrize("conjunction", ["and", "AND", "And", "aNd"])
def test_search_terms_combine_with_and_in_any_letter_case(conjunction: str) -> None:
    """Listing: "combinations with and" (oVirt's search language is case-insensitive)."""
    # given all three terms joined with `and`
    query = f"correlation_id=backup-1 {conjunction} status=failed {conjunction} owner={SESSION}"
    # when parsed, then every term narrows the listing
    assert search.parse(query) == JobQuery(correlation_id="backup-1", status=Status.FAILED, owner=ROLE)


def test_the_order_of_combined_terms_does_not_matter() -> None:
    """Listing: `a and b` and `b and a` narrow the listing the same way."""
    # when the same terms are given in two orders, then the filters are the same
    assert search.parse("status=started and correlation_id=x1") == search.parse(
        "correlation_id=x1 and status=started"
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('correlation_id="backup-1"', JobQuery(correlation_id="backup-1")),
        ('status="Finished"', JobQuery(status=Status.FINISHED)),
        (f'owner="{SESSION}"', JobQuery(owner=ROLE)),
        (f'status="started" and owner="{USER}"', JobQuery(status=Status.STARTED, owner=USER)),
    ],
)
def test_a_search_value_may_be_quoted(query: str, expected: JobQuery) -> None:
    """Listing: oVirt clients quote search values; the quotes are not part of the value."""
    # when a value is in double quotes, then it is searched for without them
    assert search.parse(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        "correlation_id = backup-1",
        "correlation_id= backup-1",
        "correlation_id =backup-1",
        "  correlation_id=backup-1  ",
        'correlation_id = "backup-1"',
    ],
)
def test_spaces_around_the_equals_sign_do_not_matter(query: str) -> None:
    """Listing: `name = value` is the same search as `name=value`."""
    # when a term has spaces around `=` or around itself, then it is the same search
    assert search.parse(query) == JobQuery(correlation_id="backup-1")


@pytest.mark.parametrize("term", ["name=backup", "description=backup", "sortby=start_time", "id=1"])
def test_searching_on_anything_else_is_invalid_and_names_what_can_be_searched(term: str) -> None:
    """Listing: only correlation_id, status and owner can be searched; otherwise 400 naming them."""
    # when searching on a term this service does not filter on
    with pytest.raises(Invalid) as refused:
        search.parse(f"status=started and {term}")
    # then it is invalid, and the detail names the term and the supported terms
    assert term.split("=", 1)[0] in refused.value.detail
    for supported in ("correlation_id", "status", "owner"):
        assert supported in refused.value.detail


@pytest.mark.parametrize(
    "query",
    [
        "status=started and status=failed",
        "correlation_id=a and correlation_id=b",
        f"owner={USER} and owner={ROLE}",
    ],
)
def test_naming_a_term_twice_is_invalid(query: str) -> None:
    """Listing: one job has one status, correlation id and owner; two values for one is not a filter."""
    # when a term is given twice with different values, then it is invalid, naming the term
    with pytest.raises(Invalid) as refused:
        search.parse(query)
    assert query.split("=", 1)[0] in refused.value.detail


@pytest.mark.parametrize(
    "query",
    [
        "correlation_id",  # no value
        "status=",  # empty value
        'correlation_id=""',  # empty quoted value
        "=started",  # no name
        "status=started owner=x",  # two terms without `and`
        "status=started and",  # dangling `and`
        "and status=started",
        "status=started and and owner=x",
        'correlation_id="backup-1',  # unterminated quote
        "status=started or status=failed",  # only `and` combines
    ],
)
def test_a_malformed_search_is_invalid(query: str) -> None:
    """Listing and Representations: a search that is not `name=value [and name=value]...` is 400."""
    # when a malformed search is sent, then it is invalid input
    with pytest.raises(Invalid):
        search.parse(query)


@pytest.mark.parametrize("written", ["failed", "FAILED", "Failed"])
def test_the_status_parameter_is_a_shortcut_for_the_status_search(written: str) -> None:
    """Listing: "A status query parameter is a shortcut for the status filter", in any letter case."""
    # when only the status parameter is given, then the listing is narrowed as by `status=failed`
    assert search.parse(None, written) == search.parse("status=failed") == JobQuery(status=Status.FAILED)


def test_the_status_parameter_combines_with_the_other_search_terms() -> None:
    """Listing: the shortcut narrows a search on other terms further."""
    # when both a correlation id search and the status shortcut are given, then both filter
    assert search.parse("correlation_id=backup-1", "started") == JobQuery(
        correlation_id="backup-1", status=Status.STARTED
    )


def test_the_status_parameter_agreeing_with_the_search_is_accepted() -> None:
    """Listing: saying the same status twice, once in each place, is one filter."""
    # when the shortcut and the search name the same status (in different case), then that is the filter
    assert search.parse("status=Started", "STARTED") == JobQuery(status=Status.STARTED)


def test_the_status_parameter_contradicting_the_search_is_invalid() -> None:
    """Listing: a shortcut that disagrees with the search's status is 400, naming both."""
    # when the shortcut and the search name different statuses
    with pytest.raises(Invalid) as refused:
        search.parse("status=started", "failed")
    # then it is invalid, and the detail shows the two
    assert "started" in refused.value.detail
    assert "failed" in refused.value.detail


def test_a_status_parameter_that_is_not_a_status_is_invalid() -> None:
    """Listing and Operations: the shortcut takes the same five statuses; anything else is 400."""
    # when the shortcut names no status, then it is invalid
    with pytest.raises(Invalid, match="status"):
        search.parse(None, "done")


@pytest.mark.parametrize(
    "owner",
    [
        f'"{USER} "',
        "arn:aws:iam::1:user/é",
        "arn:aws:iam::1:user/\x01",
        '"arn:aws:iam::1:user/a b"',
        "ARN:x",
    ],
)
def test_an_owner_that_no_iam_principal_can_be_is_invalid(owner: str) -> None:
    """Listing: an ARN is printable ASCII without spaces; any other owner can match no job, so it is 400."""
    # when searching for it, then it is invalid, naming the owner
    with pytest.raises(Invalid, match="owner"):
        search.parse(f"owner={owner}")


# The document's search pattern (openapi/openapi.json, as Schemathesis reads it) against parse().

PIECES = [
    "status", "STATUS", "correlation_id", "owner", "Owner", "=", " = ", "started", "Failed", "UN\u212aNOWN",
    "running", "abc-1", '"', '" started "', "arn:x", "arn:a+and+b", "arn:", "+", " ", "and", "AND", " and ",
    "+and+", "+and", "and+", "\u00a0", "\x1c", "\t", "x", "and\u00a0", "status=started", "owner=arn:a",
    "correlation_id=c", "é", '"arn:a+and+b"', "arn:a+and", 'status="started"', '"abc-1"', 'owner="arn:x"',
    "owner=arn:q+", "+and+status=failed", " and owner=arn:z", "\u212a",
]  # fmt: skip


def _searches() -> Iterator[str]:
    """Every text of up to three pieces, and 30,000 of four to nine."""
    for count in range(4):
        for pieces in itertools.product(PIECES, repeat=count):
            yield "".join(pieces)
    rng = random.Random(12)  # noqa: S311 - the same texts every run
    for _ in range(30_000):
        yield "".join(rng.choice(PIECES) for _ in range(rng.randint(4, 9)))


def test_the_documents_search_pattern_allows_exactly_the_searches_parse_accepts() -> None:
    """Listing and Input limits: the OpenAPI document is exactly as strict as the service."""
    # given the search parameter as openapi/openapi.json states it
    schema = next(
        p for p in openapi.document()["paths"]["/jobs"]["get"]["parameters"] if p["name"] == "search"
    )
    allows = jsonschema_rs.Draft202012Validator(schema["schema"]).is_valid

    def accepted(text: str) -> bool:
        try:
            search.parse(text)
        except Invalid:
            return False
        return True

    # when texts around every rule of the search language are checked by both
    checked = list(_searches())
    # then they agree on every one, and many are accepted
    assert [text for text in checked if allows(text) != accepted(text)] == []
    assert sum(map(accepted, checked)) > 2_000
    assert not allows("status=started" + " " * 1_024)  # and a search is at most 1,024 characters
