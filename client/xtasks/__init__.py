"""xtasks: the Python client and command line of External Tasks.

Importing it is cheap: botocore is imported when a Client is made, typer and rich only by the command line.
"""

from xtasks.client import Client
from xtasks.enums import Status, StepType
from xtasks.errors import (
    ApiError,
    ConfigurationError,
    Conflict,
    ConnectionFailed,
    Forbidden,
    InvalidArgument,
    InvalidRequest,
    NotFound,
    Unavailable,
    UnexpectedReply,
    XtasksError,
)
from xtasks.resources import Job, Step
from xtasks.scopes import JobScope, StepScope
from xtasks.transport import Retries

__all__ = [
    "ApiError",
    "Client",
    "ConfigurationError",
    "Conflict",
    "ConnectionFailed",
    "Forbidden",
    "InvalidArgument",
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
    "UnexpectedReply",
    "XtasksError",
]
