"""What can go wrong calling External Tasks: each failure as its own exception, never a botocore one. Server
faults carry what the server said (status, reason, detail); the others say what to fix."""

from __future__ import annotations


class XtasksError(Exception):
    """Base class of everything this package raises."""


class ConfigurationError(XtasksError):
    """No endpoint or a malformed one, no credentials, no region: the client cannot sign or send."""


class InvalidArgument(XtasksError, ValueError):
    """An argument out of range or unknown (a page size outside 1..1000, an unknown status or step type):
    refused before anything is sent."""


class ConnectionFailed(XtasksError):
    """The API could not be reached: refused, unknown host, timed out (after retries, where a retry was
    safe)."""


class UnexpectedReply(XtasksError):
    """The server answered, but not as External Tasks answers: most likely the endpoint is another server."""


class ApiError(XtasksError):
    """The API answered with an error: ``status`` is the HTTP status, ``reason`` and ``detail`` the fault;
    ``hint`` says what is likely wrong on the caller's side, when something is."""

    def __init__(self, status: int, reason: str, detail: str, hint: str = "") -> None:
        message = f"{status} {reason}: {detail}" if detail else f"{status} {reason}"
        super().__init__(f"{message} ({hint})" if hint else message)
        self.status = status
        self.reason = reason
        self.detail = detail
        self.hint = hint


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
