"""A job's own page: the step tree, the timeline, live updates, End and Clear for its owner or an
administrator (and for nobody else), and what went wrong, said plainly."""

from __future__ import annotations

import time
import uuid

from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import Console
from tests.browser.monitor import ARTIFACTS, LIVE_LIMIT, Person, screenshot, serious_violations, sign_in
from tests.support.http import LocalApi


def _job_with_steps(person: Person, description: str) -> tuple[str, dict[str, str]]:
    job_id = person.add_job(description)
    steps = {"prepare": person.add_step(job_id, "Prepare", kind="validating")}
    person.end(f"/jobs/{job_id}/steps/{steps['prepare']}")
    steps["copy"] = person.add_step(job_id, "Copy")
    steps["disk 1"] = person.add_step(job_id, "Copy disk 1", parent=steps["copy"])
    person.end(f"/jobs/{job_id}/steps/{steps['disk 1']}")
    steps["disk 2"] = person.add_step(job_id, "Copy disk 2", parent=steps["copy"])
    return job_id, steps


def test_the_job_page_shows_the_step_tree_and_the_timeline_at_its_own_address(
    page: Page, monitor_api: LocalApi, writer: Person, passwords: dict[str, str]
) -> None:
    job_id, steps = _job_with_steps(writer, "Back up the database")
    sign_in(page, monitor_api, "reader", passwords["reader"], f"/#/jobs/{job_id}")

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
    # A reader is neither the owner nor an administrator: nothing to end or clear.
    expect(page.get_by_role("button", name="End job")).to_have_count(0)
    expect(page.get_by_role("button", name="Clear job")).to_have_count(0)
    screenshot(page, "job-page")


def test_a_new_step_and_the_end_show_by_themselves(
    page: Page, monitor_api: LocalApi, writer: Person, passwords: dict[str, str]
) -> None:
    job_id = writer.add_job("Watched live")
    sign_in(page, monitor_api, "reader", passwords["reader"], f"/#/jobs/{job_id}")
    expect(page.get_by_text("No steps yet.").first).to_be_visible()
    page.wait_for_timeout(500)

    writer.add_step(job_id, "Arrives late")
    added = time.monotonic()
    expect(page.get_by_role("list", name="Step tree")).to_contain_text(
        "Arrives late", timeout=(LIVE_LIMIT + 2) * 1000
    )
    step_delay = time.monotonic() - added
    expect(page.locator("svg.timeline rect.bar")).to_have_count(1)

    writer.end(f"/jobs/{job_id}")
    ended = time.monotonic()
    expect(page.locator("main [role=status]")).to_have_text(
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
    page: Page, monitor_api: LocalApi, writer: Person, passwords: dict[str, str]
) -> None:
    job_id, _ = _job_with_steps(writer, "Idle")
    sign_in(page, monitor_api, "reader", passwords["reader"], f"/#/jobs/{job_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Idle")
    calls: list[str] = []
    page.on("request", lambda request: calls.append(request.url) if "/api/" in request.url else None)
    page.wait_for_timeout(8000)
    assert 1 <= len(calls) <= 8 / 2 + 1, calls


def test_the_owner_ends_then_clears_a_job_after_confirming(
    page: Page, monitor_api: LocalApi, writer: Person, passwords: dict[str, str], console: Console
) -> None:
    job_id, steps = _job_with_steps(writer, "Ended by hand")
    sign_in(page, monitor_api, "writer", passwords["writer"], f"/#/jobs/{job_id}")

    page.get_by_role("button", name="End job").click()
    dialog = page.get_by_role("dialog", name="End this job?")
    expect(dialog).to_be_visible()
    screenshot(page, "job-end-confirmation")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert writer.send("GET", f"/jobs/{job_id}").data["status"] == "started"

    page.get_by_role("button", name="End job").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, end the job").click()
    expect(page.locator("main [role=status]")).to_have_text("The job was ended.")
    expect(page.locator(".summary .status")).to_have_text("Finished")
    expect(page.get_by_role("button", name="End job")).to_have_count(0)
    reply = writer.send("GET", f"/jobs/{job_id}?follow=steps").data
    assert reply["status"] == "finished"
    statuses = {step["id"]: step["status"] for step in reply["steps"]["step"]}
    assert statuses[steps["disk 2"]] == "aborted"  # forced: what still ran is aborted
    expect(page.get_by_role("list", name="Step tree").locator(".status-aborted")).to_have_count(2)

    # Once cleared, the ended job vanishes after its clean-up delay (three seconds on this server).
    console.expect(r"status of 404")
    page.get_by_role("button", name="Clear job").click()
    confirmation = page.get_by_role("dialog", name="Clear this job?")
    confirmation.get_by_role("button", name="Yes, clear the job").click()
    expect(page.locator("main [role=status]")).to_contain_text("The job was cleared")
    expect(page.get_by_role("alert")).to_contain_text("This job is gone", timeout=12_000)
    expect(page.get_by_role("button", name="Clear job")).to_have_count(0)
    screenshot(page, "job-gone")
    assert writer.send("GET", f"/jobs/{job_id}").status == 404


