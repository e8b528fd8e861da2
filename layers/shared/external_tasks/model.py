"""Jobs and steps as docs/api.md describes them: plain immutable values, no I/O, no HTTP.

Times are epoch milliseconds (``int``). A step's place in its job's tree is its *path*: the numbers of its
ancestors and its own, so the second sub-step of the first top-level step has the path ``(0, 1)``; its
*ancestors* are the ids of the steps on that path above it, outermost first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

type Path = tuple[int, ...]

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_id(text: str) -> bool:
    """Job and step ids are UUIDs (in any letter case; they are kept in lower case)."""
    return _UUID.fullmatch(text) is not None


class Status(StrEnum):
    STARTED = "started"
    FINISHED = "finished"
    FAILED = "failed"
    ABORTED = "aborted"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        return self is not Status.STARTED


TERMINAL_STATUSES = tuple(s for s in Status if s.is_terminal)


class StepType(StrEnum):
    VALIDATING = "validating"
    EXECUTING = "executing"
    FINALIZING = "finalizing"
    REBALANCING_VOLUME = "rebalancing_volume"
    REMOVING_BRICKS = "removing_bricks"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Closure:
    """How the still-started steps below an ended job or step end: with this status, at this time."""

    status: Status
    time: int


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    description: str
    owner: str
    status: Status
    start_time: int
    last_updated: int
    auto_cleared: bool
    correlation_id: str
    end_time: int | None = None
    # How the job's still-started steps ended when the job did (its status, or aborted when forced).
    closure: Closure | None = None
    gone_at: int | None = None  # when an auto-cleared, ended job reads as gone (rule 6)
    step_count: int = 0  # top-level steps: the next top-level step's number
    step_total: int = 0  # steps at any depth
    request_digest: str | None = None  # of the request that made it, when it carried an Idempotency-Key
    # Progress, heartbeats and timeouts (docs/rules.md): percent done, once reported; the lease in seconds,
    # and when it lapses unless renewed.
    progress: int | None = None
    timeout: int | None = None
    deadline: int | None = None


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    job_id: str
    description: str
    type: StepType
    path: Path
    status: Status
    start_time: int
    parent_step_id: str | None = None
    end_time: int | None = None
    ancestors: tuple[str, ...] = ()  # ids of the steps above it, outermost first
    # How its still-started sub-steps (at any depth) ended when it did: its status, or aborted when forced.
    closes_as: Status | None = None
    # Direct sub-steps: the next sub-step's number. Known where a step is read to add under it (get); a
    # listing does not read it.
    child_count: int = 0
    request_digest: str | None = None  # of the request that made it, when it carried an Idempotency-Key
    execution: str | None = None  # the ARN of the AWS execution that ends it (executions.py)
    progress: int | None = None  # percent done, once reported

    @property
    def number(self) -> int:
        return self.path[-1]

    @property
    def depth(self) -> int:
        return len(self.path)

    @property
    def closure(self) -> Closure | None:
        """How its open sub-steps read once it has ended."""
        if self.closes_as is None or self.end_time is None:
            return None
        return Closure(self.closes_as, self.end_time)


class Role(StrEnum):
    """What a signed-in user may do (rule 7), named as the user pool's groups that grant it."""

    READER = "readers"
    WRITER = "external-tasks"
    ADMINISTRATOR = "administrators"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a request: an IAM principal ARN (an assumed-role session already reduced to its role), or a
    signed-in user, ``user/<user name>``, with the role their groups give them."""

    principal: str
    role: Role | None = None  # None: an IAM principal, whose permission IAM has already checked


@dataclass(frozen=True, slots=True)
class JobQuery:
    """What a job listing is narrowed to (docs/rules.md: Listing)."""

    correlation_id: str | None = None
    status: Status | None = None
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class Page[T]:
    """One page of a listing; ``next_token`` is set when, and only when, more items follow."""

    items: tuple[T, ...]
    next_token: str | None = None
