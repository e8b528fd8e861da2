"""The local server's part for the web task monitor: its files and config.json, nothing of the API's."""

from __future__ import annotations

import json
from pathlib import Path

from xtasks_local.gateway import HttpRequest
from xtasks_local.monitor import MonitorSite


def _get(site: MonitorSite, target: str, method: str = "GET") -> tuple[int, dict[str, str], bytes] | None:
    response = site.respond(HttpRequest(method, target, [], b""))
    return None if response is None else (response.status, dict(response.headers), response.body)


def _built(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "monitor.js").write_text("export {};")
    return tmp_path


def test_the_index_and_the_bundle_are_served_with_their_types(tmp_path: Path) -> None:
    site = MonitorSite("none", _built(tmp_path))
    assert _get(site, "/") == _get(site, "/index.html")
    status, headers, body = _get(site, "/?x=1") or (0, {}, b"")
    assert (status, headers["Content-Type"], body) == (200, "text/html; charset=utf-8", b"<!doctype html>")
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    status, headers, _ = _get(site, "/monitor.js", "HEAD") or (0, {}, b"")
    assert (status, headers["Content-Type"]) == (200, "text/javascript; charset=utf-8")


def test_config_says_which_api_to_call_and_whether_to_sign_in(tmp_path: Path) -> None:
    _, _, open_config = _get(MonitorSite("none", tmp_path), "/config.json") or (0, {}, b"")
    assert json.loads(open_config) == {"api": "/ovirt-engine/api", "sign_in": False}
    _, _, signed_config = _get(MonitorSite("sigv4", tmp_path), "/config.json") or (0, {}, b"")
    assert json.loads(signed_config) == {
        "api": "/ovirt-engine/api",
        "token_url": "/ovirt-engine/sso/oauth/token",
        "sign_in": True,
    }


def test_everything_else_is_left_to_the_api(tmp_path: Path) -> None:
    site = MonitorSite("none", _built(tmp_path))
    (tmp_path.parent / "secret.js").write_text("no")
    for target in (
        "/api",
        "/api/jobs",
        "/ovirt-engine/api/jobs",
        "/../secret.js",
        "/x/monitor.js",
        "/.hidden.js",
        "/missing.js",
        "/favicon.ico",
        "/template.yaml",
    ):
        assert _get(site, target) is None, target
    assert _get(site, "/", "POST") is None


def test_an_unbuilt_monitor_says_how_to_build_it(tmp_path: Path) -> None:
    status, _, body = _get(MonitorSite("none", tmp_path / "dist"), "/") or (0, {}, b"")
    assert status == 503
    assert b"make monitor" in body
