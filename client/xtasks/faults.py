"""An error reply as the matching ApiError: the service's own fault (``reason``, ``detail``), API Gateway's
refusals (``message``), or whatever else answered; with a hint when the endpoint lacks ``/api``."""

from __future__ import annotations

import json
from typing import Any

from xtasks import endpoint as endpoints
from xtasks import errors

_MISSING_ROUTE = (403, 404)  # what API Gateway, or another server, answers for a path outside the API


def fault(status: int, text: str, endpoint: str) -> errors.ApiError:
    data = _parsed(text)
    fault = data.get("fault", data) if isinstance(data, dict) else None
    if isinstance(fault, dict) and "reason" in fault:
        return errors.for_status(status)(status, str(fault["reason"]), _line(str(fault.get("detail", ""))))
    if isinstance(data, dict) and ("message" in data or "Message" in data):  # API Gateway's own refusals
        reason = "Forbidden" if status == 403 else "Error"
        detail = _line(str(data.get("message") or data.get("Message")))
    else:
        reason, detail = "Error", _line(text)[:200]
    hint = endpoints.API_HINT if status in _MISSING_ROUTE and endpoints.lacks_api(endpoint) else ""
    return errors.for_status(status)(status, reason, detail, hint)


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _line(text: str) -> str:
    return " ".join(text.split())
