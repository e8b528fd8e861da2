"""The statuses and step types the API speaks of, as the client's own enums (the client imports nothing of
the service; tests/unit/test_client_enums.py keeps the two in step)."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    STARTED = "started"
    FINISHED = "finished"
    FAILED = "failed"
    ABORTED = "aborted"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        """Every status but started is an end: nothing changes a job or step after it."""
        return self is not Status.STARTED


class StepType(StrEnum):
    VALIDATING = "validating"
    EXECUTING = "executing"
    FINALIZING = "finalizing"
    REBALANCING_VOLUME = "rebalancing_volume"
    REMOVING_BRICKS = "removing_bricks"
    UNKNOWN = "unknown"
