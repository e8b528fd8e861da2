"""The table's stream for tests on moto (which has no DynamoDB Streams): the changes between two looks at
the table, as stream records in the shape Lambda delivers them (NEW_AND_OLD_IMAGES), with increasing sequence
numbers and event ids of their own.
"""

from __future__ import annotations

import itertools
from typing import Any

STREAM_ARN = (
    "arn:aws:dynamodb:eu-west-1:123456789012:table/external-tasks-test/stream/2025-11-24T16:00:00.000"
)


def _key(item: dict[str, Any]) -> tuple[str, str]:
    return item["PK"]["S"], item["SK"]["S"]


class TableStream:
    def __init__(self, client: Any, table_name: str) -> None:
        self.client, self.table_name = client, table_name
        self._sequence = itertools.count(100_000_000_000_000_000_001)
        self._seen = self._look()

    def _look(self) -> dict[tuple[str, str], dict[str, Any]]:
        items = self.client.scan(TableName=self.table_name, ConsistentRead=True)["Items"]
        return {_key(item): item for item in items}

    def changes(self) -> list[dict[str, Any]]:
        """The records of what changed since the last call (jobs before their steps, as a transaction's
        records may come in any order within a job's partition)."""
        now = self._look()
        records = []
        for key in sorted(set(now) | set(self._seen), key=lambda k: (k[0], k[1] != "JOB", k[1])):
            old, new = self._seen.get(key), now.get(key)
            if old == new:
                continue
            records.append(self.record(key, old, new))
        self._seen = now
        return records

    def record(
        self, key: tuple[str, str], old: dict[str, Any] | None, new: dict[str, Any] | None
    ) -> dict[str, Any]:
        sequence = str(next(self._sequence))
        change: dict[str, Any] = {
            "ApproximateCreationDateTime": 1764000000.0,
            "Keys": {"PK": {"S": key[0]}, "SK": {"S": key[1]}},
            "SequenceNumber": sequence,
            "SizeBytes": 512,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        if old is not None:
            change["OldImage"] = old
        if new is not None:
            change["NewImage"] = new
        return {
            "eventID": f"c81e728d9d4c2f636f067f89cc14862c{sequence[-6:]}",
            "eventName": "INSERT" if old is None else "REMOVE" if new is None else "MODIFY",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "eu-west-1",
            "dynamodb": change,
            "eventSourceARN": STREAM_ARN,
        }
