"""Every minute (EventBridge Scheduler): delete the auto-cleared jobs that have expired (rule 6)."""

from collections.abc import Mapping
from typing import Any

from external_tasks import cleanup, observability


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, int]:
    try:
        return cleanup.expire_jobs()
    finally:
        observability.flush_metrics()
