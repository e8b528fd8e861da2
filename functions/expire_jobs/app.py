"""Every minute (EventBridge Scheduler): delete the auto-cleared jobs that have expired (rule 6)."""

from collections.abc import Mapping
from typing import Any

from external_tasks import cleanup
from external_tasks.background import background


@background
def handler(event: Mapping[str, Any]) -> dict[str, int]:
    return cleanup.expire_jobs()
