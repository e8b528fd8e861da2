"""EventBridge rules on the default bus: a Step Functions execution, CodeBuild build, Batch job or ECS task
has ended, and so does the step bound to it (docs/api.md: Monitored executions)."""

from collections.abc import Mapping
from typing import Any

from external_tasks.monitoring import on_status_change


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    return on_status_change(event)
