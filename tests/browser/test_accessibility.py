"""The monitor for keyboard and assistive technology users: axe-core finds nothing serious or critical, and
everything works from the keyboard."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.monitor import Person, screenshot, serious_violations, sign_in
from tests.support.http import LocalApi


def test_axe_finds_nothing_serious_on_the_list_the_job_page_and_its_dialog(
    page: Page, monitor_api: LocalApi, writer: Person, passwords: dict[str, str]
) -> None:
    job_id = writer.add_job("Scanned by axe", correlation_id="axe-scan")
    parent = writer.add_step(job_id, "Parent step")
    writer.end(f"/jobs/{job_id}/steps/{writer.add_step(job_id, 'Child', parent=parent)}")
    failed = writer.add_job("Failed for axe")
    writer.end(f"/jobs/{failed}", succeeded=False)

    sign_in(page, monitor_api, "writer", passwords["writer"])
    expect(page.get_by_role("link", name="Scanned by axe")).to_be_visible()
    assert serious_violations(page) == []

    page.goto(f"http://{monitor_api.host}/#/jobs/{job_id}")
    expect(page.get_by_role("list", name="Step tree")).to_contain_text("Child")
    assert serious_violations(page) == []

    page.get_by_role("button", name="End job").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert serious_violations(page) == []


def test_the_monitor_works_from_the_keyboard(
    page: Page, monitor_api: LocalApi, writer: Person, passwords: dict[str, str]
) -> None:
    job_id = writer.add_job("Reached by keyboard", correlation_id="keyboard-only")
    page.goto(f"http://{monitor_api.host}/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.type("writer")
    page.keyboard.press("Tab")
    page.keyboard.type(passwords["writer"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Reached by keyboard")).to_be_visible()

    def focused() -> str:
        said: str = page.evaluate("document.activeElement.id || document.activeElement.textContent")
        return said

    expect(page.get_by_role("heading", name="Jobs")).to_be_focused()  # where reading starts
    page.keyboard.press("Tab")
    assert focused() == "status"
    page.keyboard.press("Tab")
    assert focused() == "search"
    page.keyboard.type("keyboard-only")
    expect(page).to_have_url(f"http://{monitor_api.host}/#/?search=keyboard-only")
    expect(page.get_by_role("row")).to_have_count(2)  # the header and the one job
    page.keyboard.press("Tab")
    assert focused() == "Reached by keyboard"
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"http://{monitor_api.host}/#/jobs/{job_id}")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Reached by keyboard")
    expect(heading).to_be_focused()  # a screen reader starts reading at the job

    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="End job")).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="End this job?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    screenshot(page, "keyboard-dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("button", name="End job")).to_be_focused()
    assert writer.send("GET", f"/jobs/{job_id}").data["status"] == "started"
