"""Powertools Logger and Metrics, created on first use so that routes which never log or count do not pay
for importing them on a cold start.

Tracing: the template's ``Tracing`` parameter turns on X-Ray for API Gateway and Lambda. Powertools' Tracer
is not used: its X-Ray SDK brings a second botocore into the layer (13 MB zipped) for DynamoDB subsegments.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

SERVICE = "external-tasks"

type LogKeys = Callable[[], Mapping[str, Any]]


def logger() -> Logger:
    """The logger, its lines keyed with the current invocation's context (see ``invocation``)."""
    log = _logger()
    keys, _pending.log_keys = _pending.log_keys, None
    if keys is not None:
        log.thread_safe_clear_keys()
        log.thread_safe_append_keys(**keys())
    return log


@functools.cache
def _logger() -> Logger:
    from aws_lambda_powertools import Logger

    return Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", SERVICE))


class _Environment:
    cold = True  # until this execution environment's first invocation


def invocation(context: Any, keys: LogKeys | None = None) -> None:
    """An invocation begins: every line it logs carries Lambda's context, as Powertools'
    ``inject_lambda_context`` puts it (request id, cold start, function), and what ``keys`` returns (the
    correlation id, the job, the caller). Both are worked out when the invocation first logs, so that one
    which never logs never imports Powertools."""
    cold, _Environment.cold = _Environment.cold, False
    _pending.log_keys = functools.partial(_context_keys, context, cold, keys)


def _context_keys(context: Any, cold_start: bool, keys: LogKeys | None) -> dict[str, Any]:
    found: dict[str, Any] = {"cold_start": cold_start}
    if context is not None:
        found |= {
            "function_name": getattr(context, "function_name", None),
            "function_memory_size": getattr(context, "memory_limit_in_mb", None),
            "function_arn": getattr(context, "invoked_function_arn", None),
            "function_request_id": getattr(context, "aws_request_id", None),
        }
    if keys is not None:
        found |= keys()
    return {name: value for name, value in found.items() if value not in (None, "")}


@functools.cache
def metrics() -> Metrics:
    from aws_lambda_powertools import Metrics

    return Metrics(
        service=os.environ.get("POWERTOOLS_SERVICE_NAME", SERVICE),
        namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "ExternalTasks"),
    )


class _Pending(threading.local):
    """Business events of the request this thread serves (Lambda serves one at a time; the local server
    serves several at once, one per thread)."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.log_keys: LogKeys | None = None  # the invocation's, until its first line


_pending = _Pending()
# Powertools keeps one metric set for every Metrics instance: requests served at once (the local server, the
# benchmark's plug-ins) must not flush the set while another thread fills it.
_flushing = threading.Lock()


def count(event: str, times: int = 1) -> None:
    """A business event (JobAdded, StepEnded, …), published when the request ends."""
    _pending.events += [event] * times


def flush_metrics() -> None:
    if not _pending.events:
        return
    from aws_lambda_powertools.metrics import MetricUnit

    recorder = metrics()
    with _flushing:
        for event in _pending.events:
            recorder.add_metric(name=event, unit=MetricUnit.Count, value=1)
        _pending.events.clear()
        recorder.flush_metrics()
