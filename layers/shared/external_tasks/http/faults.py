"""The one place where errors become HTTP status codes and oVirt faults (docs/api.md: Representations)."""

from __future__ import annotations

from external_tasks.errors import (
    BodyTooLarge,
    Conflict,
    Forbidden,
    IdempotencyKeyReused,
    Incomplete,
    Invalid,
    Misconfigured,
    NotFound,
    ServiceError,
    Unavailable,
    Unconfirmed,
    UnsupportedMediaType,
)
from external_tasks.http import views
from external_tasks.http.reply import Reply

# Most specific first: the first class the error is an instance of decides.
_FAULTS: tuple[tuple[type[ServiceError], int, str], ...] = (
    (BodyTooLarge, 413, "Request Entity Too Large"),
    (IdempotencyKeyReused, 422, "Unprocessable Entity"),
    (UnsupportedMediaType, 415, "Unsupported Media Type"),
    (Incomplete, 400, "Incomplete parameters"),
    (Invalid, 400, "Invalid input"),
    (Forbidden, 403, "Forbidden"),
    (NotFound, 404, "Not Found"),
    (Conflict, 409, "Conflict"),
    (Unavailable, 503, "Service Unavailable"),
    (Misconfigured, 503, "Service Unavailable"),
    (Unconfirmed, 504, "Gateway Timeout"),
)


def reply_for(error: ServiceError, *, action: bool) -> Reply:
    status, reason = next((s, r) for kind, s, r in _FAULTS if isinstance(error, kind))
    retry_after = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Reply(status, views.fault(reason, error.detail, action=action), headers)


def internal_error(*, action: bool) -> Reply:
    """A defect of ours, never a client's doing: logged with its traceback, answered without one."""
    detail = "The service failed to handle the request; it has been logged under its correlation id"
    return Reply(500, views.fault("Internal Server Error", detail, action=action))
