"""What DynamoDB bills for the requests the service makes, by AWS's published rules, computed from the items
themselves (DynamoDB Local's ``ConsumedCapacity`` under-reports transactions and leaves out indexes).

Rules applied (DynamoDB Developer Guide: item sizes; read/write capacity; secondary indexes; transactions):
- an item's size is the lengths of its attribute names and values (a number ~1 byte per 2 digits + 1);
- a write costs 1 write unit per KB (rounded up) of the larger of the item before and after it; a
  conditional write that fails still costs its units; a transaction's items cost twice;
- every secondary index entry the write puts, rewrites or deletes costs 1 write unit per KB of the entry (its
  keys and projected attributes, plus 100 bytes of overhead); an entry whose key changes is a delete and a
  put; an entry nothing projected changed in costs nothing. Index writes inside a transaction are counted
  twice too, and a ConditionCheck as a transactional write of its item: both on the side of overcounting;
- a read costs 1 read unit per 4 KB (strongly consistent; half of that eventually consistent); a Query sums
  its items' sizes before rounding; BatchGetItem rounds each item; a transactional read costs twice.

Each unit is charged to a partition key: the table's ``PK`` value or an index's partition key value, so that
a workload's hottest key shows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from xtasks_local.template import Template

type Item = Mapping[str, Any]

_INDEX_OVERHEAD = 100
_WRITE_UNIT = 1024
_READ_UNIT = 4096


def _number_size(text: str) -> int:
    digits = str(abs(Decimal(text))).replace(".", "").lstrip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def value_size(value: Mapping[str, Any]) -> int:  # noqa: PLR0911 - one case per type
    ((kind, data),) = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return _number_size(str(data))
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in data)
    if kind == "NS":
        return sum(_number_size(s) for s in data)
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in data)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(element) for name, element in data.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: Item) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    hash_key: str
    range_key: str | None
    projection: str
    attributes: frozenset[str]

    def entry(self, item: Item | None, table_keys: tuple[str, ...]) -> dict[str, Any] | None:
        """The index's entry for the item, or None when the item lacks the index's keys (a sparse index)."""
        if item is None or self.hash_key not in item or (self.range_key and self.range_key not in item):
            return None
        keys = {*table_keys, self.hash_key, *([self.range_key] if self.range_key else [])}
        if self.projection == "ALL":
            return dict(item)
        wanted = keys | (self.attributes if self.projection == "INCLUDE" else set())
        return {name: value for name, value in item.items() if name in wanted}

    def partition(self, entry: Item) -> str:
        return f"{self.name}:{_plain(entry[self.hash_key])}"


def _plain(value: Mapping[str, Any]) -> str:
    return str(next(iter(value.values())))


def _units(size: int, unit: int) -> int:
    return max(1, math.ceil(size / unit))


@dataclass
class Bill:
    """Units charged, by partition key."""

    write: dict[str, float]
    read: dict[str, float]

    @classmethod
    def empty(cls) -> Bill:
        return cls({}, {})

    def charge_write(self, partition: str, units: float) -> None:
        self.write[partition] = self.write.get(partition, 0) + units

    def charge_read(self, partition: str, units: float) -> None:
        self.read[partition] = self.read.get(partition, 0) + units

    def add(self, other: Bill) -> None:
        for partition, units in other.write.items():
            self.charge_write(partition, units)
        for partition, units in other.read.items():
            self.charge_read(partition, units)

    @property
    def write_units(self) -> float:
        return sum(self.write.values())

    @property
    def read_units(self) -> float:
        return sum(self.read.values())


class Table:
    """The template's table: its keys and indexes, and the bill for each kind of call."""

    def __init__(self, template: Template) -> None:
        properties = template.table_properties()
        self.keys = tuple(key["AttributeName"] for key in properties["KeySchema"])
        self.indexes = [
            Index(
                name=index["IndexName"],
                hash_key=index["KeySchema"][0]["AttributeName"],
                range_key=index["KeySchema"][1]["AttributeName"] if len(index["KeySchema"]) > 1 else None,
                projection=index["Projection"]["ProjectionType"],
                attributes=frozenset(index["Projection"].get("NonKeyAttributes", [])),
            )
            for index in properties.get("GlobalSecondaryIndexes", [])
            + properties.get("LocalSecondaryIndexes", [])
        ]
        self.by_name = {index.name: index for index in self.indexes}

    def partition(self, item: Item) -> str:
        return f"table:{_plain(item[self.keys[0]])}"

    def write(
        self, bill: Bill, before: Item | None, after: Item | None, *, transactional: bool, applied: bool
    ) -> None:
        """A Put, Update or Delete of one item, from ``before`` to ``after`` (None: absent)."""
        times = 2 if transactional else 1
        present = after if after is not None else before
        if present is None:
            return  # a delete of nothing still costs a unit; the service makes none
        size = max(item_size(before or {}), item_size(after or {}))
        bill.charge_write(self.partition(present), times * _units(size, _WRITE_UNIT))
        if not applied:
            return
        for index in self.indexes:
            old, new = index.entry(before, self.keys), index.entry(after, self.keys)
            if old == new:
                continue
            keys = [index.hash_key, *([index.range_key] if index.range_key else [])]
            moved = old is not None and new is not None and any(old[k] != new[k] for k in keys)
            if old is not None and (new is None or moved):
                bill.charge_write(
                    index.partition(old), times * _units(item_size(old) + _INDEX_OVERHEAD, _WRITE_UNIT)
                )
            if new is not None and (old is None or moved):
                bill.charge_write(
                    index.partition(new), times * _units(item_size(new) + _INDEX_OVERHEAD, _WRITE_UNIT)
                )
            if old is not None and new is not None and not moved:
                size = max(item_size(old), item_size(new)) + _INDEX_OVERHEAD
                bill.charge_write(index.partition(new), times * _units(size, _WRITE_UNIT))

    def condition_check(self, bill: Bill, item: Item | None, key: Item) -> None:
        bill.charge_write(self.partition(item or key), 2 * _units(item_size(item or key), _WRITE_UNIT))

    def read_items(
        self, bill: Bill, found: list[Item], *, consistent: bool, each: bool, times: int = 1
    ) -> None:
        """Items read by GetItem or BatchGetItem (``each``: rounded one by one) or TransactGetItems."""
        share = times * (1 if consistent else 0.5)
        for item in found:
            bill.charge_read(self.partition(item), share * _units(item_size(item), _READ_UNIT))
        if not found and not each:
            bill.charge_read("table:(nothing found)", share)

    def query(self, bill: Bill, index: str | None, found: list[Item], *, consistent: bool, key: str) -> None:
        """A Query: its items' sizes summed, then rounded up to 4 KB."""
        size = sum(item_size(item) for item in found)
        label = f"{index}:{key}" if index else f"table:{key}"
        bill.charge_read(label, (1 if consistent else 0.5) * _units(size, _READ_UNIT))
