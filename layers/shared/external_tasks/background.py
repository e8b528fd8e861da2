"""Makes a function of an event that is not an API request (a stream's records, a schedule's tick) into a
Lambda handler, as http.endpoint does for API routes: the settings checked at the cold start, Lambda's
context on every log line, the metrics counted during the run published at its end.

A run that fails raises: Lambda retries it, as template.yaml bounds it, then records it in the function's
dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from external_tasks import config, observability


def background[R](run: Callable[[Mapping[str, Any]], R]) -> Callable[[Mapping[str, Any], Any], R]:
    def lambda_handler(event: Mapping[str, Any], context: Any = None) -> R:
        observability.invocation(context)
        try:
            return run(event)
        except Exception:
            observability.logger().exception("run failed")
            raise
        finally:
            observability.flush_metrics()

    lambda_handler.__doc__ = run.__doc__
    config.check_at_start()
    return lambda_handler
