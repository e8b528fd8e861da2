"""Listing jobs and steps: pages, continuation tokens, search (docs/rules.md: Listing)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.conftest import Clock
from tests.support.api import ADMIN, PLUGIN_ROLE, Api, Response


def _ids(reply: Response, kind: str = "job") -> list[str]:
    assert reply.status == 200, reply.body
    return [item["id"] for item in reply.data[kind]]


def _next_page(reply: Response) -> str | None:
    """The continuation of a listing, from its Link header (both formats have it)."""
    link = reply.header("Link")
    if link is None:
        return None
    assert link.endswith('>; rel="next"')
    query = parse_qs(urlsplit(link[1 : link.index(">")]).query)
    return query["page"][0]


def test_jobs_list_newest_first(api: Api, clock: Clock) -> None:
    """Operations: list jobs, newest first."""
    first = api.new_job("first")
    clock.advance(seconds=1)
    second = api.new_job("second")
    assert _ids(api.list_jobs()) == [second, first]


def test_max_pages_through_all_jobs_with_an_opaque_token(api: Api, clock: Clock) -> None:
    """Listing: max caps a page; the rest follows a page token, in Link and (JSON) a next link."""
    created = []
    for n in range(5):
        created.append(api.new_job(f"job {n}"))
        clock.advance(seconds=1)
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        reply = api.list_jobs(max="2", **({"page": token} if token else {}))
        seen += _ids(reply)
        pages += 1
        token = _next_page(reply)
        if api.format == "json" and token is not None:
            assert any(link["rel"] == "next" for link in reply.data["link"])
        if api.format == "xml":
            assert "<link" not in reply.body.replace('<link href="/api/jobs/', "")  # only the jobs' own links
        if token is None:
            break
    assert seen == list(reversed(created))
    assert pages >= 3


def test_the_next_link_repeats_the_listings_query(json_api: Api) -> None:
    """Listing: the continuation keeps the search and max it came from."""
    for _ in range(3):
        json_api.new_job()
    reply = json_api.list_jobs(max="1", search="status=started")
    link = reply.header("Link")
    assert link is not None
    assert link.startswith("<https://xtasks.example.com/api/jobs?")
    query = parse_qs(urlsplit(link[1 : link.index(">")]).query)
    assert query["max"] == ["1"]
    assert query["search"] == ["status=started"]


def test_a_tampered_or_foreign_page_token_is_400(json_api: Api) -> None:
    """Input limits: a token altered in any way, or from another listing or query, is refused."""
    job_id = json_api.new_job()
    for _ in range(2):
        json_api.new_step(job_id)
        json_api.new_job()
    token = _next_page(json_api.list_jobs(max="1"))
    assert token is not None
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for reply in (
        json_api.list_jobs(max="1", page=tampered),
        json_api.list_jobs(max="1", page="garbage"),
        json_api.list_jobs(max="1", page=token, search="status=started"),
        json_api.list_steps(job_id, max="1", page=token),
    ):
        assert reply.status == 400
        assert "page" in reply.fault["detail"]
    assert json_api.list_jobs(max="1", page=token).status == 200


def test_a_step_token_is_bound_to_its_job(json_api: Api) -> None:
    """Input limits: a token from another job's steps is refused."""
    one, other = json_api.new_job(), json_api.new_job()
    for job_id in (one, other):
        json_api.new_step(job_id)
        json_api.new_step(job_id)
    token = _next_page(json_api.list_steps(one, max="1"))
    assert token is not None
    assert json_api.list_steps(other, max="1", page=token).status == 400


def test_search_by_correlation_id_finds_the_job_created_with_it(api: Api) -> None:
    """Job.correlation_id: from the Correlation-Id header of the creating request, echoed in the response."""
    created = api.request(
        "POST", "/jobs", body={"description": "Back up"}, headers=[("Correlation-Id", "backup-db01-42")]
    )
    assert created.status == 201
    assert created.header("Correlation-Id") == "backup-db01-42"
    assert created.data["correlation_id"] == "backup-db01-42"
    api.new_job("unrelated")
    found = api.list_jobs(search="correlation_id=backup-db01-42")
    assert _ids(found) == [created.data["id"]]


def test_a_correlation_id_query_parameter_works_like_the_header(api: Api) -> None:
    """Job.correlation_id: or from the correlation_id query parameter."""
    created = api.request("POST", "/jobs", body={"description": "x"}, query=[("correlation_id", "via-query")])
    assert created.data["correlation_id"] == "via-query"
    assert created.header("Correlation-Id") == "via-query"


