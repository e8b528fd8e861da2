"""DynamoDB stream: when TTL removes a cleared job, its steps go with it (rule 6)."""

from collections.abc import Mapping
from typing import Any

from external_tasks import cleanup
from external_tasks.background import background


@background
def handler(event: Mapping[str, Any]) -> dict[str, Any]:
    return cleanup.steps_of_removed_jobs(event.get("Records", []))
