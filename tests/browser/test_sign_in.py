"""Signing in to the monitor with the local users (make run), as the deployed monitor signs in to the user
pool: a user name, a password, oVirt's SSO token."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Console
from tests.browser.monitor import screenshot, serious_violations, sign_in
from tests.support.http import LocalApi


def test_a_wrong_password_is_refused_and_the_right_one_signs_in(
    page: Page, monitor_api: LocalApi, passwords: dict[str, str], console: Console
) -> None:
    console.expect(r"status of 401")
    page.goto(f"http://{monitor_api.host}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert serious_violations(page) == []
    page.get_by_label("User name").fill("writer")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Sign-in refused: The user name or password is incorrect")
    expect(page.get_by_label("Password")).to_be_focused()
    screenshot(page, "sign-in-refused")

    page.get_by_label("Password").fill(passwords["writer"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as writer")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("(external-tasks)")
    expect(page.get_by_role("heading", level=1)).to_have_text("Jobs")


def test_each_local_user_signs_in_and_out(
    page: Page, monitor_api: LocalApi, passwords: dict[str, str]
) -> None:
    for name, group in (("reader", "readers"), ("writer", "external-tasks"), ("admin", "administrators")):
        sign_in(page, monitor_api, name, passwords[name])
        expect(page.get_by_role("banner")).to_contain_text(f"({group})")
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("status")).to_have_text("You are signed out.")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_a_shared_job_address_opens_after_signing_in(
    page: Page, monitor_api: LocalApi, passwords: dict[str, str], console: Console
) -> None:
    console.expect(r"status of 404")
    sign_in(page, monitor_api, "reader", passwords["reader"], "/#/jobs/00000000-0000-4000-8000-000000000000")
    expect(page).to_have_url(f"http://{monitor_api.host}/#/jobs/00000000-0000-4000-8000-000000000000")
    expect(page.get_by_role("heading", level=1)).to_have_text("Job not available")
