"""Watches the service's DynamoDB client and bills every call by AWS's rules (billing.py): the items each
write touched are read just before and just after it, through a client of its own, so the bill follows from
the items actually written and the template's index definitions.

Round trips are counted as rounds: calls whose times overlap (a listing's parallel queries) count once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from bench.billing import Bill, Table

_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


@dataclass
class Usage:
    """What one request (or a whole workload) made DynamoDB do."""

    bill: Bill = field(default_factory=Bill.empty)
    calls: list[tuple[str, float, float]] = field(default_factory=list)  # (operation, started, ended)

    @property
    def operations(self) -> list[str]:
        return [name for name, _, _ in sorted(self.calls, key=lambda call: call[1])]

    @property
    def rounds(self) -> int:
        """Sequential rounds of calls: calls overlapping in time are one round."""
        rounds, reach = 0, float("-inf")
        for _, started, ended in sorted(self.calls, key=lambda call: call[1]):
            if started >= reach:
                rounds += 1
            reach = max(reach, ended) if started < reach else ended
        return rounds


@dataclass
class _Pending:
    operation: str
    params: dict[str, Any]
    started: float
    before: list[tuple[str, dict[str, Any], dict[str, Any] | None]]  # (action, key, item before)


class Meter:
    def __init__(self, service_client: Any, raw_client: Any, table: Table, table_name: str) -> None:
        self.raw, self.table, self.table_name = raw_client, table, table_name
        self.current: Usage | None = None
        self._lock = threading.Lock()
        self._pending = threading.local()
        events = service_client.meta.events
        events.register("provide-client-params.dynamodb.*", self._sending)
        events.register("after-call.dynamodb.*", self._answered)
        events.register("after-call-error.dynamodb.*", self._failed)

    def measure(self) -> _Measuring:
        return _Measuring(self)

    # botocore's events

    def _sending(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self.current is None:
            return
        before = [(action, key, self._get(key)) for action, key in self._touched(model.name, params)]
        self._pending.call = _Pending(model.name, dict(params), time.perf_counter(), before)

    def _answered(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        pending = self._take(model.name)
        if pending is None:
            return
        usage = Usage()
        if pending.operation in _WRITES:
            self._bill_writes(usage.bill, pending, applied=True)
        else:
            self._bill_reads(usage.bill, pending, parsed)
        self._record(usage, pending)

    def _failed(self, exception: Exception, **_: Any) -> None:
        pending = getattr(self._pending, "call", None)
        if pending is None or not isinstance(exception, ClientError):
            self._pending.call = None
            return
        self._pending.call = None
        usage = Usage()
        if pending.operation in _WRITES:
            self._bill_writes(usage.bill, pending, applied=False)  # a failed condition still costs its units
        self._record(usage, pending)

    # billing

    def _take(self, operation: str) -> _Pending | None:
        pending: _Pending | None = getattr(self._pending, "call", None)
        self._pending.call = None
        return pending if pending is not None and pending.operation == operation else None

    def _record(self, usage: Usage, pending: _Pending) -> None:
        with self._lock:
            if self.current is not None:
                self.current.bill.add(usage.bill)
                self.current.calls.append((pending.operation, pending.started, time.perf_counter()))

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        reply = self.raw.get_item(TableName=self.table_name, Key=key, ConsistentRead=True)
        item: dict[str, Any] | None = reply.get("Item")
        return item

    def _touched(self, operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """(action, key) of every item a write may change."""

        def key_of(action: dict[str, Any]) -> dict[str, Any]:
            source = action.get("Key") or action["Item"]
            return {name: source[name] for name in self.table.keys}

        if operation == "PutItem":
            return [("Put", key_of(params))]
        if operation in ("UpdateItem", "DeleteItem"):
            return [(operation.removesuffix("Item"), key_of(params))]
        if operation == "TransactWriteItems":
            return [
                (kind, key_of(action)) for item in params["TransactItems"] for kind, action in item.items()
            ]
        if operation == "BatchWriteItem":
            touched = []
            for requests in params["RequestItems"].values():
                for request in requests:
                    kind, action = next(iter(request.items()))
                    touched.append((kind.removesuffix("Request"), key_of(action)))
            return touched
        return []

    def _bill_writes(self, bill: Bill, pending: _Pending, *, applied: bool) -> None:
        transactional = pending.operation == "TransactWriteItems"
        for action, key, before in pending.before:
            if action == "ConditionCheck":
                self.table.condition_check(bill, before, key)
                continue
            after = self._get(key) if applied else before
            self.table.write(bill, before, after, transactional=transactional, applied=applied)

    def _bill_reads(self, bill: Bill, pending: _Pending, parsed: dict[str, Any]) -> None:
        params = pending.params
        if pending.operation == "GetItem":
            found = [parsed["Item"]] if "Item" in parsed else []
            self.table.read_items(bill, found, consistent=bool(params.get("ConsistentRead")), each=False)
        elif pending.operation == "BatchGetItem":
            found = [item for items in parsed.get("Responses", {}).values() for item in items]
            consistent = all(r.get("ConsistentRead") for r in params["RequestItems"].values())
            self.table.read_items(bill, found, consistent=consistent, each=True)
        elif pending.operation == "TransactGetItems":
            found = [r["Item"] for r in parsed.get("Responses", []) if r.get("Item")]
            self.table.read_items(bill, found, consistent=True, each=False, times=2)
        elif pending.operation == "Query":
            values = params.get("ExpressionAttributeValues", {})
            key = next((str(next(iter(v.values()))) for k, v in values.items() if k in (":pk", ":key")), "?")
            self.table.query(
                bill,
                params.get("IndexName"),
                parsed.get("Items", []),
                consistent=bool(params.get("ConsistentRead")),
                key=key,
            )


class _Measuring:
    def __init__(self, meter: Meter) -> None:
        self.meter = meter
        self.usage = Usage()

    def __enter__(self) -> Usage:
        self.meter.current = self.usage
        return self.usage

    def __exit__(self, *_: object) -> None:
        self.meter.current = None
