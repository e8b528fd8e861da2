"""The errors the service answers with. Each names what went wrong; http.faults maps them to status codes."""

from __future__ import annotations


def shown(value: object, most: int = 40) -> str:
    """A client's value quoted in an error message: repr (so control characters show), cut short."""
    text = repr(value)
    return text if len(text) <= most else text[: most - 1] + "…"


class ServiceError(Exception):
    """Base class: ``detail`` is the sentence a client sees, naming the field or the rule."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Invalid(ServiceError):
    """Malformed or invalid input."""


class Incomplete(Invalid):
    """A required field is missing (oVirt's "Incomplete parameters")."""


class BodyTooLarge(Invalid):
    """The request body is over the size limit."""


class UnsupportedMediaType(Invalid):
    """The request body's content type is neither JSON nor XML."""


class Forbidden(ServiceError):
    """The caller may not do this (rule 7)."""


class NotFound(ServiceError):
    """No such job or step, or it has been cleared away (rules 6 and 8)."""


class Conflict(ServiceError):
    """The request contradicts the current state (rules 4 and 5)."""


class IdempotencyKeyReused(Invalid):
    """An Idempotency-Key sent again with another body."""


class Unavailable(ServiceError):
    """The store is throttling, failing or too contended right now; the client should retry."""

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Unconfirmed(ServiceError):
    """A change was sent to the store and never confirmed: it may or may not have been made (rule 9 keeps
    503 for "nothing changed"). The client reads before repeating, or repeats with its Idempotency-Key."""


class Misconfigured(ServiceError):
    """The function's environment is missing or malformed: nothing a client or a retry can change."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("The service is not configured correctly; its operators find the cause in its log")
        self.problems = problems
