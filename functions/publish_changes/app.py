"""DynamoDB stream: every change of a job or step published to the EventBridge bus (docs/events.md)."""

from collections.abc import Mapping
from typing import Any

from external_tasks.publishing import publish_changes


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    return publish_changes(event, context)
