"""How a failure leaves the command line: one line on stderr, and an exit code that scripts can test.

0 done; 1 an API error not listed here, or a reply that is not External Tasks'; 2 bad usage; 3 not found;
4 conflict; 5 forbidden; 6 unavailable (after retries) or unreachable; 7 invalid request or option value;
8 not configured (no endpoint or a malformed one, no credentials, no region).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from xtasks import errors

EXIT_CODES: dict[type[errors.XtasksError], int] = {
    errors.NotFound: 3,
    errors.Conflict: 4,
    errors.Forbidden: 5,
    errors.Unavailable: 6,
    errors.ConnectionFailed: 6,
    errors.InvalidRequest: 7,
    errors.InvalidArgument: 7,
    errors.ConfigurationError: 8,
}


def code_for(error: errors.XtasksError) -> int:
    return next((code for kind, code in EXIT_CODES.items() if isinstance(error, kind)), 1)


def fail(message: str, code: int) -> typer.Exit:
    """Write ``message`` as one line on stderr; the caller raises the Exit returned."""
    sys.stderr.write(f"xtasks: {' '.join(message.split())}\n")
    return typer.Exit(code)


@contextmanager
def reported() -> Iterator[None]:
    """An error becomes one line on stderr and an exit code, never a traceback."""
    try:
        yield
    except errors.XtasksError as error:
        raise fail(str(error), code_for(error)) from None
