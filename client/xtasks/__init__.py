"""xtasks: the Python client and command line of External Tasks."""

from xtasks.client import Client, JobScope, Retries, StepScope
from xtasks.enums import Status, StepType
from xtasks.errors import (
    ApiError,
    ConfigurationError,
    Conflict,
    ConnectionFailed,
    Forbidden,
    InvalidRequest,
    NotFound,
    Unavailable,
    XtasksError,
)
from xtasks.resources import Job, Step

__all__ = [
    "ApiError",
    "Client",
    "ConfigurationError",
    "Conflict",
    "ConnectionFailed",
    "Forbidden",
    "InvalidRequest",
    "Job",
    "JobScope",
    "NotFound",
    "Retries",
    "Status",
    "Step",
    "StepScope",
    "StepType",
    "Unavailable",
    "XtasksError",
]
