"""A job's own page: the step tree, the timeline, live updates, End and Clear, and what went wrong."""

from __future__ import annotations

import json
import time
import uuid

from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import ARTIFACTS, Console
from tests.browser.monitor import LIVE_LIMIT, add_job, add_step, end, screenshot
from tests.support.http import LocalApi


def _job_with_steps(api: LocalApi, description: str) -> tuple[str, dict[str, str]]:
    job_id = add_job(api, description)
    steps = {"prepare": add_step(api, job_id, "Prepare", kind="validating")}
    end(api, f"/jobs/{job_id}/steps/{steps['prepare']}")
    steps["copy"] = add_step(api, job_id, "Copy")
    steps["disk 1"] = add_step(api, job_id, "Copy disk 1", parent=steps["copy"])
    end(api, f"/jobs/{job_id}/steps/{steps['disk 1']}")
    steps["disk 2"] = add_step(api, job_id, "Copy disk 2", parent=steps["copy"])
    return job_id, steps


def test_the_job_page_shows_the_step_tree_and_the_timeline_at_its_own_address(
    page: Page, monitor_api: LocalApi
) -> None:
    job_id, steps = _job_with_steps(monitor_api, "Back up the database")
    page.goto(f"http://{monitor_api.host}/#/jobs/{job_id}")

    expect(page.get_by_role("heading", level=1)).to_have_text("Back up the database")
    tree = page.get_by_role("list", name="Step tree")
    top = tree.locator(":scope > li")
    expect(top).to_have_count(2)
    expect(top.nth(0).locator(".number")).to_have_text("Step 1")
    expect(top.nth(0)).to_contain_text("Prepare")
    expect(top.nth(0).locator(".type")).to_have_text("Type: Validating")
    expect(top.nth(0).locator(".status")).to_have_text("Finished")
    expect(top.nth(0).locator("time")).to_have_count(2)  # started and ended
    expect(top.nth(1).locator(":scope > .step-line .status")).to_have_text("Started")
    # The sub-steps are a list inside the parent's list item: nested in the accessibility tree too.
    nested = top.nth(1).get_by_role("list")
    expect(nested.get_by_role("listitem")).to_have_count(2)
    expect(nested.get_by_role("listitem").nth(0)).to_contain_text("2.1")
    expect(nested.get_by_role("listitem").nth(0)).to_contain_text("Copy disk 1")
    expect(nested.get_by_role("listitem").nth(1)).to_contain_text("2.2")
    snapshot = tree.aria_snapshot()
    assert "- listitem:" in snapshot, snapshot
    assert "  - list:" in snapshot, snapshot
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "step-tree.aria.yaml").write_text(snapshot)

    timeline = page.locator("svg.timeline")
    expect(timeline.locator("rect.bar")).to_have_count(4)
    rows = timeline.locator("g.row")
    assert [rows.nth(i).get_attribute("data-step") for i in range(4)] == [
        steps["prepare"],
        steps["copy"],
        steps["disk 1"],
        steps["disk 2"],
    ]
    assert [rows.nth(i).get_attribute("data-depth") for i in range(4)] == ["0", "0", "1", "1"]
    expect(timeline.locator("rect.bar-finished")).to_have_count(2)
    screenshot(page, "job-page")


def test_a_new_step_and_the_end_show_by_themselves(page: Page, monitor_api: LocalApi) -> None:
    job_id = add_job(monitor_api, "Watched live")
    page.goto(f"http://{monitor_api.host}/#/jobs/{job_id}")
    expect(page.get_by_text("No steps yet.").first).to_be_visible()
    page.wait_for_timeout(500)

    add_step(monitor_api, job_id, "Arrives late")
    added = time.monotonic()
    expect(page.get_by_role("list", name="Step tree")).to_contain_text(
        "Arrives late", timeout=(LIVE_LIMIT + 2) * 1000
    )
    step_delay = time.monotonic() - added
    expect(page.locator("svg.timeline rect.bar")).to_have_count(1)

    end(monitor_api, f"/jobs/{job_id}")
    ended = time.monotonic()
    expect(page.get_by_role("status")).to_have_text(
        "This job ended: Finished.", timeout=(LIVE_LIMIT + 2) * 1000
    )
    end_delay = time.monotonic() - ended
    expect(page.locator(".summary .status")).to_have_text("Finished")
    report = f"live update: a new step shown after {step_delay:.2f} s, the job's end after {end_delay:.2f} s"
    print(report)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "live-update.txt").write_text(report + "\n")
    assert step_delay < LIVE_LIMIT
    assert end_delay < LIVE_LIMIT
    screenshot(page, "job-ended-live")


