"""What can go wrong calling External Tasks: each server fault as its own exception, carrying what the
server said (status, reason, detail)."""

from __future__ import annotations


class XtasksError(Exception):
    """Base class of everything this package raises."""


class ConfigurationError(XtasksError):
    """No endpoint, no credentials, no region: the client cannot sign or send."""


class ConnectionFailed(XtasksError):
    """The API could not be reached (after retries, where a retry was safe)."""


class ApiError(XtasksError):
    """The API answered with an error: ``status`` is the HTTP status, ``reason`` and ``detail`` the fault."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(f"{status} {reason}: {detail}" if detail else f"{status} {reason}")
        self.status = status
        self.reason = reason
        self.detail = detail


class InvalidRequest(ApiError):
    """400, 413, 415: the request itself is wrong; sending it again will not help."""


class Forbidden(ApiError):
    """403: unsigned, wrongly signed, or the caller may not do this (only a job's owner may change it)."""


class NotFound(ApiError):
    """404: no such job or step, or it has been cleared away."""


class Conflict(ApiError):
    """409: the job or step is in a state that forbids this (ended already, otherwise)."""


class Unavailable(ApiError):
    """429 or 503: the service is throttled or its store failed; still so after the retries."""


def for_status(status: int) -> type[ApiError]:
    if status in (400, 413, 415):
        return InvalidRequest
    return {403: Forbidden, 404: NotFound, 409: Conflict, 429: Unavailable, 503: Unavailable}.get(
        status, ApiError
    )
