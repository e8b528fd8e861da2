"""Binding items: which step an AWS execution ends (docs/storage.md: Monitored executions).

| item    | PK          | SK   | attributes                                      |
|---------|-------------|------|-------------------------------------------------|
| binding | EXEC#<arn>  | EXEC | ``job_id``, ``step_id``, ``job_owner``, ``expires_at`` |

Written in the same transaction as the step it binds, so only bound steps pay for it; read by the function
that EventBridge invokes with the execution's status-change event. Each execution has its own partition.
DynamoDB's TTL deletes a binding a while after the longest any of the four kinds of execution can run (a Step
Functions standard workflow: one year); its job may have been cleared away long before.
"""

from __future__ import annotations

from dataclasses import dataclass

from external_tasks.model import Step
from external_tasks.store.items import Item, StoredItem, n, s, ttl_seconds

PK_PREFIX = "EXEC#"
SK = "EXEC"
KEPT_MS = 400 * 24 * 60 * 60 * 1000


@dataclass(frozen=True, slots=True)
class Binding:
    arn: str
    job_id: str
    step_id: str
    owner: str  # the job's owner, on whose behalf the step is ended


def key(arn: str) -> Item:
    return {"PK": s(PK_PREFIX + arn), "SK": s(SK)}


def item(step: Step, owner: str) -> Item:
    assert step.execution is not None
    return {
        **key(step.execution),
        "job_id": s(step.job_id),
        "step_id": s(step.id),
        "job_owner": s(owner),
        "expires_at": n(ttl_seconds(step.start_time + KEPT_MS)),
    }


def from_item(stored: StoredItem) -> Binding:
    return Binding(
        arn=stored["PK"]["S"].removeprefix(PK_PREFIX),
        job_id=stored["job_id"]["S"],
        step_id=stored["step_id"]["S"],
        owner=stored["job_owner"]["S"],
    )