def test_an_idle_job_page_costs_at_most_one_request_per_two_seconds(
    page: Page, monitor_api: LocalApi
) -> None:
    job_id, _ = _job_with_steps(monitor_api, "Idle")
    calls: list[str] = []
    page.on("request", lambda request: calls.append(request.url) if "/api/" in request.url else None)
    page.goto(f"http://{monitor_api.host}/#/jobs/{job_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Idle")
    page.wait_for_timeout(8000)
    assert 1 <= len(calls) <= 8 / 2 + 1, calls


def test_the_owner_ends_then_clears_a_job_after_confirming(
    page: Page, monitor_api: LocalApi, console: Console
) -> None:
    job_id, steps = _job_with_steps(monitor_api, "Ended by hand")
    page.goto(f"http://{monitor_api.host}/#/jobs/{job_id}")

    page.get_by_role("button", name="End job").click()
    dialog = page.get_by_role("dialog", name="End this job?")
    expect(dialog).to_be_visible()
    screenshot(page, "job-end-confirmation")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert monitor_api.send("GET", f"/jobs/{job_id}", profile=None).data["status"] == "started"

    page.get_by_role("button", name="End job").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, end the job").click()
    expect(page.get_by_role("status")).to_have_text("The job was ended.")
    expect(page.locator(".summary .status")).to_have_text("Finished")
    expect(page.get_by_role("button", name="End job")).to_have_count(0)
    reply = monitor_api.send("GET", f"/jobs/{job_id}", query=[("follow", "steps")], profile=None).data
    assert reply["status"] == "finished"
    statuses = {step["id"]: step["status"] for step in reply["steps"]["step"]}
    assert statuses[steps["disk 2"]] == "aborted"  # forced: what still ran is aborted
    expect(page.get_by_role("list", name="Step tree").locator(".status-aborted")).to_have_count(2)

    # Once cleared, the ended job vanishes after its clean-up delay (three seconds on this server).
    console.expect(r"status of 404")
    page.get_by_role("button", name="Clear job").click()
    page.get_by_role("dialog", name="Clear this job?").get_by_role(
        "button", name="Yes, clear the job"
    ).click()
    expect(page.get_by_role("status")).to_contain_text("The job was cleared")
    expect(page.get_by_role("alert")).to_contain_text("This job is gone", timeout=12_000)
    expect(page.get_by_role("button", name="Clear job")).to_have_count(0)
    screenshot(page, "job-gone")
    assert monitor_api.send("GET", f"/jobs/{job_id}", profile=None).status == 404


def test_a_refusal_is_said_plainly(page: Page, monitor_api: LocalApi, console: Console) -> None:
    """A 403 the monitor could not foresee (say, the user's groups changed since signing in), as the API
    words it: the page says it was not allowed and why."""
    job_id = add_job(monitor_api, "Not yours")
    console.expect(r"status of 403")
    refusal = {"status": "failed", "fault": {"reason": "Forbidden", "detail": "only the owner may end it"}}

    def refuse(route: Route) -> None:
        route.fulfill(status=403, content_type="application/json", body=json.dumps(refusal))

    page.route("**/api/jobs/*/end", refuse)
    page.goto(f"http://{monitor_api.host}/#/jobs/{job_id}")
    page.get_by_role("button", name="End job").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, end the job").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Not allowed (403): Forbidden: only the owner may end it. Only a job's owner or an administrator "
        "may change it; reading needs the readers group."
    )
    expect(page.locator(".summary .status")).to_have_text("Started")
    screenshot(page, "job-refused")


def test_an_unknown_job_is_said_plainly(page: Page, monitor_api: LocalApi, console: Console) -> None:
    console.expect(r"status of 404")
    missing = str(uuid.uuid4())
    page.goto(f"http://{monitor_api.host}/#/jobs/{missing}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Job not available")
    expect(page.get_by_role("alert")).to_contain_text(f"There is no job {missing} (404)")
    screenshot(page, "job-unknown")


def test_a_network_outage_is_said_and_the_page_recovers(
    page: Page, monitor_api: LocalApi, console: Console
) -> None:
    console.expect(r"ERR_INTERNET_DISCONNECTED")
    job_id = add_job(monitor_api, "Through an outage")
    page.goto(f"http://{monitor_api.host}/#/jobs/{job_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Through an outage")

    page.context.set_offline(True)
    outage = page.get_by_role("alert").filter(has_text="The service cannot be reached")
    expect(outage).to_be_visible(timeout=(LIVE_LIMIT + 2) * 1000)
    screenshot(page, "network-outage")
    page.context.set_offline(False)
    expect(outage).to_have_count(0, timeout=(LIVE_LIMIT + 5) * 1000)
    expect(page.get_by_role("heading", level=1)).to_have_text("Through an outage")