def test_correlation_ids_are_sanitised_and_generated_when_absent(json_api: Api) -> None:
    """Job.correlation_id: sanitised to [0-9A-Za-z_-], at most 50 chars; generated when absent."""
    dirty = json_api.request(
        "POST", "/jobs", body={"description": "x"}, headers=[("Correlation-Id", "a b/c;d<e>" + "f" * 60)]
    )
    assert dirty.data["correlation_id"] == ("abcde" + "f" * 60)[:50]
    generated = json_api.add_job("x")
    assert generated.data["correlation_id"]
    assert generated.header("Correlation-Id") == generated.data["correlation_id"]
    # every reply carries one, reads and faults too
    assert json_api.list_jobs().header("Correlation-Id")
    assert json_api.get_job("00000000-0000-4000-8000-000000000000").header("Correlation-Id")


def test_search_by_status_owner_and_combinations(api: Api) -> None:
    """Listing: status=, owner=, combined with and; the status parameter is a shortcut."""
    mine_started = api.new_job("mine, started")
    mine_ended = api.new_job("mine, ended")
    assert api.end_job(mine_ended).status == 200
    theirs = api.add_job("theirs", caller=ADMIN).data["id"]

    assert set(_ids(api.list_jobs(search="status=started"))) == {mine_started, theirs}
    assert set(_ids(api.list_jobs(status="FINISHED"))) == {mine_ended}
    assert set(_ids(api.list_jobs(search=f"owner={PLUGIN_ROLE}"))) == {mine_started, mine_ended}
    both = api.list_jobs(search=f"owner={PLUGIN_ROLE} and status=started")
    assert _ids(both) == [mine_started]
    assert _ids(api.list_jobs(search=f"owner={ADMIN.user_arn} AND status=finished")) == []


def test_search_combines_correlation_id_with_status(api: Api) -> None:
    """Listing: combinations with and."""
    created = api.request("POST", "/jobs", body={"description": "x"}, headers=[("Correlation-Id", "run-7")])
    job_id = created.data["id"]
    assert _ids(api.list_jobs(search="correlation_id=run-7 and status=started")) == [job_id]
    assert _ids(api.list_jobs(search="correlation_id=run-7 and status=failed")) == []


def test_an_unknown_search_term_is_400_naming_the_supported_ones(json_api: Api) -> None:
    reply = json_api.list_jobs(search="name=backup")
    assert reply.status == 400
    assert "correlation_id" in reply.fault["detail"]


def test_unknown_query_parameters_are_ignored(json_api: Api) -> None:
    job_id = json_api.new_job()
    assert _ids(json_api.list_jobs(sortby="name", all_content="true")) == [job_id]


def test_steps_list_flat_in_tree_order_across_pages(api: Api) -> None:
    """Operations: list steps is a flat list in tree order, paged like jobs."""
    job_id = api.new_job()
    a = api.new_step(job_id, "a")
    b = api.new_step(job_id, "b")
    a0 = api.new_step(job_id, "a.0", parent=a)
    a1 = api.new_step(job_id, "a.1", parent=a)
    a0x = api.new_step(job_id, "a.0.0", parent=a0)
    b0 = api.new_step(job_id, "b.0", parent=b)
    expected = [a, a0, a0x, a1, b, b0]
    assert _ids(api.list_steps(job_id), "step") == expected

    seen: list[str] = []
    token: str | None = None
    while True:
        reply = api.list_steps(job_id, max="4", **({"page": token} if token else {}))
        seen += _ids(reply, "step")
        token = _next_page(reply)
        if token is None:
            break
    assert seen == expected


def test_steps_on_later_pages_read_their_status_through_their_ancestors(json_api: Api) -> None:
    """Rule 3 across pages: a sub-step on page 2 still reads as ended with its parent."""
    job_id = json_api.new_job()
    parent = json_api.new_step(job_id)
    children = [json_api.new_step(job_id, parent=parent) for _ in range(3)]
    assert json_api.end_step(job_id, parent, succeeded=False, force=True).status == 200
    first = json_api.list_steps(job_id, max="2")
    token = _next_page(first)
    assert token is not None
    rest = json_api.list_steps(job_id, max="2", page=token)
    statuses: dict[str, Any] = {s["id"]: s["status"] for s in first.data["step"] + rest.data["step"]}
    assert statuses[parent] == "failed"
    assert all(statuses[child] == "aborted" for child in children)


def test_an_unknown_jobs_steps_are_404_not_an_empty_list(json_api: Api) -> None:
    """Rule 8 (fix: oVirt answered 200 with an empty list)."""
    assert json_api.list_steps("00000000-0000-4000-8000-000000000000").status == 404


def test_an_empty_listing_is_an_empty_collection(api: Api) -> None:
    reply = api.list_jobs()
    assert reply.status == 200
    assert reply.data == {"job": []}
    assert reply.header("Link") is None
