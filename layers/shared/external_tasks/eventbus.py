"""Publishing change events to the template's EventBridge bus (``EVENT_BUS_NAME``), in order per job.

PutEvents takes up to 10 entries and 256 KB a call and may accept some entries and refuse others
(``FailedEntryCount``). A call holds at most one event of each job, and a job's next event is sent only once
its previous one was accepted, so that no event of a job is ever published before an earlier one of the same
job. Refused entries are sent again a few times when EventBridge may accept them later (throttling, its own
faults); an event still refused, and every later event of its job, is reported as not published, for the
stream to deliver its record again (and in the end to the dead-letter queue).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Sequence
from typing import Any

from external_tasks.change_events import SOURCE, ChangeEvent
from external_tasks.observability import logger

MAX_ENTRIES = 10
MAX_BYTES = 256 * 1024
_ATTEMPTS = 3
_RETRYABLE = frozenset({"ThrottlingException", "InternalFailure", "InternalException", "ServiceUnavailable"})


@functools.cache
def client() -> Any:
    import botocore.config
    import botocore.session

    config = botocore.config.Config(
        connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3}
    )
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return botocore.session.get_session().create_client("events", region_name=region, config=config)


def bus_name() -> str:
    return os.environ["EVENT_BUS_NAME"]


def entry_size(event: ChangeEvent) -> int:
    """An entry's size as EventBridge counts it against the 256 KB of a call."""
    return 14 + len(SOURCE.encode()) + len(event.detail_type.encode()) + len(event.detail_json.encode())


def _entry(event: ChangeEvent) -> dict[str, Any]:
    return {
        "Source": SOURCE,
        "DetailType": str(event.detail_type),
        "Detail": event.detail_json,
        "EventBusName": bus_name(),
        "Time": event.time,
    }


def publish(events: Sequence[ChangeEvent]) -> set[int]:
    """Publish ``events`` (in stream order); the positions of those not published."""
    pending = list(range(len(events)))
    blocked: set[str] = set()  # jobs with an event that could not be published
    failed: set[int] = set()
    while pending:
        call: list[int] = []
        later: list[int] = []
        jobs_seen: set[str] = set()
        size = 0
        for position in pending:
            event = events[position]
            if event.job_id in blocked:
                failed.add(position)
                continue
            full = len(call) == MAX_ENTRIES or size + entry_size(event) > MAX_BYTES
            if event.job_id in jobs_seen or full:
                later.append(position)  # and so every later event of its job
            else:
                call.append(position)
                size += entry_size(event)
            jobs_seen.add(event.job_id)
        for position in _put(events, call):
            blocked.add(events[position].job_id)
            failed.add(position)
        pending = later
    return failed


def _put(events: Sequence[ChangeEvent], positions: list[int]) -> list[int]:
    """Send one call's events, sending again what EventBridge refused for now; those it never accepted."""
    from botocore.exceptions import BotoCoreError, ClientError

    for attempt in range(_ATTEMPTS):
        if not positions:
            return []
        if attempt:
            time.sleep(0.1 * 2**attempt)
        try:
            reply = client().put_events(Entries=[_entry(events[position]) for position in positions])
        except (BotoCoreError, ClientError) as error:
            logger().warning("PutEvents failed", extra={"error": str(error), "entries": len(positions)})
            continue
        if not reply.get("FailedEntryCount"):
            return []
        refused = [
            (position, result.get("ErrorCode"))
            for position, result in zip(positions, reply["Entries"], strict=True)
            if result.get("ErrorCode")
        ]
        if any(code not in _RETRYABLE for _, code in refused):
            return [position for position, _ in refused]
        positions = [position for position, _ in refused]
    return positions
