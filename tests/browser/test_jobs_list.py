"""The jobs list: newest first, statuses as words, a status filter, a search by correlation id, live."""

from __future__ import annotations

import re
import time
import uuid

from playwright.sync_api import Page, expect

from tests.browser.monitor import LIVE_LIMIT, Person, screenshot, sign_in
from tests.support.http import LocalApi


def _marker() -> str:
    return uuid.uuid4().hex[:8]


def test_jobs_are_listed_newest_first_with_status_owner_start_duration_and_progress(
    page: Page, monitor_api: LocalApi, writer: Person, passwords: dict[str, str]
) -> None:
    marker = _marker()
    first = writer.add_job(f"{marker} first")
    writer.add_job(f"{marker} second")
    writer.end(f"/jobs/{first}", succeeded=False)
    writer.add_job(f"{marker} third")

    sign_in(page, monitor_api, "reader", passwords["reader"])
    rows = page.get_by_role("row").filter(has_text=marker)
    expect(rows).to_have_count(3)
    assert [rows.nth(i).get_by_role("link").inner_text() for i in range(3)] == [
        f"{marker} third",
        f"{marker} second",
        f"{marker} first",
    ]
    headers = page.get_by_role("columnheader").all_inner_texts()
    assert headers == ["Status", "Description", "Owner", "Started", "Duration", "Progress"]
    failed = rows.nth(2).get_by_role("cell")
    expect(failed.nth(0)).to_have_text("Failed")
    expect(failed.nth(2)).to_have_text("writer")
    assert failed.nth(3).locator("time").get_attribute("datetime")
    expect(failed.nth(4)).to_have_text(re.compile(r"^\d+ s$"))
    expect(failed.nth(5)).to_have_text("—")  # no progress reported
    expect(rows.nth(0).get_by_role("cell").nth(0)).to_have_text("Started")
    screenshot(page, "jobs-list")


def test_the_status_control_filters_the_list(
    page: Page, monitor_api: LocalApi, writer: Person, passwords: dict[str, str]
) -> None:
    marker = _marker()
    failed = writer.add_job(f"{marker} fails")
    writer.end(f"/jobs/{failed}", succeeded=False)
    writer.add_job(f"{marker} runs")

    sign_in(page, monitor_api, "reader", passwords["reader"])
    status = page.get_by_label("Status")
    options = status.locator("option").all_inner_texts()
    assert options == ["All statuses", "Started", "Finished", "Failed", "Aborted", "Unknown"]
    expect(page.get_by_role("row").filter(has_text=marker)).to_have_count(2)

    status.select_option(label="Failed")
    expect(page.get_by_role("row").filter(has_text=f"{marker} runs")).to_have_count(0)
    expect(page.get_by_role("row").filter(has_text=f"{marker} fails")).to_have_count(1)
    assert set(page.locator("tbody tr td:first-child").all_inner_texts()) == {"Failed"}
    assert "status=failed" in page.url
    screenshot(page, "jobs-filtered-failed")

    page.reload()  # the filter is part of the address, and the session outlives a reload
    expect(page.get_by_label("Status")).to_have_value("failed")
    expect(page.get_by_role("row").filter(has_text=f"{marker} fails")).to_have_count(1)


def test_the_search_box_finds_a_job_by_correlation_id(
    page: Page, monitor_api: LocalApi, writer: Person, passwords: dict[str, str]
) -> None:
    marker = _marker()
    writer.add_job(f"{marker} wanted", correlation_id=f"wanted-{marker}")
    writer.add_job(f"{marker} other", correlation_id=f"other-{marker}")

    sign_in(page, monitor_api, "reader", passwords["reader"])
    expect(page.get_by_role("row").filter(has_text=marker)).to_have_count(2)
    page.get_by_label("Search").fill(f"wanted-{marker}")
    expect(page.get_by_role("row").filter(has_text=marker)).to_have_count(1)
    expect(page.get_by_role("row").filter(has_text=f"{marker} wanted")).to_have_count(1)
    screenshot(page, "jobs-searched")

    page.get_by_label("Search").fill(f"nothing-{marker}")
    expect(page.get_by_text("No job matches.")).to_be_visible()


def test_a_new_job_shows_by_itself_and_activating_its_description_opens_it(
    page: Page, monitor_api: LocalApi, writer: Person, passwords: dict[str, str]
) -> None:
    marker = _marker()
    sign_in(page, monitor_api, "reader", passwords["reader"])
    expect(page.get_by_role("heading", name="Jobs")).to_be_visible()
    page.wait_for_timeout(500)  # the first reply is in: the new job comes with a later one

    job_id = writer.add_job(f"{marker} arrives")
    added = time.monotonic()
    link = page.get_by_role("link", name=f"{marker} arrives")
    expect(link).to_be_visible(timeout=(LIVE_LIMIT + 2) * 1000)
    delay = time.monotonic() - added
    print(f"live update: a new job listed after {delay:.2f} s")
    assert delay < LIVE_LIMIT

    link.click()
    expect(page).to_have_url(f"http://{monitor_api.host}/#/jobs/{job_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{marker} arrives")


def test_an_idle_list_costs_at_most_one_request_per_two_seconds(
    page: Page, monitor_api: LocalApi, passwords: dict[str, str]
) -> None:
    sign_in(page, monitor_api, "reader", passwords["reader"])
    calls: list[str] = []
    page.on("request", lambda request: calls.append(request.url) if "/api/" in request.url else None)
    page.wait_for_timeout(8000)
    assert 1 <= len(calls) <= 8 / 2 + 1, calls


def test_without_sign_in_under_auth_none(page: Page, open_monitor_api: LocalApi) -> None:
    """make run AUTH=none: no sign-in, and the caller (the local administrator) may end any job."""
    marker = _marker()
    reply = open_monitor_api.send("POST", "/jobs", body={"description": f"{marker} open"}, profile=None)
    assert reply.status == 201, reply.body
    page.goto(f"http://{open_monitor_api.host}/")
    expect(page.get_by_role("link", name=f"{marker} open")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)
    page.get_by_role("link", name=f"{marker} open").click()
    expect(page.get_by_role("button", name="End job")).to_be_visible()
