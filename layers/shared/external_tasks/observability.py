"""Powertools Logger and Metrics, created on first use so that routes which never log or count do not pay
for importing them on a cold start.

Tracing: the template's ``Tracing`` parameter turns on X-Ray for API Gateway and Lambda. Powertools' Tracer
is not used: its X-Ray SDK brings a second botocore into the layer (13 MB zipped) for DynamoDB subsegments.
"""

from __future__ import annotations

import functools
import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

SERVICE = "external-tasks"


@functools.cache
def logger() -> Logger:
    from aws_lambda_powertools import Logger

    return Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", SERVICE))


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
