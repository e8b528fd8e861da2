"""What the browser tests do with the monitor: sign in, scan it with axe-core, keep screenshots; and what
they do behind its back, as the users' own oVirt clients (a bearer token on /ovirt-engine/api)."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from playwright.sync_api import Page, expect

from tests.support.http import LocalApi
from xtasks_local.template import ROOT

MONITOR = ROOT / "monitor"
ARTIFACTS = ROOT / "artifacts" / "browser"
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


def sign_in(page: Page, api: LocalApi, name: str, password: str, path: str = "/") -> None:
    """Open the monitor at ``path`` and sign in with its form."""
    page.goto(f"http://{api.host}{path}")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {name}")).to_be_visible()


@dataclass
class Reply:
    status: int
    data: Any


@dataclass
class Person:
    """A signed-in user's calls to oVirt's path, as an oVirt SDK would make them."""

    api: LocalApi
    token: str

    @classmethod
    def signed_in(cls, api: LocalApi, name: str, password: str) -> Person:
        form = urlencode(
            {"grant_type": "password", "username": name, "password": password, "scope": "ovirt-app-api"}
        )
        reply = cls._send(
            api,
            "POST",
            "/ovirt-engine/sso/oauth/token",
            form.encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert reply.status == 200, reply.data
        return cls(api, reply.data["access_token"])

    @staticmethod
    def _send(api: LocalApi, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Reply:
        connection = http.client.HTTPConnection(api.host, timeout=30)
        try:
            connection.request(method, path, body=body, headers={"Accept": "application/json", **headers})
            reply = connection.getresponse()
            raw = reply.read()
        finally:
            connection.close()
        return Reply(reply.status, json.loads(raw) if raw else None)

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Reply:
        headers = {"Authorization": f"Bearer {self.token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        raw = None if body is None else json.dumps(body).encode()
        return self._send(self.api, method, f"/ovirt-engine/api{path}", raw, headers)

    def add_job(self, description: str, *, correlation_id: str = "", auto_cleared: bool = False) -> str:
        query = f"?correlation_id={correlation_id}" if correlation_id else ""
        reply = self.send("POST", f"/jobs{query}", {"description": description, "auto_cleared": auto_cleared})
        assert reply.status == 201, reply.data
        job_id: str = reply.data["id"]
        return job_id

    def add_step(self, job_id: str, description: str, *, kind: str = "executing", parent: str = "") -> str:
        body: dict[str, Any] = {"description": description, "type": kind}
        if parent:
            body["parent_step"] = {"id": parent}
        reply = self.send("POST", f"/jobs/{job_id}/steps", body)
        assert reply.status == 201, reply.data
        step_id: str = reply.data["id"]
        return step_id

    def end(self, path: str, *, succeeded: bool = True) -> None:
        reply = self.send("POST", f"{path}/end", {"succeeded": succeeded})
        assert reply.status == 200, reply.data
