"""Every minute (EventBridge Scheduler): end `unknown` the jobs whose lease lapsed, with their open steps."""

from collections.abc import Mapping
from typing import Any

from external_tasks import observability, timeouts


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, int]:
    try:
        return timeouts.time_out_jobs()
    finally:
        observability.flush_metrics()
