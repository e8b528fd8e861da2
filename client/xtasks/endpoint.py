"""The API's base URL: read from the caller or ``$XTASKS_ENDPOINT``, checked before anything is sent, and
what it says about the region and about a missing ``/api``."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from xtasks.errors import ConfigurationError

VARIABLE = "XTASKS_ENDPOINT"
EXAMPLE = "http://127.0.0.1:3000/api"
API_HINT = f"the endpoint should end in /api, e.g. {EXAMPLE}"
_HOST = re.compile(r"[A-Za-z0-9._~%:-]+")
_API_GATEWAY_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com")


def resolve(given: str | None) -> str:
    """The endpoint to call, without a trailing slash: ``given``, else ``$XTASKS_ENDPOINT``. Raises
    ConfigurationError when there is none, or when it is not an http or https URL with a host."""
    text = (given or os.environ.get(VARIABLE) or "").strip()
    if not text:
        raise ConfigurationError(
            f"No endpoint: pass --endpoint or set {VARIABLE} to the API's URL, ending in /api"
            f" (e.g. {EXAMPLE})"
        )
    problem = _problem(text)
    if problem:
        raise ConfigurationError(f"The endpoint {text!r} is not usable: {problem} (e.g. {EXAMPLE})")
    return text.rstrip("/")


def _problem(text: str) -> str | None:
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number from 0 to 65535
    except ValueError as error:
        return f"not a URL ({error})"
    if parts.scheme.lower() not in ("http", "https"):
        return "it must start with http:// or https://"
    if not parts.hostname or not _HOST.fullmatch(parts.hostname):
        return "it names no host, or a malformed one"
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        return "it must not carry a query or a fragment"
    return None


def region_in(endpoint: str) -> str | None:
    """The region of an API Gateway URL (``https://ID.execute-api.REGION.amazonaws.com/...``), else None."""
    found = _API_GATEWAY_HOST.match(urlsplit(endpoint).hostname or "")
    return found["region"] if found else None


def lacks_api(endpoint: str) -> bool:
    """Whether the endpoint's path does not end in /api, as the API's own base path does."""
    return not urlsplit(endpoint).path.rstrip("/").endswith("/api")
