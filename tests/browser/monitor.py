"""What the browser tests do with the monitor: open it, scan it with axe-core, keep screenshots."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.browser.conftest import ARTIFACTS, MONITOR
from tests.support.http import LocalApi

AXE = MONITOR / "node_modules" / "axe-core" / "axe.min.js"
LIVE_LIMIT = 5.0  # seconds: a change shows within this without a reload


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's findings of impact serious or critical (WCAG 2.x A and AA, and best practices)."""
    page.add_script_tag(path=AXE)
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(
            (v) => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target)}))"""
    )
    return [violation for violation in found if violation["impact"] in ("serious", "critical")]


def add_job(api: LocalApi, description: str, *, correlation_id: str = "", auto_cleared: bool = False) -> str:
    headers = [("Correlation-Id", correlation_id)] if correlation_id else []
    reply = api.send(
        "POST",
        "/jobs",
        body={"description": description, "auto_cleared": auto_cleared},
        headers=headers,
        profile=None,
    )
    assert reply.status == 201, reply.body
    job_id: str = reply.data["id"]
    return job_id


def add_step(
    api: LocalApi, job_id: str, description: str, *, kind: str = "executing", parent: str = ""
) -> str:
    body: dict[str, Any] = {"description": description, "type": kind}
    if parent:
        body["parent_step"] = {"id": parent}
    reply = api.send("POST", f"/jobs/{job_id}/steps", body=body, root="step", profile=None)
    assert reply.status == 201, reply.body
    step_id: str = reply.data["id"]
    return step_id


def end(api: LocalApi, path: str, *, succeeded: bool = True) -> None:
    reply = api.send("POST", f"{path}/end", body={"succeeded": succeeded}, root="action", profile=None)
    assert reply.status == 200, reply.body
