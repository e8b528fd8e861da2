"""The web task monitor, served at ``/`` beside the API: the files esbuild wrote to ``monitor/dist``
(``make monitor``) and a ``config.json`` pointing the monitor at this server's API. Under ``AUTH=none``
every caller is the local administrator, so the monitor is told not to ask anyone to sign in.
"""

from __future__ import annotations

import json
from pathlib import Path

from xtasks_local.gateway import HttpRequest, HttpResponse
from xtasks_local.template import ROOT

BUILT = ROOT / "monitor" / "dist"
API_PREFIXES = ("/api", "/ovirt-engine")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
}
# What the deployed site's CloudFront response headers say too: nothing but this origin, never framed.
HEADERS = [
    ("Cache-Control", "no-cache"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'",
    ),
]


def monitor_config(auth: str) -> dict[str, object]:
    """The monitor's settings for this server: which API to call, and whether to sign in first."""
    if auth == "none":
        return {"api": "/ovirt-engine/api", "sign_in": False}
    return {"api": "/ovirt-engine/api", "token_url": "/ovirt-engine/sso/oauth/token", "sign_in": True}


class MonitorSite:
    def __init__(self, auth: str, built: Path = BUILT) -> None:
        self.config = json.dumps(monitor_config(auth)).encode()
        self.built = built

    def respond(self, request: HttpRequest) -> HttpResponse | None:
        """The reply for one of the monitor's files, or None for anything else (the API's to answer)."""
        path = request.target.partition("?")[0]
        if request.method not in ("GET", "HEAD") or path.startswith(API_PREFIXES):
            return None
        if path == "/config.json":
            return HttpResponse(200, [("Content-Type", "application/json"), *HEADERS], self.config)
        name = "index.html" if path in ("/", "/index.html") else path.removeprefix("/")
        suffix = Path(name).suffix
        if "/" in name or name.startswith(".") or suffix not in CONTENT_TYPES:
            return None
        file = self.built / name
        if not file.is_file():
            if name != "index.html":
                return None
            message = "The task monitor is not built: run `make monitor` (make run builds it too).\n"
            return HttpResponse(503, [("Content-Type", "text/plain; charset=utf-8")], message.encode())
        return HttpResponse(200, [("Content-Type", CONTENT_TYPES[suffix]), *HEADERS], file.read_bytes())
