"""DynamoDB stream: when TTL removes a cleared job, its steps go with it (rule 6)."""

from collections.abc import Mapping
from typing import Any

from external_tasks import cleanup


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    return cleanup.steps_of_removed_jobs(event.get("Records", []))
