"""The web task monitor in a real browser: Debian's Chromium driven by Playwright, against one local server
(signatures and tokens checked; cleanup delays of three seconds, so that a cleared job vanishes while a test
watches) and one browser for the whole session. Every page fails its test on a console error it did not
expect."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from tests.browser.monitor import MONITOR, Person
from tests.http.conftest import SHORT_CLEANUP, _server
from tests.support.http import LocalApi
from xtasks_local import storage

CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
# Without these, Chromium reaches for Google's services, which this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def monitor_built() -> Path:
    """The monitor built from its sources as they are now (esbuild takes well under a second)."""
    npm, node = shutil.which("npm"), shutil.which("node")
    assert npm, "the monitor's browser tests need npm"
    assert node, "the monitor's browser tests need Node.js"
    if not (MONITOR / "node_modules" / ".package-lock.json").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=MONITOR, check=True)  # noqa: S603
    subprocess.run([node, "build.mjs"], cwd=MONITOR, check=True)  # noqa: S603
    return MONITOR / "dist"


@pytest.fixture(scope="session")
def monitor_api(
    tmp_path_factory: pytest.TempPathFactory, dynamodb_local: storage.DynamoDBLocal, monitor_built: Path
) -> Iterator[LocalApi]:
    """The local server as make run starts it: people sign in (users reader, writer, admin)."""
    yield from _server(tmp_path_factory, dynamodb_local.endpoint, parameters=SHORT_CLEANUP)


@pytest.fixture(scope="session")
def open_monitor_api(
    tmp_path_factory: pytest.TempPathFactory, dynamodb_local: storage.DynamoDBLocal, monitor_built: Path
) -> Iterator[LocalApi]:
    """The local server with AUTH=none: nobody signs in, every caller is the local administrator."""
    yield from _server(tmp_path_factory, dynamodb_local.endpoint, auth="none")


@pytest.fixture(scope="session")
def passwords(monitor_api: LocalApi) -> dict[str, str]:
    """The local users' passwords, as make run keeps them (.xtasks/users)."""
    assert monitor_api.state is not None
    stored = configparser.ConfigParser()
    stored.read(monitor_api.state / "users")
    return {name: stored[name]["password"] for name in stored.sections()}


@pytest.fixture(scope="session")
def writer(monitor_api: LocalApi, passwords: dict[str, str]) -> Person:
    """The local user of group external-tasks, through its own oVirt client."""
    return Person.signed_in(monitor_api, "writer", passwords["writer"])


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: make chromium installs Debian's"
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@dataclass
class Console:
    """The errors the page logged, but for those the test provokes (Chromium logs every reply of 400 or
    more, and every request that fails, as an error)."""

    errors: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)

    def expect(self, pattern: str) -> None:
        self.expected.append(re.compile(pattern))

    def record(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not any(p.search(message.text) for p in self.expected):
            self.errors.append(message.text)


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(browser: Browser, console: Console) -> Iterator[Page]:
    """A fresh page (its own storage) at 1280x900, failing the test on an unexpected console error; the
    axe-core scan injects its script, so the page bypasses the Content-Security-Policy."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    opened = context.new_page()
    opened.on("console", console.record)
    opened.on("pageerror", lambda error: console.errors.append(f"uncaught: {error}"))
    yield opened
    context.close()
    assert console.errors == [], f"the page logged errors: {console.errors}"