def test_an_administrator_may_end_anyone_s_job(
    page: Page, monitor_api: LocalApi, writer: Person, passwords: dict[str, str]
) -> None:
    job_id = writer.add_job("Ended by an administrator")
    sign_in(page, monitor_api, "admin", passwords["admin"], f"/#/jobs/{job_id}")
    page.get_by_role("button", name="End job").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, end the job").click()
    expect(page.locator(".summary .status")).to_have_text("Finished")
    assert writer.send("GET", f"/jobs/{job_id}").data["status"] == "finished"


def test_a_refusal_is_said_plainly(
    page: Page, monitor_api: LocalApi, writer: Person, passwords: dict[str, str], console: Console
) -> None:
    """A refusal the monitor could not foresee (say, the user's groups changed since signing in): here the
    owner's End goes out with the reader's token, and the real API's 403 is shown as it words it."""
    job_id = writer.add_job("Not the reader's")
    reader = Person.signed_in(monitor_api, "reader", passwords["reader"])
    console.expect(r"status of 403")

    def as_reader(route: Route) -> None:
        route.continue_(headers={**route.request.headers, "authorization": f"Bearer {reader.token}"})

    page.route("**/ovirt-engine/api/jobs/*/end", as_reader)
    sign_in(page, monitor_api, "writer", passwords["writer"], f"/#/jobs/{job_id}")
    page.get_by_role("button", name="End job").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, end the job").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Not allowed (403)")
    expect(alert).to_contain_text("Only a job's owner or an administrator may change it")
    expect(page.locator(".summary .status")).to_have_text("Started")
    assert writer.send("GET", f"/jobs/{job_id}").data["status"] == "started"
    screenshot(page, "job-refused")


def test_an_unknown_job_is_said_plainly(
    page: Page, monitor_api: LocalApi, passwords: dict[str, str], console: Console
) -> None:
    console.expect(r"status of 404")
    missing = str(uuid.uuid4())
    sign_in(page, monitor_api, "reader", passwords["reader"], f"/#/jobs/{missing}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Job not available")
    expect(page.get_by_role("alert")).to_contain_text(f"There is no job {missing} (404)")
    screenshot(page, "job-unknown")


def test_a_network_outage_is_said_and_the_page_recovers(
    page: Page, monitor_api: LocalApi, writer: Person, passwords: dict[str, str], console: Console
) -> None:
    console.expect(r"ERR_INTERNET_DISCONNECTED")
    job_id = writer.add_job("Through an outage")
    sign_in(page, monitor_api, "reader", passwords["reader"], f"/#/jobs/{job_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Through an outage")

    page.context.set_offline(True)
    outage = page.get_by_role("alert").filter(has_text="The service cannot be reached")
    expect(outage).to_be_visible(timeout=(LIVE_LIMIT + 2) * 1000)
    screenshot(page, "network-outage")
    page.context.set_offline(False)
    expect(outage).to_have_count(0, timeout=(LIVE_LIMIT + 5) * 1000)
    expect(page.get_by_role("heading", level=1)).to_have_text("Through an outage")


def test_progress_timeout_deadline_and_a_bound_execution_are_shown(
    page: Page, monitor_api: LocalApi, writer: Person, passwords: dict[str, str]
) -> None:
    """The members that progress reports, leases and monitored executions add to jobs and steps, as the API
    writes them (epoch milliseconds, seconds): added here to the real server's reply, until this branch
    has those features' own."""
    job_id = writer.add_job("Reports progress")
    step_id = writer.add_step(job_id, "Runs a state machine")
    arn = "arn:aws:states:us-east-1:123456789012:execution:Backup:" + step_id
    console = (
        f"https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/{arn}"
    )
    deadline = 1_796_000_000_000

    def with_members(route: Route) -> None:
        reply = route.fetch()
        job = reply.json()
        job.update(progress=40, timeout=600, deadline=deadline)
        (step,) = job["steps"]["step"]
        step.update(progress=75, execution={"arn": arn, "kind": "states:execution", "console_url": console})
        route.fulfill(response=reply, json=job)

    page.route(f"**/ovirt-engine/api/jobs/{job_id}?follow=steps", with_members)
    sign_in(page, monitor_api, "reader", passwords["reader"], f"/#/jobs/{job_id}")

    job_progress = page.get_by_role("progressbar", name="Progress of the job")
    expect(job_progress).to_have_attribute("value", "40")
    expect(page.locator(".fact").filter(has_text="Progress")).to_contain_text("40%")
    expect(page.locator(".fact").filter(has_text="Timeout")).to_contain_text("10 min 00 s")
    expect(page.locator(".fact").filter(has_text="Deadline").locator("time")).to_have_attribute(
        "datetime", "2026-11-30T00:53:20.000Z"
    )
    step = page.get_by_role("list", name="Step tree").get_by_role("listitem")
    expect(step.get_by_role("progressbar", name="Progress of step 1")).to_have_attribute("value", "75")
    expect(step).to_contain_text("75%")
    expect(step.locator(".execution")).to_contain_text("Step Functions execution")
    expect(step.locator(".execution code")).to_have_text(arn)
    link = step.get_by_role("link", name="Open in the AWS console (step 1)")
    expect(link).to_have_attribute("href", console)
    assert serious_violations(page) == []
    screenshot(page, "job-progress-execution")
