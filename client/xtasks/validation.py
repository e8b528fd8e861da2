"""Arguments checked before anything is sent: page sizes and counts (1..1000, as the API's ``max``),
statuses, step types, intervals. Each refusal is an InvalidArgument naming the argument as its caller knows
it (``--max`` on the command line, ``page_size`` in Python)."""

from __future__ import annotations

from enum import StrEnum

from xtasks.enums import Status, StepType
from xtasks.errors import InvalidArgument

MAX_PAGE_SIZE = 1000


def count(value: int | str, name: str) -> int:
    """A whole number from 1 to 1000."""
    try:
        number = value if isinstance(value, int) else int(str(value).strip())
    except ValueError:
        number = None
    if isinstance(value, bool) or number is None or not 1 <= number <= MAX_PAGE_SIZE:
        raise InvalidArgument(f"{name} must be a whole number from 1 to {MAX_PAGE_SIZE}, not {value!r}")
    return number


MIN_TIMEOUT, MAX_TIMEOUT = 60, 604_800


def _whole(value: int | str, name: str, low: int, high: int, unit: str) -> int:
    try:
        number = value if isinstance(value, int) else int(str(value).strip())
    except ValueError:
        number = None
    if isinstance(value, bool) or number is None or not low <= number <= high:
        raise InvalidArgument(f"{name} must be a whole number {unit}from {low} to {high}, not {value!r}")
    return number


def progress(value: int | str, name: str = "progress") -> int:
    """A percentage: a whole number from 0 to 100."""
    return _whole(value, name, 0, 100, "")


def timeout(value: int | str, name: str = "timeout") -> int:
    """A job's lease: a whole number of seconds from 60 to 604800 (a week)."""
    return _whole(value, name, MIN_TIMEOUT, MAX_TIMEOUT, "of seconds ")


def seconds(value: float | str, name: str) -> float:
    """A positive number of seconds."""
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not 0 < number < float("inf"):
        raise InvalidArgument(f"{name} must be a positive number of seconds, not {value!r}")
    return number


def status(value: Status | str, name: str = "status") -> Status:
    return _member(Status, value, name)


def step_type(value: StepType | str, name: str = "type") -> StepType:
    return _member(StepType, value, name)


def _member[E: StrEnum](kind: type[E], value: E | str, name: str) -> E:
    try:
        return kind(str(value).strip().lower())
    except ValueError:
        known = ", ".join(kind)
        raise InvalidArgument(f"{name} must be one of {known}, not {value!r}") from None
